// The alert queue: filters and saved views in the URL, a virtualised list (10,000 rows scroll
// like 50), live changes from the alert stream (SSE) merged in place with an "N new" notice, and
// keyboard triage (j/k, Enter, a, c, s, x, ?) with bulk actions counted by the server first.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, apiUrl, must, type Schemas } from '../api';
import { href, navigate } from '../router';
import type { RouteProps } from '../routes';
import { can } from '../session';
import { Ago, ErrorBox, Kbd, LevelBadge, Loading, PageHeader } from '../ui/common';
import { toast } from '../ui/toast';
import { VirtualList } from '../ui/virtual-list';
import {
  type Alert,
  type AlertUpdate,
  AssignDialog,
  BulkConfirm,
  CloseDialog,
  HelpDialog,
  IncidentDialog,
  keyIsForSomethingElse,
  LEVEL_RANK,
  myAssignee,
  updateAlert,
} from './alert-triage';
import { SavedViews } from './alert-views';
import '../styles/alerts.css';

/** The filters the server applies (the URL's query holds them). */
const SERVER_FILTERS = ['status', 'min_level', 'rule_id', 'host', 'assignee', 'since'] as const;
/** Most alerts the queue holds (10 pages of 1000). */
const MAX_ROWS = 10_000;
const ROW_HEIGHT = 34;
const DEFAULT_STATUS = 'new,acknowledged';

/** The queue's current alert when the page was left (kept for the way back). */
let lastActive = '';

type Sort = 'newest' | 'oldest' | 'level' | 'rule' | 'host';

type Dialog =
  | { kind: 'close'; ids: string[] }
  | { kind: 'assign'; ids: string[] }
  | { kind: 'bulk'; ids: string[]; update: AlertUpdate; what: string }
  | { kind: 'incident'; alerts: Alert[] }
  | { kind: 'help' };

export interface Filters {
  status: string;
  min_level: string;
  rule_id: string;
  host: string;
  assignee: string;
  since: string;
  text: string;
  sort: Sort;
}

function filtersOf(query: URLSearchParams): Filters {
  return {
    status: query.get('status') ?? DEFAULT_STATUS,
    min_level: query.get('min_level') ?? '',
    rule_id: query.get('rule_id') ?? '',
    host: query.get('host') ?? '',
    assignee: query.get('assignee') ?? '',
    since: query.get('since') ?? '',
    text: query.get('text') ?? '',
    sort: (query.get('sort') as Sort | null) ?? 'newest',
  };
}

/** Whether an alert (new or changed, from the stream) belongs in the list the filters ask for. */
function matches(a: Alert, f: Filters): boolean {
  if (f.status && !f.status.split(',').includes(a.status)) return false;
  if (f.min_level && (LEVEL_RANK[a.level] ?? 0) < (LEVEL_RANK[f.min_level] ?? 0)) return false;
  if (f.rule_id && a.rule_id !== f.rule_id) return false;
  if (f.host && a.host !== f.host) return false;
  if (f.assignee && a.assignee !== f.assignee) return false;
  return true;
}

function textMatch(a: Alert, text: string): boolean {
  if (!text) return true;
  const t = text.toLowerCase();
  return [a.rule_title, a.host ?? '', a.rule_id, a.assignee ?? '', a.id, ...a.attack].some((s) => s.toLowerCase().includes(t));
}

function sortAlerts(list: Alert[], sort: Sort): Alert[] {
  const out = [...list];
  const cmp: Record<Sort, (a: Alert, b: Alert) => number> = {
    newest: (a, b) => b.seq - a.seq,
    oldest: (a, b) => a.seq - b.seq,
    level: (a, b) => (LEVEL_RANK[b.level] ?? 0) - (LEVEL_RANK[a.level] ?? 0) || b.seq - a.seq,
    rule: (a, b) => a.rule_title.localeCompare(b.rule_title) || b.seq - a.seq,
    host: (a, b) => (a.host ?? '').localeCompare(b.host ?? '') || b.seq - a.seq,
  };
  out.sort(cmp[sort]);
  return out;
}

/** Lists the alerts the filters select, a page of 1000 at a time, up to MAX_ROWS. */
async function listAlerts(f: Filters, onPage: (alerts: Alert[], total: number) => void, stale: () => boolean): Promise<void> {
  let cursor: string | undefined;
  let all: Alert[] = [];
  for (;;) {
    const query: Record<string, string | number> = { limit: 1000 };
    for (const k of SERVER_FILTERS) if (f[k]) query[k] = f[k];
    if (cursor) query.cursor = cursor;
    const page = must(await api.GET('/api/v1/alerts', { params: { query } }));
    if (stale()) return;
    all = all.concat(page.alerts);
    onPage(all, page.total);
    if (!page.next_cursor || all.length >= MAX_ROWS) return;
    cursor = page.next_cursor;
  }
}

/** The live state of the queue: the alerts by id, new ones held back, and the stream. */
function useQueue(f: Filters) {
  const [alerts, setAlerts] = useState<Map<string, Alert>>(new Map());
  const [pending, setPending] = useState<Map<string, Alert>>(new Map());
  const [total, setTotal] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<Error | null>(null);
  const [live, setLive] = useState(false);
  const generation = useRef(0);
  const filtersRef = useRef(f);
  filtersRef.current = f;
  const key = SERVER_FILTERS.map((k) => f[k]).join('|');

  const reload = useCallback(() => {
    const mine = ++generation.current;
    setLoading(true);
    setPending(new Map());
    listAlerts(
      filtersRef.current,
      (list, t) => {
        setAlerts(new Map(list.map((a) => [a.id, a])));
        setTotal(t);
        setError(null);
      },
      () => mine !== generation.current,
    )
      .catch((e: unknown) => mine === generation.current && setError(e instanceof Error ? e : new Error(String(e))))
      .finally(() => mine === generation.current && setLoading(false));
  }, []);

  /** Folds changed alerts in: known ones are replaced (or dropped when they leave the filter). */
  const merge = useCallback((changed: Alert[]) => {
    const fl = filtersRef.current;
    setAlerts((old) => {
      const next = new Map(old);
      const fresh: Alert[] = [];
      for (const a of changed) {
        if (old.has(a.id)) {
          if (matches(a, fl)) next.set(a.id, a);
          else next.delete(a.id);
        } else if (matches(a, fl)) fresh.push(a);
      }
      if (fresh.length) {
        setPending((p) => {
          const np = new Map(p);
          for (const a of fresh) np.set(a.id, a);
          return np;
        });
      }
      return next;
    });
    setPending((p) => {
      let np: Map<string, Alert> | null = null;
      for (const a of changed) {
        if (p.has(a.id) && !matches(a, fl)) {
          np ??= new Map(p);
          np.delete(a.id);
        }
      }
      return np ?? p;
    });
  }, []);

  // The stream first, then the list: nothing changed between the two is missed (the first event
  // is the stream's position and carries no alerts).
  useEffect(() => {
    const source = new EventSource(apiUrl('/api/v1/alerts/stream'), { withCredentials: true });
    let listed = false;
    source.addEventListener('alerts', (ev) => {
      const data = JSON.parse((ev as MessageEvent<string>).data) as Schemas['AlertStreamEvent'];
      setLive(true);
      if (!listed || data.reset) {
        listed = true;
        reload();
        return;
      }
      if (data.alerts.length) merge(data.alerts);
    });
    source.onerror = () => setLive(false);
    // If the stream cannot open (a proxy that buffers it), list anyway.
    const fallback = setTimeout(() => {
      if (!listed) {
        listed = true;
        reload();
      }
    }, 3000);
    return () => {
      clearTimeout(fallback);
      source.close();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const showPending = useCallback(() => {
    setPending((p) => {
      if (p.size) {
        setAlerts((old) => {
          const next = new Map(old);
          for (const [id, a] of p) next.set(id, a);
          return next;
        });
        setTotal((t) => t + p.size);
      }
      return new Map();
    });
  }, []);

  return { alerts, pending, total, loading, error, live, reload, merge, showPending };
}

export function Alerts({ query }: RouteProps) {
  const f = filtersOf(query);
  const queue = useQueue(f);
  const [cursor, setCursor] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const triage = can('alert:triage');
  const caseWrite = can('case:write');

  const rows = useMemo(
    () => sortAlerts([...queue.alerts.values()].filter((a) => textMatch(a, f.text)), f.sort),
    [queue.alerts, f.text, f.sort],
  );
  const at = Math.min(cursor, Math.max(0, rows.length - 1));
  const current = rows[at];
  // Back from an alert's page, the cursor is where it was.
  const restored = useRef(false);
  useEffect(() => {
    if (restored.current || rows.length === 0) return;
    restored.current = true;
    const i = rows.findIndex((a) => a.id === lastActive);
    if (i > 0) setCursor(i);
  }, [rows]);
  // Noted as it renders (an effect could be cut short by Enter opening the alert at once).
  if (current && restored.current) lastActive = current.id;

  const setFilter = (name: keyof Filters, value: string) => {
    const q = new URLSearchParams(query);
    if (value) q.set(name, value);
    else q.delete(name);
    if (name === 'status' && value === '') q.set('status', '');
    navigate('/alerts', q, true);
  };

  /** The alerts an action applies to: the selection, or else the current row. */
  const targets = (): string[] => (selected.size ? [...selected] : current ? [current.id] : []);

  const run = async (ids: string[], update: AlertUpdate, what: string) => {
    if (!ids.length) return;
    if (ids.length > 1) {
      setDialog({ kind: 'bulk', ids, update, what });
      return;
    }
    try {
      const a = await updateAlert(ids[0] as string, update);
      queue.merge([a]);
      toast(`${what}: ${a.rule_title}`);
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e), 'bad', 8000);
    }
  };

  const lastG = useRef(0);
  const onKey = (e: KeyboardEvent) => {
    if (keyIsForSomethingElse(e)) return;
    const k = e.key;
    // `g` then a letter is the console's page navigation (g a: alerts), not triage.
    if (k === 'g') {
      lastG.current = Date.now();
      return;
    }
    if (Date.now() - lastG.current < 1500) {
      lastG.current = 0;
      return;
    }
    const act = (fn: () => void) => {
      e.preventDefault();
      fn();
    };
    if (k === 'j' || k === 'ArrowDown') act(() => setCursor(Math.min(rows.length - 1, at + 1)));
    else if (k === 'k' || k === 'ArrowUp') act(() => setCursor(Math.max(0, at - 1)));
    else if ((k === 'Enter' || k === 'o') && current) act(() => navigate(`/alerts/${current.id}`));
    else if (k === 'x' && current)
      act(() =>
        setSelected((s) => {
          const n = new Set(s);
          if (n.has(current.id)) n.delete(current.id);
          else n.add(current.id);
          return n;
        }),
      );
    else if (k === 'Escape' && selected.size) act(() => setSelected(new Set()));
    else if (k === '?') act(() => setDialog({ kind: 'help' }));
    else if (k === 'n') act(queue.showPending);
    else if (!triage) return;
    else if (k === 'a') act(() => void run(targets(), { status: 'acknowledged' }, 'Acknowledge'));
    else if (k === 'c' && targets().length) act(() => setDialog({ kind: 'close', ids: targets() }));
    else if (k === 's') act(() => void run(targets(), { assignee: myAssignee() }, 'Assign to me'));
    else if (k === 'S' && targets().length) act(() => setDialog({ kind: 'assign', ids: targets() }));
    else if (k === 'i' && caseWrite && targets().length) act(() => openIncident());
  };
  const keyRef = useRef(onKey);
  keyRef.current = onKey;
  useEffect(() => {
    const h = (e: KeyboardEvent) => keyRef.current(e);
    window.addEventListener('keydown', h);
    return () => window.removeEventListener('keydown', h);
  }, []);

  const openIncident = () => {
    const ids = targets();
    setDialog({ kind: 'incident', alerts: ids.map((id) => queue.alerts.get(id)).filter((a): a is Alert => !!a) });
  };

  const afterBulk = (n: number, what: string) => {
    setDialog(null);
    setSelected(new Set());
    toast(`${what}: ${n} alert${n === 1 ? '' : 's'}`);
    queue.reload();
  };

  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  const renderRow = (i: number) => {
    const a = rows[i] as Alert;
    const active = i === at;
    return (
      <div
        key={a.id}
        role="row"
        aria-rowindex={i + 1}
        aria-selected={selected.has(a.id)}
        data-row-id={a.id}
        data-status={a.status}
        class={`alert-row${active ? ' active' : ''}${selected.has(a.id) ? ' selected' : ''}`}
        onClick={() => setCursor(i)}
      >
        <span role="gridcell" class="c-sel">
          <input type="checkbox" aria-label={`Select ${a.rule_title}`} checked={selected.has(a.id)} onChange={() => toggle(a.id)} tabIndex={-1} />
        </span>
        <span role="gridcell" class="c-level">
          <LevelBadge level={a.level} />
        </span>
        <span role="gridcell" class="c-title">
          <a href={href(`/alerts/${a.id}`)} tabIndex={active ? 0 : -1}>
            {a.rule_title}
          </a>
          {a.occurrences && a.occurrences > 1 ? <span class="occ"> ×{a.occurrences}</span> : null}
        </span>
        <span role="gridcell" class="c-host">
          {a.host ?? '—'}
        </span>
        <span role="gridcell" class={`c-status status-${a.status}`}>
          {a.status}
        </span>
        <span role="gridcell" class="c-assignee">
          {a.assignee ?? ''}
        </span>
        <span role="gridcell" class="c-time">
          <Ago at={a.detected} />
        </span>
      </div>
    );
  };

  return (
    <section class="page alerts-page" data-page="alerts">
      <PageHeader title="Alerts">
        <span class={`live ${queue.live ? 'on' : 'off'}`} title={queue.live ? 'Live: changes arrive by themselves' : 'Not live: reload to see changes'}>
          {queue.live ? '● live' : '○ offline'}
        </span>
        {queue.pending.size > 0 ? (
          <button type="button" class="primary new-alerts" onClick={queue.showPending}>
            {queue.pending.size} new
          </button>
        ) : null}
        <button type="button" onClick={queue.reload}>
          Reload
        </button>
        <button type="button" class="ghost" onClick={() => setDialog({ kind: 'help' })} aria-label="Keyboard shortcuts">
          <Kbd>?</Kbd>
        </button>
      </PageHeader>
      <FilterBar f={f} setFilter={setFilter} />
      <SavedViews query={query} />
      <div class="bulk-bar" aria-live="polite">
        <span data-selected={selected.size}>
          {selected.size ? `${selected.size} selected` : `${rows.length} shown of ${queue.total}`}
        </span>
        {triage && selected.size ? (
          <>
            <button type="button" onClick={() => void run([...selected], { status: 'acknowledged' }, 'Acknowledge')}>
              Acknowledge
            </button>
            <button type="button" onClick={() => setDialog({ kind: 'close', ids: [...selected] })}>
              Close…
            </button>
            <button type="button" onClick={() => setDialog({ kind: 'assign', ids: [...selected] })}>
              Assign…
            </button>
          </>
        ) : null}
        {caseWrite && selected.size ? (
          <button type="button" onClick={openIncident}>
            Incident…
          </button>
        ) : null}
        {selected.size ? (
          <button type="button" class="ghost" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        ) : null}
      </div>
      {queue.error ? <ErrorBox error={queue.error} action={<button onClick={queue.reload}>Retry</button>} /> : null}
      {queue.loading && queue.alerts.size === 0 ? <Loading what="alerts" /> : null}
      <div class="alert-grid" data-table="alerts" role="grid" aria-label="Alerts" aria-rowcount={rows.length}>
        <div role="row" class="alert-row head">
          <span role="columnheader" class="c-sel">
            <input
              type="checkbox"
              aria-label="Select all shown"
              checked={rows.length > 0 && selected.size === rows.length}
              onChange={(e) => setSelected(e.currentTarget.checked ? new Set(rows.map((a) => a.id)) : new Set())}
            />
          </span>
          <span role="columnheader" class="c-level">Level</span>
          <span role="columnheader" class="c-title">Rule</span>
          <span role="columnheader" class="c-host">Host</span>
          <span role="columnheader" class="c-status">Status</span>
          <span role="columnheader" class="c-assignee">Assignee</span>
          <span role="columnheader" class="c-time">Raised</span>
        </div>
        {rows.length === 0 && !queue.loading ? (
          <div class="empty">No alerts match: the queue is clear.</div>
        ) : (
          <VirtualList count={rows.length} rowHeight={ROW_HEIGHT} renderRow={renderRow} activeIndex={at} class="alert-list" role="rowgroup" />
        )}
      </div>
      <p class="muted keys-hint">
        <Kbd>j</Kbd>/<Kbd>k</Kbd> move · <Kbd>Enter</Kbd> open · <Kbd>x</Kbd> select · <Kbd>a</Kbd> acknowledge · <Kbd>c</Kbd> close · <Kbd>s</Kbd> assign to me · <Kbd>?</Kbd> all keys
      </p>
      {dialog?.kind === 'help' ? <HelpDialog onClose={() => setDialog(null)} /> : null}
      {dialog?.kind === 'close' ? (
        <CloseDialog
          count={dialog.ids.length}
          onClose={() => setDialog(null)}
          onSubmit={(disposition, comment) => {
            const ids = dialog.ids;
            setDialog(null);
            void run(ids, { status: 'closed', disposition, ...(comment ? { comment } : {}) }, 'Close');
          }}
        />
      ) : null}
      {dialog?.kind === 'assign' ? (
        <AssignDialog
          onClose={() => setDialog(null)}
          onSubmit={(who) => {
            const ids = dialog.ids;
            setDialog(null);
            void run(ids, { assignee: who }, who ? `Assign to ${who}` : 'Unassign');
          }}
        />
      ) : null}
      {dialog?.kind === 'bulk' ? (
        <BulkConfirm ids={dialog.ids} update={dialog.update} what={dialog.what} onClose={() => setDialog(null)} onDone={(n) => afterBulk(n, dialog.what)} />
      ) : null}
      {dialog?.kind === 'incident' ? (
        <IncidentDialog
          alerts={dialog.alerts}
          onClose={() => setDialog(null)}
          onDone={(id) => {
            setDialog(null);
            setSelected(new Set());
            toast(`Incident ${id}: ${dialog.alerts.length} alert(s) linked`);
            queue.reload();
          }}
        />
      ) : null}
    </section>
  );
}

const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'];
const STATUSES: [string, string][] = [
  ['new,acknowledged', 'Open'],
  ['new', 'New'],
  ['acknowledged', 'Acknowledged'],
  ['closed', 'Closed'],
  ['merged', 'Merged'],
  ['', 'Any status'],
];

/** The queue's filters; text fields apply on Enter or when they lose focus. */
function FilterBar({ f, setFilter }: { f: Filters; setFilter: (name: keyof Filters, value: string) => void }) {
  const text = (name: keyof Filters, label: string, placeholder: string) => (
    <label class="field compact">
      {label}
      <input
        id={`alerts-${name}`}
        type="search"
        placeholder={placeholder}
        defaultValue={f[name]}
        key={`${name}:${f[name]}`}
        onChange={(e) => setFilter(name, e.currentTarget.value.trim())}
      />
    </label>
  );
  return (
    <form class="filter-bar" role="search" aria-label="Alert filters" onSubmit={(e) => e.preventDefault()}>
      <label class="field compact">
        Status
        <select id="alerts-status" value={f.status} onChange={(e) => setFilter('status', e.currentTarget.value)}>
          {STATUSES.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <label class="field compact">
        Level at least
        <select id="alerts-min_level" value={f.min_level} onChange={(e) => setFilter('min_level', e.currentTarget.value)}>
          <option value="">any</option>
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </label>
      {text('text', 'Text', 'rule, host, id, technique')}
      {text('host', 'Host', 'exact host')}
      {text('rule_id', 'Rule id', 'rule id')}
      {text('assignee', 'Assignee', 'user, team:name')}
      {text('since', 'Since', '24h, 2026-12-01')}
      <label class="field compact">
        Sort
        <select id="alerts-sort" value={f.sort} onChange={(e) => setFilter('sort', e.currentTarget.value)}>
          <option value="newest">newest first</option>
          <option value="oldest">oldest first</option>
          <option value="level">level</option>
          <option value="rule">rule</option>
          <option value="host">host</option>
        </select>
      </label>
    </form>
  );
}
