// The audit log (GET api/v1/audit): filters by time, actor, action and outcome, paged by cursor
// ("Older" follows next_cursor; "Newest" goes back to the first page).
import { useState } from 'preact/hooks';
import { api, apiUrl, type Schemas } from '../api';
import type { RouteProps } from '../routes';
import { navigate } from '../router';
import { Badge, Empty, ErrorBox, Loading, PageHeader, Time } from '../ui/common';
import { useApi } from '../ui/use-api';
import '../styles/coverage.css';

type Outcome = Schemas['AuditOutcome'];
const OUTCOMES: Outcome[] = ['success', 'failure', 'denied'];
const FIELDS = ['since', 'until', 'actor', 'action'] as const;

export function Audit({ query }: RouteProps) {
  const [draft, setDraft] = useState<Record<string, string>>(() => Object.fromEntries(FIELDS.map((f) => [f, query.get(f) ?? ''])));
  const outcome = (query.get('outcome') ?? '') as Outcome | '';
  const cursor = query.get('cursor') ?? '';
  const filters: Record<string, string> = {};
  for (const f of FIELDS) {
    const v = query.get(f);
    if (v) filters[f] = v;
  }
  const key = query.toString();
  const page = useApi(
    () => api.GET('/api/v1/audit', { params: { query: { ...filters, ...(outcome ? { outcome } : {}), ...(cursor ? { cursor } : {}), limit: 100 } } }),
    [key],
  );
  const apply = (extra: Record<string, string>) => {
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...draft, outcome, ...extra })) if (v) next.set(k, v);
    navigate('/audit', next);
  };
  const entries = page.data?.entries ?? [];
  return (
    <section class="page" data-page="audit">
      <PageHeader title="Audit log">
        <a class="button" href={apiUrl('/api/v1/audit/export')} download="vigil-audit.ndjson" title="Every entry of your tenant, oldest first, with its hash chain">
          Export all (NDJSON)
        </a>
      </PageHeader>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          apply({});
        }}
      >
        {FIELDS.map((f) => (
          <div class="field" key={f}>
            <label for={`audit-${f}`}>{f[0]?.toUpperCase() + f.slice(1)}</label>
            <input
              id={`audit-${f}`}
              value={draft[f] ?? ''}
              placeholder={f === 'since' || f === 'until' ? '24h, 2026-12-01' : f === 'actor' ? 'user:alice' : 'auth.'}
              onInput={(e) => setDraft({ ...draft, [f]: e.currentTarget.value })}
            />
          </div>
        ))}
        <div class="field">
          <label for="audit-outcome">Outcome</label>
          <select id="audit-outcome" value={outcome} onChange={(e) => apply({ outcome: e.currentTarget.value })}>
            <option value="">any</option>
            {OUTCOMES.map((o) => (
              <option key={o}>{o}</option>
            ))}
          </select>
        </div>
        <button type="submit" class="primary">
          Filter
        </button>
      </form>
      {page.error ? <ErrorBox error={page.error} /> : null}
      {page.loading && !page.data ? <Loading what="the audit log" /> : null}
      {page.data && entries.length === 0 ? <Empty>No entry matches.</Empty> : null}
      {entries.length ? (
        <div class="table-wrap" role="region" aria-label="Audit entries" tabIndex={0}>
          <table class="data" data-table="audit">
            <thead>
              <tr>
                <th scope="col" class="num">#</th>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Source</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.seq} data-row-id={String(e.seq)}>
                  <td class="num">{e.seq}</td>
                  <td>
                    <Time at={e.at} />
                  </td>
                  <td class="wrap mono">{e.actor}</td>
                  <td class="mono">{e.action}</td>
                  <td class="wrap mono">{e.target ?? '—'}</td>
                  <td>
                    <Badge tone={e.outcome === 'success' ? 'ok' : e.outcome === 'denied' ? 'warn' : 'bad'}>{e.outcome}</Badge>
                  </td>
                  <td class="mono">{e.source ?? '—'}</td>
                  <td class="wrap mono">{e.detail === undefined || e.detail === null ? '' : JSON.stringify(e.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <div class="row">
        {cursor ? (
          <button type="button" onClick={() => apply({ cursor: '' })}>
            Newest
          </button>
        ) : null}
        {page.data?.next_cursor ? (
          <button type="button" onClick={() => apply({ cursor: page.data?.next_cursor ?? '' })}>
            Older
          </button>
        ) : null}
      </div>
    </section>
  );
}
