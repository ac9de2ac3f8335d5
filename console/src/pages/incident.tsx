// One incident (`#/incidents/:id`): the header (title, status, severity, RSIT class, NIST phase,
// assignee — each changed through PATCH), the SLA countdowns, tasks, observables with pivots,
// linked alerts, timeline and comments, attachments and export links.
import { useState } from 'preact/hooks';
import { api, apiUrl, must, type ApiFailure, type Schemas } from '../api';
import type { RouteProps } from '../routes';
import { href } from '../router';
import { can } from '../session';
import { ErrorBox, LevelBadge, Loading, Time } from '../ui/common';
import { toast } from '../ui/toast';
import { useApi } from '../ui/use-api';
import { Attachments } from './incident/attachments';
import { SEVERITIES, STATUSES, nistPhase, severityName, statusLabel, useRsit, withCurrent, type Incident as IncidentT } from './incident/model';
import { Observables } from './incident/observables';
import { SlaPanel } from './incident/sla';
import { Tasks } from './incident/tasks';
import { Timeline } from './incident/timeline';
import '../styles/incidents.css';

type Patch = Schemas['IncidentPatch'];

export function Incident({ params }: RouteProps) {
  const id = params.id ?? '';
  const inc = useApi(() => api.GET('/api/v1/incidents/{id}', { params: { path: { id } } }), [id]);
  const i = inc.data;
  return (
    <section class="page incident" data-page="incident">
      <nav class="small" aria-label="Breadcrumb">
        <a href={href('/incidents')}>Incidents</a> / <span class="mono">{id}</span>
      </nav>
      {inc.error ? <ErrorBox error={inc.error} action={<button type="button" onClick={inc.reload}>Retry</button>} /> : null}
      {inc.loading && !i ? <Loading what="the incident" /> : null}
      {i ? (
        <>
          <Header incident={i} onChange={inc.reload} />
          <SlaPanel incident={i} />
          <div class="incident-grid">
            <div class="incident-col">
              <Tasks id={id} onChange={inc.reload} />
              <LinkedAlerts ids={i.alert_ids} />
              <Observables id={id} />
              <Attachments id={id} onChange={inc.reload} />
              <Export id={id} />
            </div>
            <div class="incident-col">
              <Timeline incident={i} onChange={inc.reload} />
            </div>
          </div>
        </>
      ) : null}
    </section>
  );
}

function Header({ incident: i, onChange }: { incident: IncidentT; onChange: () => void }) {
  const writable = can('case:write');
  const rsit = useRsit();
  const [error, setError] = useState<ApiFailure | Error | null>(null);
  const [closing, setClosing] = useState(false);
  const patch = async (body: Patch, what: string) => {
    setError(null);
    try {
      must(await api.PATCH('/api/v1/incidents/{id}', { params: { path: { id: i.id } }, body }));
      toast(what);
      onChange();
      return true;
    } catch (err) {
      setError(err as Error);
      return false;
    }
  };
  const setStatus = (s: string) => {
    if (s === 'closed' && !(i.resolution && i.lessons_learned)) setClosing(true);
    else void patch({ status: s as IncidentT['status'] }, `Status: ${statusLabel(s)}`);
  };
  return (
    <header class="panel incident-head">
      <Title incident={i} writable={writable} onSave={(title) => patch({ title }, 'Title changed')} />
      <div class="incident-fields">
        <Field label="Status" id="inc-status">
          <select id="inc-status" value={i.status} disabled={!writable} onChange={(e) => setStatus(e.currentTarget.value)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Severity" id="inc-severity">
          <select id="inc-severity" value={i.severity} disabled={!writable} onChange={(e) => void patch({ severity: Number(e.currentTarget.value) }, 'Severity changed')}>
            {Object.entries(SEVERITIES).map(([v, n]) => (
              <option key={v} value={v}>
                {n}
              </option>
            ))}
          </select>
        </Field>
        <Field label="RSIT class" id="inc-class">
          <select id="inc-class" value={i.classification} disabled={!writable} onChange={(e) => void patch({ classification: e.currentTarget.value }, 'Classification changed')}>
            {withCurrent(rsit.classes, i.classification).map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Assignee" id="inc-owner">
          <input
            id="inc-owner"
            value={i.owner ?? ''}
            placeholder="unassigned"
            disabled={!writable}
            onChange={(e) => void patch({ owner: e.currentTarget.value.trim() || null }, 'Assignee changed')}
          />
        </Field>
        <div class="field">
          <span class="label">NIST phase</span>
          <span data-nist-phase>{nistPhase(i.status)}</span>
        </div>
        <div class="field">
          <span class="label">Priority</span>
          <span class={`badge prio prio-${i.priority}`}>P{i.priority}</span>
        </div>
        <div class="field">
          <span class="label">TLP / PAP</span>
          <span>
            {i.tlp} / {i.pap}
          </span>
        </div>
        <div class="field">
          <span class="label">Created</span>
          <span>
            <Time at={i.milestones.created} /> by {i.created_by}
          </span>
        </div>
      </div>
      {i.description ? <p class="incident-desc">{i.description}</p> : null}
      {i.attack.length ? (
        <p class="small">
          ATT&CK:{' '}
          {i.attack.map((t) => (
            <code key={t} class="tag">
              {t}
            </code>
          ))}
        </p>
      ) : null}
      {closing ? (
        <CloseForm
          incident={i}
          onCancel={() => setClosing(false)}
          onClose={async (resolution, lessons_learned) => {
            if (await patch({ status: 'closed', resolution, lessons_learned }, 'Incident closed')) setClosing(false);
          }}
        />
      ) : null}
      {error ? <ErrorBox error={error} /> : null}
    </header>
  );
}

function Field({ label, id, children }: { label: string; id: string; children: preact.ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
    </div>
  );
}

function Title({ incident, writable, onSave }: { incident: IncidentT; writable: boolean; onSave: (t: string) => Promise<boolean> }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(incident.title);
  if (!editing) {
    return (
      <div class="row">
        <h1 class="grow incident-title">{incident.title}</h1>
        {writable ? (
          <button
            type="button"
            onClick={() => {
              setText(incident.title);
              setEditing(true);
            }}
          >
            Rename
          </button>
        ) : null}
      </div>
    );
  }
  return (
    <form
      class="row"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await onSave(text.trim())) setEditing(false);
      }}
    >
      <label for="inc-title" class="sr-only">
        Title
      </label>
      <input id="inc-title" class="grow" value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <button type="submit" class="primary" disabled={!text.trim()}>
        Save
      </button>
      <button type="button" onClick={() => setEditing(false)}>
        Cancel
      </button>
    </form>
  );
}

function CloseForm({ incident, onClose, onCancel }: { incident: IncidentT; onClose: (r: string, l: string) => void; onCancel: () => void }) {
  const [resolution, setResolution] = useState(incident.resolution ?? '');
  const [lessons, setLessons] = useState(incident.lessons_learned ?? '');
  return (
    <form
      class="close-form"
      onSubmit={(e) => {
        e.preventDefault();
        onClose(resolution.trim(), lessons.trim());
      }}
    >
      <p class="small">Closing needs a resolution and the lessons learned.</p>
      <label for="close-res">Resolution</label>
      <textarea id="close-res" rows={2} value={resolution} onInput={(e) => setResolution(e.currentTarget.value)} />
      <label for="close-lessons">Lessons learned</label>
      <textarea id="close-lessons" rows={2} value={lessons} onInput={(e) => setLessons(e.currentTarget.value)} />
      <div class="row">
        <button type="submit" class="primary" disabled={!resolution.trim() || !lessons.trim()}>
          Close incident
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function LinkedAlerts({ ids }: { ids: string[] }) {
  const shown = ids.slice(0, 50);
  const alerts = useApi(
    () => (shown.length ? Promise.all(shown.map((id) => api.GET('/api/v1/alerts/{id}', { params: { path: { id } } }))).then(combine) : null),
    [shown.join(',')],
  );
  const byId = new Map((alerts.data ?? []).map((a) => [a.id, a]));
  return (
    <section class="panel" aria-labelledby="al-h">
      <h2 id="al-h">
        Linked alerts <span class="muted small">{ids.length}</span>
      </h2>
      {ids.length === 0 ? <p class="muted">No alerts are linked.</p> : null}
      <ul class="linked-alerts" data-table="linked-alerts">
        {shown.map((id) => {
          const a = byId.get(id);
          return (
            <li key={id} data-row-id={id}>
              <a href={href(`/alerts/${id}`)}>{a ? a.rule_title : id}</a>
              {a ? (
                <>
                  {' '}
                  <LevelBadge level={a.level} /> <span class="muted small">{a.host ?? ''}</span> <Time at={a.detected} />
                </>
              ) : null}
            </li>
          );
        })}
      </ul>
      {ids.length > shown.length ? <p class="muted small">and {ids.length - shown.length} more</p> : null}
    </section>
  );
}

type AlertResult = Awaited<ReturnType<typeof fetchAlert>>;
function fetchAlert(id: string) {
  return api.GET('/api/v1/alerts/{id}', { params: { path: { id } } });
}

/** Many alert answers as one: those that loaded (a missing one shows as its id). */
function combine(results: AlertResult[]): { data: Schemas['Alert'][]; response: Response } {
  const data = results.flatMap((r) => (r.data ? [r.data] : []));
  return { data, response: new Response(null, { status: 200 }) };
}

function Export({ id }: { id: string }) {
  const link = (format: string) => apiUrl(`/api/v1/incidents/${encodeURIComponent(id)}/export`, { format });
  return (
    <section class="panel" aria-labelledby="exp-h">
      <h2 id="exp-h">Export</h2>
      <div class="row">
        <a class="button" href={link('markdown')} download={`incident-${id}.md`}>
          Markdown
        </a>
        <a class="button" href={link('html')} download={`incident-${id}.html`}>
          HTML
        </a>
        <a class="button" href={link('json')} download={`incident-${id}.json`}>
          JSON
        </a>
      </div>
    </section>
  );
}
