// Loading data for a component: `useApi(() => api.GET(...), [deps])` gives the data, the error
// (the server's message), whether it is loading, and `reload()`.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, failure } from '../api';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiFailure | undefined;
  loading: boolean;
  reload: () => void;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

export function useApi<T>(call: () => Promise<Result<T>> | null, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiFailure | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    const pending = call();
    if (pending === null) {
      setLoading(false);
      return;
    }
    setLoading(true);
    pending
      .then((r) => {
        if (mine !== generation.current) return;
        if (r.response.ok && r.data !== undefined) {
          setData(r.data);
          setError(undefined);
        } else {
          setError(failure(r.error, r.response));
        }
      })
      .catch((e: unknown) => {
        if (mine === generation.current) setError(new ApiFailure(0, 'network', `the server cannot be reached: ${String(e)}`));
      })
      .finally(() => {
        if (mine === generation.current) setLoading(false);
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
