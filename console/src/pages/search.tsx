// Search: a query in Vigil's language over a time range, the server's error in place under the
// bar, a histogram (the server's date_histogram; click a bar to narrow), a field sidebar with top
// values (the server's terms aggregations), the hits (a row opens the full event) and a pivot
// from a hit to the alert it raised. The query and range live in the hash (`#/search?q=…&from=…`,
// `from=all` for no bound; a link with `q` and no `from` searches all time).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiFailure, failure, type Schemas } from '../api';
import { href, navigate } from '../router';
import type { RouteProps } from '../routes';
import { can } from '../session';
import { Empty, ErrorBox, Loading, PageHeader, Time, formatTime } from '../ui/common';
import '../styles/search.css';
import {
  type Bucket,
  type Hit,
  PRESETS,
  andQuery,
  commonFields,
  errorColumn,
  fillBuckets,
  flatten,
  instant,
  pickInterval,
  summary,
  term,
} from './search-lib';

const PAGE = 100;
/** Hits the table holds at most (10 pages): past that, narrowing the query or range helps more. */
const MAX_ROWS = 1000;
const SIDEBAR_FIELDS = 12;

interface Params {
  q: string;
  from: string;
  to: string;
}

interface Results {
  total: number;
  hits: Hit[];
  cursor: string | null;
}

interface Histogram {
  buckets: Bucket[];
  interval: string;
}

type TermsBuckets = Schemas['TermsBucket'][];

function body(p: Params, extra: Partial<Schemas['SearchBody']>): Schemas['SearchBody'] {
  return { query: p.q, from: p.from || null, to: p.to || null, ...extra };
}

async function post(b: Schemas['SearchBody']): Promise<Schemas['SearchResponse']> {
  const r = await api.POST('/api/v1/search', { body: b });
  if (!r.response.ok || !r.data) throw failure(r.error, r.response);
  return r.data;
}

export function SearchPage({ query }: RouteProps) {
  // Without `from`, a link with a query (a pivot from another page: `_id:…`, `Computer:…`)
  // searches all time, since its events may be of any age; the bare page opens on 24 hours.
  const rawFrom = query.get('from');
  const q = query.get('q') ?? '';
  const from = rawFrom === null ? (q ? '' : '24h') : rawFrom === 'all' ? '' : rawFrom;
  const params: Params = { q, from, to: query.get('to') ?? '' };
  const key = `${params.q}\u0000${params.from}\u0000${params.to}`;
  const [draft, setDraft] = useState(params.q);
  const [results, setResults] = useState<Results | undefined>(undefined);
  const [error, setError] = useState<ApiFailure | undefined>(undefined);
  const [loading, setLoading] = useState(false);
  const [histogram, setHistogram] = useState<Histogram | undefined>(undefined);
  const [fields, setFields] = useState<[string, TermsBuckets][]>([]);
  const generation = useRef(0);

  useEffect(() => setDraft(params.q), [params.q]);
  useSlashFocus();

  useEffect(() => {
    const mine = ++generation.current;
    const live = () => mine === generation.current;
    setLoading(true);
    setError(undefined);
    setHistogram(undefined);
    setFields([]);
    void (async () => {
      try {
        const first = await post(body(params, { size: PAGE, sort: 'desc' }));
        if (!live()) return;
        setResults({ total: first.total, hits: first.hits, cursor: first.next_cursor ?? null });
        setLoading(false);
        await loadAggs(params, first, live, setHistogram, setFields);
      } catch (e) {
        if (!live()) return;
        setResults(undefined);
        setError(e instanceof ApiFailure ? e : new ApiFailure(0, 'network', `the server cannot be reached: ${String(e)}`));
        setLoading(false);
      }
    })();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const go = (next: Partial<Params>) => {
    const p = { ...params, ...next };
    navigate('/search', { q: p.q, from: p.from || 'all', to: p.to });
  };

  const more = async () => {
    if (!results?.cursor) return;
    const mine = generation.current;
    try {
      const page = await post(body(params, { size: PAGE, sort: 'desc', cursor: results.cursor }));
      if (mine !== generation.current) return;
      setResults({ total: page.total, hits: [...results.hits, ...page.hits], cursor: page.next_cursor ?? null });
    } catch (e) {
      if (e instanceof ApiFailure) setError(e);
    }
  };

  return (
    <section class="page search-page" data-page="search">
      <PageHeader title="Search" />
      <QueryBar draft={draft} setDraft={setDraft} error={error} onSubmit={() => go({ q: draft })} />
      <TimePicker from={params.from} to={params.to} onChange={(from, to) => go({ from, to })} />
      {error && error.code !== 'bad_query' ? <ErrorBox error={error} /> : null}
      {histogram ? (
        <HistogramPanel histogram={histogram} total={results?.total ?? 0} onPick={(b) => go({ from: new Date(b.start).toISOString(), to: new Date(b.end).toISOString() })} />
      ) : null}
      <div class="search-body">
        <FieldSidebar fields={fields} onAdd={(f, v, not) => go({ q: andQuery(params.q, `${not ? 'NOT ' : ''}${term(f, v)}`) })} />
        <div class="search-results">
          {loading ? <Loading what="events" /> : null}
          {results && !loading ? <ResultsTable results={results} onMore={more} /> : null}
        </div>
      </div>
    </section>
  );
}

/** `/` anywhere but in a field puts the cursor in the query bar. */
function useSlashFocus() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      if (t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName))) return;
      e.preventDefault();
      document.getElementById('search-query')?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/** The histogram and the field sidebar's top values: one request of aggregations only. */
async function loadAggs(
  params: Params,
  first: Schemas['SearchResponse'],
  live: () => boolean,
  setHistogram: (h: Histogram) => void,
  setFields: (f: [string, TermsBuckets][]) => void,
) {
  if (first.total === 0) {
    setHistogram({ buckets: [], interval: '' });
    return;
  }
  const now = Date.now();
  let start = instant(params.from, now);
  const newest = Date.parse(first.hits[0]?.time ?? '') + 1 || now;
  const end = instant(params.to, now) ?? (params.from ? now : newest);
  if (start === null) {
    const oldest = await post(body(params, { size: 1, sort: 'asc' }));
    start = Date.parse(oldest.hits[0]?.time ?? '') || now;
  }
  const interval = pickInterval(Math.max(1000, end - start));
  const names = commonFields(first.hits, SIDEBAR_FIELDS);
  const aggs: Record<string, Schemas['Agg']> = { histogram: { date_histogram: { interval: interval.text } } };
  names.forEach((f, i) => (aggs[`f${i}`] = { terms: { field: f, size: 5 } }));
  const answer = await post(body(params, { size: 0, aggs }));
  if (!live()) return;
  const h = answer.aggs?.histogram;
  const server = h && h.type === 'date_histogram' ? h.buckets : [];
  setHistogram({ buckets: fillBuckets(server, start, end, interval.seconds), interval: interval.text });
  const out: [string, TermsBuckets][] = [];
  names.forEach((f, i) => {
    const a = answer.aggs?.[`f${i}`];
    if (a && a.type === 'terms' && a.buckets.length) out.push([f, a.buckets]);
  });
  setFields(out);
}

function QueryBar({ draft, setDraft, error, onSubmit }: { draft: string; setDraft: (s: string) => void; error: ApiFailure | undefined; onSubmit: () => void }) {
  const bad = error?.code === 'bad_query' ? error : undefined;
  const column = bad ? errorColumn(bad.message) : null;
  return (
    <form
      class="query-bar"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      <div class="row">
        <label for="search-query" class="skip-label">
          Query
        </label>
        <input
          id="search-query"
          class="grow mono"
          type="search"
          value={draft}
          placeholder='EventID:4624 AND NOT User:"SYSTEM"'
          aria-invalid={bad ? 'true' : undefined}
          aria-describedby={bad ? 'search-query-error' : undefined}
          onInput={(e) => setDraft((e.currentTarget as HTMLInputElement).value)}
          spellcheck={false}
          autocomplete="off"
        />
        <button type="submit" class="primary" title="Enter; / puts the cursor in the query">
          Search
        </button>
      </div>
      {bad ? (
        <div id="search-query-error" class="query-error" role="alert" data-error-column={column ?? undefined}>
          {column !== null ? (
            <pre class="query-caret" aria-hidden="true">
              {`${draft}\n${' '.repeat(Math.max(0, column))}^`}
            </pre>
          ) : null}
          <span>{bad.message}</span>
        </div>
      ) : null}
    </form>
  );
}

function toLocalInput(v: string): string {
  const t = Date.parse(v);
  if (!v || Number.isNaN(t) || /^\d+[smhdw]$/.test(v)) return '';
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function TimePicker({ from, to, onChange }: { from: string; to: string; onChange: (from: string, to: string) => void }) {
  const preset = !to && PRESETS.some((p) => p.value === from) ? from : 'custom';
  const [custom, setCustom] = useState(preset === 'custom');
  const [cFrom, setCFrom] = useState(toLocalInput(from));
  const [cTo, setCTo] = useState(toLocalInput(to));
  useEffect(() => {
    setCFrom(toLocalInput(from));
    setCTo(toLocalInput(to));
    setCustom(preset === 'custom');
  }, [from, to, preset]);
  const apply = () => {
    const iso = (v: string) => (v ? new Date(v).toISOString() : '');
    onChange(iso(cFrom), iso(cTo));
  };
  return (
    <div class="row time-picker">
      <label for="search-range">Time range</label>
      <select
        id="search-range"
        value={custom ? 'custom' : preset}
        onChange={(e) => {
          const v = (e.currentTarget as HTMLSelectElement).value;
          if (v === 'custom') setCustom(true);
          else {
            setCustom(false);
            onChange(v, '');
          }
        }}
      >
        {PRESETS.map((p) => (
          <option key={p.value} value={p.value}>
            {p.label}
          </option>
        ))}
        <option value="custom">Custom range…</option>
      </select>
      {custom ? (
        <>
          <label for="search-from">From</label>
          <input id="search-from" type="datetime-local" step={1} value={cFrom} onInput={(e) => setCFrom((e.currentTarget as HTMLInputElement).value)} />
          <label for="search-to">To</label>
          <input id="search-to" type="datetime-local" step={1} value={cTo} onInput={(e) => setCTo((e.currentTarget as HTMLInputElement).value)} />
          <button type="button" onClick={apply}>
            Apply
          </button>
        </>
      ) : null}
      {from && !PRESETS.some((p) => p.value === from) ? (
        <span class="muted range-text">
          {from ? formatTime(new Date(Date.parse(from))) : '…'} → {to ? formatTime(new Date(Date.parse(to))) : 'now'}
        </span>
      ) : null}
    </div>
  );
}

/** The histogram: one keyboard-reachable button per bucket; picking one narrows the range to it. */
function HistogramPanel({ histogram, total, onPick }: { histogram: Histogram; total: number; onPick: (b: Bucket) => void }) {
  const { buckets } = histogram;
  const width = 1000;
  const height = 110;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const w = buckets.length ? width / buckets.length : width;
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  return (
    <div class="panel histogram" data-histogram data-total={total}>
      <div class="row histogram-head">
        <strong>{total.toLocaleString()} events</strong>
        {histogram.interval ? <span class="muted">per {histogram.interval} · click a bar to narrow the range</span> : null}
      </div>
      {buckets.length ? (
        <svg class="chart bars" viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="group" aria-label="Events over time">
          {buckets.map((b, i) => {
            const h = (b.count / max) * (height - 2);
            const label = `${formatTime(new Date(b.start))}: ${b.count.toLocaleString()} events`;
            return (
              <g
                key={b.start}
                class="pickable"
                role="button"
                tabIndex={b.count > 0 ? 0 : -1}
                aria-label={label}
                data-bucket={new Date(b.start).toISOString()}
                data-count={b.count}
                onClick={() => onPick(b)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    onPick(b);
                  }
                }}
              >
                <title>{label}</title>
                <rect class="bar-hit" x={i * w} y={0} width={w} height={height} />
                <rect class="bar" x={i * w + w * 0.1} y={height - h} width={Math.max(1, w * 0.8)} height={h} />
              </g>
            );
          })}
        </svg>
      ) : (
        <Empty>No events in this range.</Empty>
      )}
      {first && last ? (
        <div class="row histogram-axis muted">
          <span>{formatTime(new Date(first.start))}</span>
          <span class="grow" />
          <span>{formatTime(new Date(last.end))}</span>
        </div>
      ) : null}
    </div>
  );
}

function FieldSidebar({ fields, onAdd }: { fields: [string, TermsBuckets][]; onAdd: (field: string, value: string, not: boolean) => void }) {
  return (
    <aside class="panel field-sidebar" aria-label="Fields">
      <h2>Fields</h2>
      {fields.length === 0 ? <p class="muted">Top values appear with results.</p> : null}
      {fields.map(([f, buckets]) => (
        <details key={f} class="field-values" data-field={f} open={fields.indexOf(fields.find((x) => x[0] === f) as [string, TermsBuckets]) < 4}>
          <summary class="mono">{f}</summary>
          <ul>
            {buckets.map((b) => (
              <li key={b.key} class="value-row">
                <button type="button" class="ghost value-add" title={`Add ${term(f, b.key)} to the query`} onClick={() => onAdd(f, b.key, false)}>
                  <span class="mono value-text">{b.key || '(empty)'}</span>
                  <span class="num muted">{b.doc_count.toLocaleString()}</span>
                </button>
                <button type="button" class="ghost value-not" aria-label={`Exclude ${term(f, b.key)}`} title={`Add NOT ${term(f, b.key)} to the query`} onClick={() => onAdd(f, b.key, true)}>
                  ≠
                </button>
              </li>
            ))}
          </ul>
        </details>
      ))}
    </aside>
  );
}

function ResultsTable({ results, onMore }: { results: Results; onMore: () => void }) {
  const [open, setOpen] = useState<string | null>(null);
  if (results.hits.length === 0) return <Empty>No event matches.</Empty>;
  return (
    <>
      <table class="data results" data-table="search-hits">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Host</th>
            <th scope="col">Input</th>
            <th scope="col">Event</th>
          </tr>
        </thead>
        <tbody>
          {results.hits.map((h) => (
            <HitRow key={h.id} hit={h} open={open === h.id} toggle={() => setOpen(open === h.id ? null : h.id)} />
          ))}
        </tbody>
      </table>
      <div class="row results-foot">
        <span class="muted">
          {results.hits.length.toLocaleString()} of {results.total.toLocaleString()} shown
        </span>
        {results.cursor && results.hits.length < MAX_ROWS ? (
          <button type="button" onClick={onMore}>
            Load {PAGE} more
          </button>
        ) : null}
        {results.cursor && results.hits.length >= MAX_ROWS ? <span class="muted">Narrow the query or the time range to see the rest.</span> : null}
      </div>
    </>
  );
}

function HitRow({ hit, open, toggle }: { hit: Hit; open: boolean; toggle: () => void }) {
  return (
    <>
      <tr data-row-id={hit.id} class={open ? 'open' : ''}>
        <td class="nowrap">
          <button type="button" class="ghost expand" aria-expanded={open} aria-label={`${open ? 'Hide' : 'Show'} event ${hit.id}`} onClick={toggle}>
            {open ? '▾' : '▸'}
          </button>
          <Time at={hit.time} />
        </td>
        <td>{hit.host ?? <span class="muted">—</span>}</td>
        <td>{hit.input}</td>
        <td class="mono summary-cell">{summary(hit)}</td>
      </tr>
      {open ? (
        <tr class="hit-detail" data-detail-for={hit.id}>
          <td colSpan={4}>
            <HitDetail hit={hit} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function HitDetail({ hit }: { hit: Hit }) {
  const pairs = flatten(hit.fields);
  return (
    <div class="hit-detail-body">
      <div class="row">
        <span class="muted mono">event {hit.id}</span>
        {hit.ingest_time ? <span class="muted">(time is the ingest time)</span> : null}
        <span class="grow" />
        {can('alert:read') ? <Pivot hit={hit} /> : null}
      </div>
      <table class="data fields-table" aria-label={`Fields of event ${hit.id}`}>
        <tbody>
          {pairs.map(([k, v]) => (
            <tr key={k}>
              <th scope="row" class="mono">
                {k}
              </th>
              <td class="mono wrap">{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type PivotState =
  | { kind: 'idle' }
  | { kind: 'looking'; to: Target }
  | { kind: 'none' }
  | { kind: 'several'; alerts: Schemas['Alert'][]; more: boolean }
  | { kind: 'no-incident'; alert: string }
  | { kind: 'error'; error: ApiFailure };
type Target = 'alert' | 'incident';

/** The alerts raised on this event, newest first (the server's `event_id` filter; at most 50). */
async function alertsOf(hit: Hit): Promise<{ alerts: Schemas['Alert'][]; more: boolean }> {
  const query = { event_id: hit.id, host: hit.host ?? undefined, limit: 50 };
  const r = await api.GET('/api/v1/alerts', { params: { query } });
  if (!r.response.ok || !r.data) throw failure(r.error, r.response);
  return { alerts: r.data.alerts, more: r.data.total > r.data.alerts.length };
}

function Pivot({ hit }: { hit: Hit }) {
  const [state, setState] = useState<PivotState>({ kind: 'idle' });
  const find = async (to: Target) => {
    setState({ kind: 'looking', to });
    try {
      const { alerts, more } = await alertsOf(hit);
      const [first] = alerts;
      if (!first) return setState({ kind: 'none' });
      if (to === 'incident') {
        const inIncident = alerts.find((a) => a.incident_id);
        if (inIncident?.incident_id) return navigate(`/incidents/${inIncident.incident_id}`);
        return setState({ kind: 'no-incident', alert: first.id });
      }
      // Several rules can fire on one event: let the analyst choose.
      if (alerts.length === 1) return navigate(`/alerts/${first.id}`);
      setState({ kind: 'several', alerts, more });
    } catch (e) {
      setState({ kind: 'error', error: e instanceof ApiFailure ? e : new ApiFailure(0, 'network', String(e)) });
    }
  };
  const looking = state.kind === 'looking';
  return (
    <span class="row pivot">
      <button type="button" onClick={() => find('alert')} disabled={looking}>
        {looking && state.to === 'alert' ? 'Looking for its alert…' : 'Open its alert'}
      </button>
      {can('case:read') ? (
        <button type="button" onClick={() => find('incident')} disabled={looking}>
          {looking && state.to === 'incident' ? 'Looking for its incident…' : 'Open its incident'}
        </button>
      ) : null}
      <a class="button" href={href('/search', { q: `_id:${hit.id}`, from: 'all' })}>
        Link to this event
      </a>
      {state.kind === 'none' ? <span class="muted" role="status">No alert was raised on this event.</span> : null}
      {state.kind === 'several' ? (
        <span role="status" data-pivot-alerts>
          {state.alerts.length}
          {state.more ? '+' : ''} alerts on this event:{' '}
          {state.alerts.map((a, i) => (
            <span key={a.id}>
              {i > 0 ? ', ' : ''}
              <a href={href(`/alerts/${a.id}`)} data-alert-id={a.id}>
                {a.rule_title}
              </a>
            </span>
          ))}
        </span>
      ) : null}
      {state.kind === 'no-incident' ? (
        <span class="muted" role="status">
          Its <a href={href(`/alerts/${state.alert}`)}>alert</a> is in no incident.
        </span>
      ) : null}
      {state.kind === 'error' ? <ErrorBox error={state.error} /> : null}
    </span>
  );
}
