// The API client: typed by the OpenAPI document (src/gen/openapi.d.ts, generated from
// docs/openapi.json), addressed relative to the page so a reverse proxy's path prefix works, with
// the session cookie sent on same-origin requests only.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './gen/openapi';

export type Schemas = components['schemas'];

/** Where the console is mounted: the document's directory, without a trailing slash. */
export const base: string = new URL('.', document.baseURI).href.replace(/\/$/, '');

/** An absolute URL for an API path such as `/api/v1/alerts` (for links, downloads, EventSource). */
export function apiUrl(path: string, query?: Record<string, string | number | boolean | undefined>): string {
  const url = new URL(base + path);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  }
  return url.href;
}

type Listener = (status: number) => void;
const authListeners = new Set<Listener>();

/** Called with 401 (the session ended) so the app can show the login page. */
export function onAuthLost(listener: Listener): () => void {
  authListeners.add(listener);
  return () => authListeners.delete(listener);
}

const watchAuth: Middleware = {
  onResponse({ request, response }) {
    const path = new URL(request.url).pathname;
    if (response.status === 401 && !path.endsWith('/api/v1/auth/login')) {
      for (const l of authListeners) l(401);
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: base, credentials: 'same-origin' });
api.use(watchAuth);

/** The error of a failed call, as people read it: the server's message and code. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Unwraps an openapi-fetch result: the data, or an ApiFailure with the server's message. */
export function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined && result.response.ok) return result.data;
  throw failure(result.error, result.response);
}

export function failure(error: unknown, response: Response): ApiFailure {
  const detail = (error as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = detail?.code ?? `http_${response.status}`;
  const message = detail?.message ?? `${response.status} ${response.statusText || 'error'}`;
  return new ApiFailure(response.status, code, message);
}
