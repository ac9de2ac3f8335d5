// Log-source health (GET api/v1/sources): each source's status, volume, baseline, uptime and
// silences in a window, and the sources enabled rules expect but nothing sends
// (GET api/v1/sources/expected).
import { api, type Schemas } from '../api';
import type { RouteProps } from '../routes';
import { navigate } from '../router';
import { Ago, Badge, duration, Empty, ErrorBox, Loading, PageHeader, Time } from '../ui/common';
import { useApi } from '../ui/use-api';
import '../styles/coverage.css';

type Status = Schemas['SourceStatus'];
const WINDOWS = ['24h', '7d', '30d', '365d', '3650d'];
const STATUSES: Status[] = ['healthy', 'new', 'silent'];

function figure(f: Schemas['SourceFigure'], asPercent: boolean): string {
  if (f.value_seconds !== null && f.value_seconds !== undefined) return duration(f.value_seconds);
  if (f.value === null || f.value === undefined) return '—';
  return asPercent ? `${Math.round(f.value * 1000) / 10}%` : f.value.toLocaleString();
}

function logsource(s: { product?: string | null; service?: string | null; category?: string | null }): string {
  return [s.product, s.service, s.category].map((x) => x ?? '*').join(' / ');
}

export function Sources({ query }: RouteProps) {
  const from = query.get('from') ?? '7d';
  const status = (query.get('status') ?? '') as Status | '';
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(query);
    next.set(k, v);
    if (!v) next.delete(k);
    navigate('/sources', next, true);
  };
  const report = useApi(() => api.GET('/api/v1/sources', { params: { query: { from, ...(status ? { status } : {}) } } }), [from, status]);
  const expected = useApi(() => api.GET('/api/v1/sources/expected', { params: { query: { from } } }), [from]);
  const sources = report.data?.sources ?? [];
  return (
    <section class="page" data-page="sources">
      <PageHeader title="Source health">
        <div class="field">
          <label for="sources-from">Window</label>
          <select id="sources-from" value={from} onChange={(e) => set('from', e.currentTarget.value)}>
            {WINDOWS.map((w) => (
              <option key={w} value={w}>
                last {w}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="sources-status">Status</label>
          <select id="sources-status" value={status} onChange={(e) => set('status', e.currentTarget.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
      </PageHeader>
      {report.error ? <ErrorBox error={report.error} /> : null}
      {report.loading && !report.data ? <Loading what="sources" /> : null}
      {report.data && sources.length === 0 ? <Empty>No source sent events in this window.</Empty> : null}
      {sources.length ? (
        <div class="table-wrap" role="region" aria-label="Sources" tabIndex={0}>
          <table class="data" data-table="sources">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Host</th>
                <th scope="col">Input</th>
                <th scope="col">Log source</th>
                <th scope="col" class="num">Events</th>
                <th scope="col" class="num">Baseline / h</th>
                <th scope="col" class="num">Uptime</th>
                <th scope="col" class="num">MTBF</th>
                <th scope="col">Last event</th>
                <th scope="col">First seen</th>
              </tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <tr key={s.id} data-row-id={s.id}>
                  <td>
                    <Badge tone={s.status === 'healthy' ? 'ok' : s.status === 'silent' ? 'bad' : 'info'}>{s.status}</Badge>
                    {s.silent_since ? (
                      <div class="muted">
                        silent <Ago at={s.silent_since} />
                      </div>
                    ) : null}
                  </td>
                  <td class="wrap">{s.host ?? '—'}</td>
                  <td class="wrap mono">{s.input}</td>
                  <td class="mono">{logsource(s)}</td>
                  <td class="num">{s.events.toLocaleString()}</td>
                  <td class="num">{s.baseline_per_hour === null || s.baseline_per_hour === undefined ? '—' : s.baseline_per_hour.toFixed(1)}</td>
                  <td class="num" title={s.uptime.formula}>
                    {figure(s.uptime, true)}
                  </td>
                  <td class="num" title={s.mtbf.formula}>
                    {figure(s.mtbf, false)}
                  </td>
                  <td>
                    <Ago at={s.last_event} />
                  </td>
                  <td>
                    <Time at={s.first_seen} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <h2>Expected but absent</h2>
      {expected.error ? <ErrorBox error={expected.error} /> : null}
      {expected.data ? (
        expected.data.absent.length === 0 ? (
          <Empty>Every log source the enabled rules need ({expected.data.expected}) reported in this window.</Empty>
        ) : (
          <table class="data" data-table="sources-absent">
            <caption class="muted">
              {expected.data.absent.length} of {expected.data.expected} log sources the enabled rules need sent nothing in this window.
            </caption>
            <thead>
              <tr>
                <th scope="col">Log source</th>
                <th scope="col" class="num">Rules</th>
                <th scope="col">Some of them</th>
              </tr>
            </thead>
            <tbody>
              {expected.data.absent.map((a) => (
                <tr key={logsource(a)} data-row-id={logsource(a)}>
                  <td class="mono">{logsource(a)}</td>
                  <td class="num">{a.rules.length}</td>
                  <td class="wrap mono">{a.rules.slice(0, 5).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </section>
  );
}
