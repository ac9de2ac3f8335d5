// The incident's observables with their pivots: a search for the value, and the other
// incidents where it was seen (the API lists them with each observable).
import { useState } from 'preact/hooks';
import { api, must, type Schemas } from '../../api';
import { href } from '../../router';
import { can } from '../../session';
import { Badge, Empty, ErrorBox, Loading } from '../../ui/common';
import { useApi } from '../../ui/use-api';
import { statusLabel } from './model';

const KINDS: Schemas['ObservableKind'][] = ['ip', 'domain', 'url', 'host', 'user', 'hash', 'file', 'email'];

export function Observables({ id }: { id: string }) {
  const obs = useApi(() => api.GET('/api/v1/incidents/{id}/observables', { params: { path: { id }, query: { limit: 500 } } }), [id]);
  const list = obs.data?.observables ?? [];
  return (
    <section class="panel" aria-labelledby="obs-h">
      <h2 id="obs-h">
        Observables <span class="muted small">{obs.data ? obs.data.total : ''}</span>
      </h2>
      {obs.error ? <ErrorBox error={obs.error} /> : null}
      {obs.loading && !obs.data ? <Loading what="observables" /> : null}
      {obs.data && list.length === 0 ? <Empty>No observables.</Empty> : null}
      {list.length > 0 ? (
        <table class="data" data-table="observables">
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Value</th>
              <th scope="col">Seen</th>
              <th scope="col">Related incidents</th>
            </tr>
          </thead>
          <tbody>
            {list.map((o) => (
              <tr key={o.id} data-row-id={o.id}>
                <td>
                  {o.kind} {o.ioc ? <Badge tone="bad">IOC</Badge> : null}
                </td>
                <td class="wrap mono obs-value">
                  <a href={href('/search', { q: `"${o.value.replace(/["\\]/g, '\\$&')}"` })} title="Search for this value">
                    {o.value}
                  </a>
                  {o.field ? <div class="muted small">{o.field}</div> : null}
                </td>
                <td class="num">{o.sightings}</td>
                <td class="wrap">
                  {(o.related ?? []).map((r) => (
                    <div key={r.id}>
                      <a href={href(`/incidents/${r.id}`)}>{r.title}</a> <span class="muted small">{statusLabel(r.status)}</span>
                    </div>
                  ))}
                  {(o.related_total ?? 0) > (o.related ?? []).length ? <span class="muted small">and {(o.related_total ?? 0) - (o.related ?? []).length} more</span> : null}
                  {(o.related ?? []).length === 0 ? <span class="muted">—</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {can('case:write') ? <AddObservable id={id} onDone={obs.reload} /> : null}
    </section>
  );
}

function AddObservable({ id, onDone }: { id: string; onDone: () => void }) {
  const [kind, setKind] = useState<Schemas['ObservableKind']>('ip');
  const [value, setValue] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      must(await api.POST('/api/v1/incidents/{id}/observables', { params: { path: { id } }, body: { kind, value: value.trim() } }));
      setValue('');
      onDone();
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <form class="row add-obs" onSubmit={submit}>
      <label for="obs-kind" class="sr-only">
        Observable kind
      </label>
      <select id="obs-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Schemas['ObservableKind'])}>
        {KINDS.map((k) => (
          <option key={k} value={k}>
            {k}
          </option>
        ))}
      </select>
      <label for="obs-value" class="sr-only">
        Observable value
      </label>
      <input id="obs-value" class="grow" placeholder="Value" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit" disabled={!value.trim()}>
        Add observable
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </form>
  );
}
