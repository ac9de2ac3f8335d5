// The incidents list (`#/incidents`): filters the server applies (status, open, owner, priority,
// SLA) and one it cannot (the RSIT category), the worst SLA timer as a badge, sorting by column,
// and the "New incident" form.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, must, type ApiFailure } from '../api';
import type { RouteProps } from '../routes';
import { href, navigate } from '../router';
import { can } from '../session';
import { Ago, Badge, Empty, ErrorBox, LevelBadge, Loading, PageHeader } from '../ui/common';
import { Modal } from '../ui/modal';
import { toast } from '../ui/toast';
import { useApi } from '../ui/use-api';
import {
  SLA_LABEL,
  SLA_TONE,
  STATUSES,
  severityName,
  statusLabel,
  useRsit,
  withCurrent,
  worstSla,
  type Incident,
} from './incident/model';
import '../styles/incidents.css';

type SortKey = 'priority' | 'severity' | 'updated' | 'created' | 'title' | 'sla';
const SLA_ORDER = { breached: 0, at_risk: 1, ok: 2, paused: 3, met: 4, none: 5 } as const;

function sorter(key: SortKey): (a: Incident, b: Incident) => number {
  switch (key) {
    case 'priority':
      return (a, b) => a.priority - b.priority || b.severity - a.severity;
    case 'severity':
      return (a, b) => b.severity - a.severity || a.priority - b.priority;
    case 'created':
      return (a, b) => b.milestones.created.localeCompare(a.milestones.created);
    case 'title':
      return (a, b) => a.title.localeCompare(b.title);
    case 'sla':
      return (a, b) => SLA_ORDER[worstSla(a)] - SLA_ORDER[worstSla(b)];
    default:
      return (a, b) => b.updated.localeCompare(a.updated);
  }
}

export function Incidents({ query }: RouteProps) {
  const rsit = useRsit();
  const status = query.get('status') ?? '';
  const open = query.get('open') ?? 'true';
  const owner = query.get('owner') ?? '';
  const maxPriority = query.get('max_priority') ?? '';
  const sla = query.get('sla') ?? '';
  const category = query.get('category') ?? '';
  const sort = (query.get('sort') as SortKey | null) ?? 'priority';
  const [creating, setCreating] = useState(false);

  const list = useApi(
    () =>
      api.GET('/api/v1/incidents', {
        params: {
          query: {
            limit: 500,
            ...(status ? { status } : {}),
            ...(open && !status ? { open: open === 'true' } : {}),
            ...(owner ? { owner } : {}),
            ...(maxPriority ? { max_priority: Number(maxPriority) } : {}),
            ...(sla ? { sla } : {}),
          },
        },
      }),
    [status, open, owner, maxPriority, sla],
  );

  // SLA badges and ages change by themselves: ask again every 30 s.
  useEffect(() => {
    const t = setInterval(list.reload, 30_000);
    return () => clearInterval(t);
  }, [list.reload]);

  const set = (k: string, v: string) => {
    const q = new URLSearchParams(query);
    if (v) q.set(k, v);
    else q.delete(k);
    navigate('/incidents', q, true);
  };

  const rows = useMemo(() => {
    const all = list.data?.incidents ?? [];
    const kept = category ? all.filter((i) => i.classification.startsWith(`${category}:`)) : all;
    return [...kept].sort(sorter(sort));
  }, [list.data, category, sort]);

  return (
    <section class="page" data-page="incidents">
      <PageHeader title="Incidents">
        {can('case:write') ? (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            New incident
          </button>
        ) : null}
      </PageHeader>
      <form class="filters row" aria-label="Filters" onSubmit={(e) => e.preventDefault()}>
        <Select id="f-open" label="Open" value={open} onChange={(v) => set('open', v)} options={[['true', 'open'], ['false', 'closed'], ['', 'all']]} />
        <Select id="f-status" label="Status" value={status} onChange={(v) => set('status', v)} options={[['', 'any'], ...STATUSES.map((s) => [s, statusLabel(s)] as [string, string])]} />
        <Select id="f-priority" label="Priority" value={maxPriority} onChange={(v) => set('max_priority', v)} options={[['', 'any'], ['1', 'P1'], ['2', 'P2 or higher'], ['3', 'P3 or higher'], ['4', 'P4 or higher']]} />
        <Select id="f-sla" label="SLA" value={sla} onChange={(v) => set('sla', v)} options={[['', 'any'], ['breached', 'breached'], ['warning', 'at risk'], ['running', 'running'], ['paused', 'paused']]} />
        <Select id="f-category" label="RSIT category" value={category} onChange={(v) => set('category', v)} options={[['', 'any'], ...(category ? withCurrent(rsit.categories, category) : rsit.categories).map((c) => [c, c] as [string, string])]} />
        <div class="field">
          <label for="f-owner">Assignee</label>
          <input id="f-owner" type="search" value={owner} placeholder="user" onChange={(e) => set('owner', e.currentTarget.value.trim())} />
        </div>
        <Select id="f-sort" label="Sort" value={sort} onChange={(v) => set('sort', v)} options={[['priority', 'priority'], ['severity', 'severity'], ['sla', 'SLA'], ['updated', 'last update'], ['created', 'newest'], ['title', 'title']]} />
      </form>
      {list.error ? <ErrorBox error={list.error} action={<button type="button" onClick={list.reload}>Retry</button>} /> : null}
      {list.loading && !list.data ? <Loading what="incidents" /> : null}
      {list.data && rows.length === 0 ? <Empty>No incident matches these filters.</Empty> : null}
      {rows.length > 0 ? <IncidentTable rows={rows} total={list.data?.total ?? rows.length} /> : null}
      {creating ? <NewIncident onClose={() => setCreating(false)} /> : null}
    </section>
  );
}

function Select({ id, label, value, options, onChange }: { id: string; label: string; value: string; options: [string, string][]; onChange: (v: string) => void }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {options.map(([v, t]) => (
          <option key={v} value={v}>
            {t}
          </option>
        ))}
      </select>
    </div>
  );
}

function IncidentTable({ rows, total }: { rows: Incident[]; total: number }) {
  return (
    <>
      <p class="muted" aria-live="polite">
        {rows.length} shown{total > rows.length ? ` of ${total}` : ''}
      </p>
      <table class="data" data-table="incidents">
        <thead>
          <tr>
            <th scope="col">Priority</th>
            <th scope="col">Title</th>
            <th scope="col">Status</th>
            <th scope="col">Severity</th>
            <th scope="col">RSIT</th>
            <th scope="col">Assignee</th>
            <th scope="col">SLA</th>
            <th scope="col">Alerts</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((i) => {
            const s = worstSla(i);
            return (
              <tr key={i.id} data-row-id={i.id}>
                <td>
                  <span class={`badge prio prio-${i.priority}`}>P{i.priority}</span>
                </td>
                <td class="wrap">
                  <a href={href(`/incidents/${i.id}`)}>{i.title}</a>
                </td>
                <td>{statusLabel(i.status)}</td>
                <td>
                  <LevelBadge level={severityName(i.severity)} />
                </td>
                <td class="mono">{i.classification}</td>
                <td>{i.owner ?? <span class="muted">unassigned</span>}</td>
                <td data-sla-state={s}>
                  <Badge tone={SLA_TONE[s]}>{SLA_LABEL[s]}</Badge>
                </td>
                <td class="num">{i.alert_ids.length}</td>
                <td>
                  <Ago at={i.updated} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function NewIncident({ onClose }: { onClose: () => void }) {
  const [title, setTitle] = useState('');
  const [severity, setSeverity] = useState(3);
  const [classification, setClassification] = useState('other:undetermined');
  const rsit = useRsit();
  const [description, setDescription] = useState('');
  const [alerts, setAlerts] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiFailure | Error | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const alert_ids = alerts.split(/[\s,]+/).filter(Boolean);
      const created = must(
        await api.POST('/api/v1/incidents', {
          body: { title, severity, classification, ...(description ? { description } : {}), ...(alert_ids.length ? { alert_ids } : {}) },
        }),
      );
      toast(`Incident ${created.title} created`);
      navigate(`/incidents/${created.id}`);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title="New incident" onClose={onClose}>
      <form class="form" onSubmit={submit}>
        <div class="field">
          <label for="ni-title">Title</label>
          <input id="ni-title" required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
        </div>
        <div class="row">
          <div class="field">
            <label for="ni-severity">Severity</label>
            <select id="ni-severity" value={severity} onChange={(e) => setSeverity(Number(e.currentTarget.value))}>
              {[1, 2, 3, 4].map((s) => (
                <option key={s} value={s}>
                  {severityName(s)}
                </option>
              ))}
            </select>
          </div>
          <div class="field grow">
            <label for="ni-class">RSIT class</label>
            <select id="ni-class" value={classification} onChange={(e) => setClassification(e.currentTarget.value)}>
              {withCurrent(rsit.classes, classification).map((c) => (
                <option key={c} value={c}>
                  {c}
                </option>
              ))}
            </select>
          </div>
        </div>
        <div class="field">
          <label for="ni-desc">Description</label>
          <textarea id="ni-desc" rows={3} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="ni-alerts">Alert ids (optional, comma or space separated)</label>
          <input id="ni-alerts" value={alerts} onInput={(e) => setAlerts(e.currentTarget.value)} />
        </div>
        {error ? <ErrorBox error={error} /> : null}
        <div class="row">
          <button type="submit" class="primary" disabled={busy || !title.trim()}>
            Create incident
          </button>
        </div>
      </form>
    </Modal>
  );
}
