// The SOC dashboard: KPI tiles (the server's KPI report, docs/measure.md), SLA compliance, alert
// volume over the period, top rules and sources, the backlog, and the shift handover with its
// downloads. A period picker (24 h / 7 d / 30 d) lives in the hash (`#/dashboard?period=7d`).
import { api, apiUrl, type Schemas } from '../api';
import { href, navigate } from '../router';
import type { RouteProps } from '../routes';
import { Bars, type Bar, HBars } from '../ui/chart';
import { Ago, Empty, ErrorBox, Loading, PageHeader, duration, formatTime } from '../ui/common';
import { useApi } from '../ui/use-api';
import '../styles/dashboard.css';

type Kpi = Schemas['Kpi'];
type Report = Schemas['KpiReport'];
type Alert = Schemas['Alert'];

const PERIODS: { value: string; label: string; bucketHours: number }[] = [
  { value: '24h', label: '24 hours', bucketHours: 1 },
  { value: '7d', label: '7 days', bucketHours: 6 },
  { value: '30d', label: '30 days', bucketHours: 24 },
];

/** Alerts read for the volume chart: at most this many pages of 1000. */
const ALERT_PAGES = 10;

export function DashboardPage({ query }: RouteProps) {
  const period = PERIODS.find((p) => p.value === query.get('period')) ?? (PERIODS[0] as (typeof PERIODS)[number]);
  const kpis = useApi(() => api.GET('/api/v1/kpis', { params: { query: { from: period.value } } }), [period.value]);
  const alerts = useApi(() => loadAlerts(period.value), [period.value]);
  return (
    <section class="page dashboard" data-page="dashboard">
      <PageHeader title="Dashboard">
        <div class="period-picker" role="group" aria-label="Period">
          {PERIODS.map((p) => (
            <button key={p.value} type="button" aria-pressed={p.value === period.value} class={p.value === period.value ? 'primary' : ''} onClick={() => navigate('/dashboard', { period: p.value })}>
              {p.label}
            </button>
          ))}
        </div>
      </PageHeader>
      {kpis.error ? <ErrorBox error={kpis.error} /> : null}
      {kpis.loading && !kpis.data ? <Loading what="KPIs" /> : null}
      {kpis.data ? <Tiles report={kpis.data} /> : null}
      <div class="grid-2">
        <div class="panel" data-chart="alert-volume">
          <h2>Alert volume</h2>
          {alerts.error ? <ErrorBox error={alerts.error} /> : null}
          {alerts.data ? <Volume alerts={alerts.data.alerts} period={period} truncated={alerts.data.truncated} /> : alerts.loading ? <Loading what="alerts" /> : null}
        </div>
        <div class="panel" data-chart="sla">
          <h2>SLA compliance</h2>
          {kpis.data ? <Sla report={kpis.data} /> : null}
        </div>
        <div class="panel" data-chart="top-rules">
          <h2>Top rules</h2>
          {kpis.data ? <TopRules report={kpis.data} /> : null}
        </div>
        <div class="panel" data-chart="top-sources">
          <h2>Top sources</h2>
          {kpis.data ? <TopSources report={kpis.data} /> : null}
        </div>
        <div class="panel" data-chart="backlog">
          <h2>Backlog by age</h2>
          {kpis.data ? <Backlog rows={kpis.data.backlog ?? []} /> : null}
        </div>
      </div>
      <Handover since={period.value} />
    </section>
  );
}

async function loadAlerts(since: string) {
  const all: Alert[] = [];
  let cursor: string | undefined;
  let response: Response | undefined;
  for (let page = 0; page < ALERT_PAGES; page++) {
    const r = await api.GET('/api/v1/alerts', { params: { query: { since, limit: 1000, cursor } } });
    response = r.response;
    if (!r.response.ok || !r.data) return { error: r.error, response: r.response };
    all.push(...r.data.alerts);
    cursor = r.data.next_cursor ?? undefined;
    if (!cursor) break;
  }
  return { data: { alerts: all, truncated: cursor !== undefined }, response: response as Response };
}

function find(list: Kpi[] | undefined, name: string): Kpi | undefined {
  return list?.find((k) => k.name === name && !k.group && !k.rule);
}

function seconds(k: Kpi | undefined): string {
  return k && k.n > 0 && k.value_seconds != null ? duration(k.value_seconds) : '—';
}

function percent(v: number | null | undefined): string {
  return v == null ? '—' : `${(v * 100).toFixed(v >= 0.995 || v === 0 ? 0 : 1)} %`;
}

function samples(k: Kpi | undefined): string {
  if (!k) return 'not reported';
  const ex = k.excluded ? `, ${k.excluded} left out (older than the MTTD cut-off)` : '';
  return k.n === 0 ? `no samples yet${ex}` : `n = ${k.n.toLocaleString()}${ex}`;
}

function Tile({ kpi, label, value, sub, title }: { kpi: string; label: string; value: string; sub: string; title?: string }) {
  return (
    <div class="tile" data-kpi={kpi} title={title}>
      <div class="label">{label}</div>
      <div class="value">{value}</div>
      <div class="sub muted">{sub}</div>
    </div>
  );
}

/** Alert KPIs first (every alert counts); the incident figure when alerts have none. */
function Tiles({ report }: { report: Report }) {
  const pick = (name: string) => {
    const a = find(report.alerts, name);
    const i = find(report.incidents, name);
    return a && a.n > 0 ? { k: a, of: 'alerts' } : i && i.n > 0 ? { k: i, of: 'incidents' } : { k: a ?? i, of: a ? 'alerts' : 'incidents' };
  };
  const time = (name: string, label: string) => {
    const { k, of } = pick(name);
    return <Tile kpi={name} label={label} value={seconds(k)} sub={`${of}: ${samples(k)}`} title={k?.formula} />;
  };
  const mtbf = find(report.incidents, 'mtbf');
  const fp = find(report.alerts, 'false_positive_rate');
  const volume = find(report.alerts, 'alert_volume');
  const backlog = (report.backlog ?? []).filter((r) => r.kind === 'alert').reduce((s, r) => s + r.total, 0);
  const openIncidents = (report.backlog ?? []).filter((r) => r.kind !== 'alert').reduce((s, r) => s + r.total, 0);
  return (
    <div class="tiles" aria-label="Key figures">
      {time('mttd', 'MTTD · mean time to detect')}
      {time('mtta', 'MTTA · mean time to acknowledge')}
      {time('mttr', 'MTTR · mean time to resolve')}
      <Tile kpi="mtbf" label="MTBF · mean time between failures" value={seconds(mtbf)} sub={`incidents: ${samples(mtbf)}`} title={mtbf?.formula} />
      <Tile kpi="false_positive_rate" label="False-positive rate" value={fp && fp.n > 0 ? percent(fp.value) : '—'} sub={fp?.n ? `of ${fp.n.toLocaleString()} closed with a disposition` : 'no alert closed with a disposition yet'} title={fp?.formula} />
      <Tile kpi="alert_volume" label="Alerts in the period" value={(volume?.value ?? 0).toLocaleString()} sub={volume?.formula ?? ''} />
      <Tile kpi="backlog" label="Backlog · open alerts" value={backlog.toLocaleString()} sub={`${openIncidents.toLocaleString()} open incidents · as of now`} />
    </div>
  );
}

function Volume({ alerts, period, truncated }: { alerts: Alert[]; period: (typeof PERIODS)[number]; truncated: boolean }) {
  const step = period.bucketHours * 3600_000;
  const now = Date.now();
  const span = Number.parseInt(period.value, 10) * (period.value.endsWith('d') ? 86400_000 : 3600_000);
  const first = Math.floor((now - span) / step) * step;
  const counts = new Map<number, number>();
  for (const a of alerts) {
    const t = Math.floor(Date.parse(a.detected) / step) * step;
    counts.set(t, (counts.get(t) ?? 0) + 1);
  }
  const bars: Bar[] = [];
  for (let t = first; t <= now; t += step) {
    const d = new Date(t);
    bars.push({ label: formatTime(d).slice(0, 16), value: counts.get(t) ?? 0, title: `${formatTime(d).slice(0, 16)} (${period.bucketHours} h)` });
  }
  return (
    <>
      <Bars bars={bars} label={`Alerts detected per ${period.bucketHours} h`} />
      <div class="row axis-row muted">
        <span>{bars[0]?.label}</span>
        <span class="grow" />
        <span>{bars[bars.length - 1]?.label}</span>
      </div>
      <p class="muted small">
        {alerts.length.toLocaleString()} alerts, per {period.bucketHours} h{truncated ? ' (the newest only: more than the chart reads)' : ''} ·{' '}
        <a href={href('/alerts')}>open the queue</a>
      </p>
    </>
  );
}

function Sla({ report }: { report: Report }) {
  const rows = [
    ['sla_acknowledge', 'Acknowledge'],
    ['sla_contain', 'Contain'],
    ['sla_resolve', 'Resolve'],
  ] as const;
  return (
    <table class="data sla" data-table="sla">
      <thead>
        <tr>
          <th scope="col">Timer</th>
          <th scope="col" class="num">
            Met
          </th>
          <th scope="col" class="num">
            Timers
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([name, label]) => {
          const k = find(report.incidents, name);
          const v = k && k.n > 0 ? (k.value ?? null) : null;
          return (
            <tr key={name} data-kpi={name}>
              <th scope="row">{label}</th>
              <td class={`num ${v == null ? 'muted' : v >= 0.95 ? 'ok' : v >= 0.8 ? 'warn' : 'bad'}`}>{v == null ? '—' : percent(v)}</td>
              <td class="num">{(k?.n ?? 0).toLocaleString()}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function TopRules({ report }: { report: Report }) {
  const rules = report.rules
    .filter((k) => k.name === 'alert_volume' && (k.value ?? 0) > 0)
    .sort((a, b) => (b.value ?? 0) - (a.value ?? 0))
    .slice(0, 10);
  if (!rules.length) return <Empty>No alert in the period.</Empty>;
  const bars: Bar[] = rules.map((k) => ({ label: (k.rule ? report.rule_titles?.[k.rule] : undefined) ?? k.rule ?? '?', value: k.value ?? 0, title: k.rule ?? undefined }));
  return <HBars bars={bars} label="Alerts per rule" />;
}

function TopSources({ report }: { report: Report }) {
  const sources = report.sources
    .filter((k) => k.name === 'alert_volume' && (k.value ?? 0) > 0)
    .sort((a, b) => (b.value ?? 0) - (a.value ?? 0))
    .slice(0, 10);
  if (!sources.length) return <Empty>No alert in the period.</Empty>;
  return <HBars bars={sources.map((k) => ({ label: k.group || '(none)', value: k.value ?? 0 }))} label="Alerts per source" />;
}

const AGES = [
  ['under_1h', '< 1 h'],
  ['from_1h_to_4h', '1–4 h'],
  ['from_4h_to_24h', '4–24 h'],
  ['from_1d_to_7d', '1–7 d'],
  ['over_7d', '> 7 d'],
] as const;

function Backlog({ rows }: { rows: Schemas['BacklogRow'][] }) {
  if (!rows.length) return <Empty>Nothing open.</Empty>;
  return (
    <table class="data backlog" data-table="backlog">
      <thead>
        <tr>
          <th scope="col">Open</th>
          {AGES.map(([, l]) => (
            <th key={l} scope="col" class="num">
              {l}
            </th>
          ))}
          <th scope="col" class="num">
            Total
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={`${r.kind}-${r.group}`} data-row-id={`${r.kind}-${r.group}`}>
            <th scope="row">
              {r.kind === 'alert' ? 'alerts' : 'incidents'} · {r.group}
            </th>
            {AGES.map(([k]) => (
              <td key={k} class="num">
                {r[k].toLocaleString()}
              </td>
            ))}
            <td class="num">{r.total.toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Handover({ since }: { since: string }) {
  const h = useApi(() => api.GET('/api/v1/handover', { params: { query: { since } } }), [since]);
  const link = (format: string) => apiUrl('/api/v1/handover', { since, format });
  const d = h.data && typeof h.data === 'object' ? (h.data as Schemas['Handover']) : undefined;
  return (
    <div class="panel handover" data-handover>
      <div class="row">
        <h2 class="grow">Shift handover</h2>
        <a class="button" href={link('html')} download={`handover-${since}.html`}>
          Download (HTML)
        </a>
        <a class="button" href={link('text')} download={`handover-${since}.txt`}>
          Download (text)
        </a>
      </div>
      {h.error ? <ErrorBox error={h.error} /> : null}
      {h.loading && !d ? <Loading what="the handover" /> : null}
      {d ? (
        <>
          <p class="muted">
            From {formatTime(new Date(d.since))} to {formatTime(new Date(d.until))}, as of {formatTime(new Date(d.generated))}
            {d.truncated ? ' (some listings were cut short)' : ''}.
          </p>
          <ul class="handover-summary">
            <li data-handover-item="new-alerts">
              <strong>{d.new_alerts.total.toLocaleString()}</strong> alerts still new
              {d.new_alerts.oldest ? (
                <>
                  , the oldest <Ago at={d.new_alerts.oldest} />
                </>
              ) : null}
            </li>
            <li data-handover-item="breached" class={d.breached.length ? 'bad' : ''}>
              <strong>{d.breached.length}</strong> SLA timers breached, <strong>{d.near_breach.length}</strong> near a breach
            </li>
            <li data-handover-item="open">
              <strong>{d.open.length}</strong> incidents open, <strong>{d.opened.length}</strong> opened and <strong>{d.changed.length}</strong> changed in the period
            </li>
          </ul>
          {d.breached.length + d.near_breach.length > 0 ? (
            <table class="data" data-table="handover-sla">
              <thead>
                <tr>
                  <th scope="col">Incident</th>
                  <th scope="col">Timer</th>
                  <th scope="col">Due</th>
                </tr>
              </thead>
              <tbody>
                {[...d.breached, ...d.near_breach].map((a) => (
                  <tr key={`${a.incident_id}-${a.metric}`} data-row-id={a.incident_id}>
                    <td>
                      <a href={href(`/incidents/${a.incident_id}`)}>{a.title}</a>
                    </td>
                    <td>{a.metric}</td>
                    <td>{a.due ? <Ago at={a.due} /> : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {d.new_alerts.top_rules.length ? (
            <>
              <h3>New alerts by rule</h3>
              <HBars bars={d.new_alerts.top_rules.map((r) => ({ label: r.rule_title, value: r.alerts, title: r.rule_id }))} label="New alerts by rule" />
            </>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
