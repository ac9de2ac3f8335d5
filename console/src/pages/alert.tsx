// One alert: what fired (the rule, its YAML, its ATT&CK techniques), on what (the events' fields,
// the matched selections), its triage (acknowledge, close, assign, incident) and pivots from the
// host, user and address fields to the search page.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Schemas } from '../api';
import { href, navigate } from '../router';
import type { RouteProps } from '../routes';
import { can } from '../session';
import { Badge, ErrorBox, LevelBadge, Loading, PageHeader, Time } from '../ui/common';
import { toast } from '../ui/toast';
import { useApi } from '../ui/use-api';
import { type Alert, type AlertUpdate, AssignDialog, CloseDialog, IncidentDialog, keyIsForSomethingElse, myAssignee, updateAlert } from './alert-triage';
import '../styles/alerts.css';

type Hit = Schemas['Hit'];

/** Fields worth a pivot to the search page: hosts, users, addresses. */
const PIVOT = /(computer|host|workstation|user|account|(^|[^a-z])ip|address|sid$)/i;

/** An ATT&CK id's public page, shown as text only (the console is air-gapped: nothing is fetched). */
export function attackUrl(id: string): string {
  const tactic = /^TA\d{4}$/i.test(id);
  return `https://attack.mitre.org/${tactic ? 'tactics' : 'techniques'}/${id.toUpperCase().replace('.', '/')}/`;
}

/** Flattens nested objects to dotted keys (`Event.System.Computer`). */
function flatten(value: unknown, prefix = '', out: [string, string][] = []): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, typeof value === 'string' ? value : JSON.stringify(value)]);
  }
  return out;
}

/** A query for the search page: `field:"value"` with quotes and backslashes escaped. */
export function pivotQuery(field: string, value: string): string {
  const leaf = field.split('.').pop() ?? field;
  return `${leaf}:"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function AlertPage({ params }: RouteProps) {
  const id = params.id ?? '';
  const loaded = useApi(() => api.GET('/api/v1/alerts/{id}/events', { params: { path: { id } } }), [id]);
  const [override, setOverride] = useState<Alert | null>(null);
  const alert = override && override.id === id ? override : loaded.data?.alert;
  if (loaded.error && !alert) {
    return (
      <section class="page" data-page="alert">
        <PageHeader title="Alert" />
        <ErrorBox error={loaded.error} />
      </section>
    );
  }
  if (!alert) {
    return (
      <section class="page" data-page="alert">
        <Loading what="the alert" />
      </section>
    );
  }
  return (
    <section class="page alert-page" data-page="alert" data-row-id={alert.id}>
      <PageHeader title={alert.rule_title}>
        <a href={href('/alerts')} title="u">
          ← Queue
        </a>
      </PageHeader>
      <Triage alert={alert} onChange={setOverride} />
      <div class="grid-2">
        <Summary alert={alert} />
        <Attack ids={alert.attack} />
      </div>
      <Matched matched={alert.matched} />
      <Events events={loaded.data?.events ?? []} missing={loaded.data?.missing ?? []} />
      <RuleSource ruleId={alert.rule_id} />
    </section>
  );
}

function Triage({ alert, onChange }: { alert: Alert; onChange: (a: Alert) => void }) {
  const [dialog, setDialog] = useState<'close' | 'assign' | 'incident' | null>(null);
  const triage = can('alert:triage');
  const open = alert.status === 'new' || alert.status === 'acknowledged';
  const apply = async (update: AlertUpdate, what: string) => {
    try {
      onChange(await updateAlert(alert.id, update));
      toast(what);
    } catch (e) {
      toast(e instanceof Error ? e.message : String(e), 'bad', 8000);
    }
  };
  const onKey = (e: KeyboardEvent) => {
    if (keyIsForSomethingElse(e)) return;
    const act = (fn: () => void) => {
      e.preventDefault();
      fn();
    };
    if (e.key === 'u') act(() => navigate('/alerts'));
    else if (!triage) return;
    else if (e.key === 'a' && alert.status === 'new') act(() => void apply({ status: 'acknowledged' }, 'Acknowledged'));
    else if (e.key === 'c' && open) act(() => setDialog('close'));
    else if (e.key === 's') act(() => void apply({ assignee: myAssignee() }, 'Assigned to you'));
  };
  const keyRef = useRef(onKey);
  keyRef.current = onKey;
  useEffect(() => {
    const h = (e: KeyboardEvent) => keyRef.current(e);
    window.addEventListener('keydown', h);
    return () => window.removeEventListener('keydown', h);
  }, []);
  return (
    <div class="triage-bar">
      <LevelBadge level={alert.level} />
      <span class={`status-${alert.status}`} data-status={alert.status}>
        {alert.status}
        {alert.disposition ? ` (${alert.disposition.replace(/_/g, ' ')})` : ''}
      </span>
      {alert.assignee ? <Badge tone="info">assigned to {alert.assignee}</Badge> : <Badge>unassigned</Badge>}
      {alert.incident_id ? <a href={href(`/incidents/${alert.incident_id}`)}>incident {alert.incident_id}</a> : null}
      {triage ? (
        <div class="page-actions">
          {alert.status === 'new' ? (
            <button type="button" onClick={() => void apply({ status: 'acknowledged' }, 'Acknowledged')}>
              Acknowledge
            </button>
          ) : null}
          {open ? (
            <button type="button" onClick={() => setDialog('close')}>
              Close…
            </button>
          ) : null}
          {alert.status === 'closed' && can('alert:reopen') ? (
            <button type="button" onClick={() => void apply({ status: 'new' }, 'Reopened')}>
              Reopen
            </button>
          ) : null}
          <button type="button" onClick={() => void apply({ assignee: myAssignee() }, 'Assigned to you')}>
            Assign to me
          </button>
          <button type="button" onClick={() => setDialog('assign')}>
            Assign…
          </button>
          {can('case:write') && open ? (
            <button type="button" onClick={() => setDialog('incident')}>
              Add to incident…
            </button>
          ) : null}
        </div>
      ) : null}
      {dialog === 'close' ? (
        <CloseDialog
          count={1}
          onClose={() => setDialog(null)}
          onSubmit={(disposition, comment) => {
            setDialog(null);
            void apply({ status: 'closed', disposition, ...(comment ? { comment } : {}) }, 'Closed');
          }}
        />
      ) : null}
      {dialog === 'assign' ? (
        <AssignDialog
          onClose={() => setDialog(null)}
          onSubmit={(who) => {
            setDialog(null);
            void apply({ assignee: who }, who ? `Assigned to ${who}` : 'Unassigned');
          }}
        />
      ) : null}
      {dialog === 'incident' ? (
        <IncidentDialog
          alerts={[alert]}
          onClose={() => setDialog(null)}
          onDone={(incident) => {
            setDialog(null);
            toast(`Linked to incident ${incident}`);
            void api.GET('/api/v1/alerts/{id}', { params: { path: { id: alert.id } } }).then((r) => r.data && onChange(r.data), () => undefined);
          }}
        />
      ) : null}
    </div>
  );
}

function Summary({ alert }: { alert: Alert }) {
  const rows: [string, ComponentChildren][] = [
    ['Alert id', <code>{alert.id}</code>],
    ['Rule', <a href={href(`/rules/${alert.rule_id}`)}>{alert.rule_id}</a>],
    ['Kind', alert.kind],
    ['Raised', <Time at={alert.detected} />],
    ['Event time', <Time at={alert.event_time} />],
    ['Host', alert.host ? <a href={href('/search', { q: pivotQuery('Computer', alert.host) })}>{alert.host}</a> : '—'],
    ['Input', alert.input ?? '—'],
    ['Occurrences', String(alert.occurrences ?? 1)],
    ['Group', alert.group_key ?? '—'],
    ['Acknowledged', alert.acknowledged ? <><Time at={alert.acknowledged} /> by {alert.acknowledged_by}</> : '—'],
    ['Closed', alert.closed ? <><Time at={alert.closed} /> by {alert.closed_by}</> : '—'],
    ['Tags', alert.tags.join(', ') || '—'],
  ];
  return (
    <div class="panel">
      <h2>Summary</h2>
      <dl class="facts">
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

function Attack({ ids }: { ids: string[] }) {
  return (
    <div class="panel">
      <h2>ATT&amp;CK</h2>
      {ids.length === 0 ? (
        <p class="muted">The rule names no technique.</p>
      ) : (
        <ul class="attack-list">
          {ids.map((t) => (
            <li key={t}>
              <a href={href('/coverage', { technique: t })}>{t}</a> <span class="muted mono">{attackUrl(t)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Matched({ matched }: { matched: unknown }) {
  if (matched === null || matched === undefined || (typeof matched === 'object' && Object.keys(matched as object).length === 0)) return null;
  const rows = flatten(matched);
  return (
    <div class="panel">
      <h2>Matched</h2>
      <table class="data fields" data-table="matched">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th scope="row" class="mono">
                {k}
              </th>
              <td class="wrap mono">{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Events({ events, missing }: { events: Hit[]; missing: string[] }) {
  return (
    <div class="panel">
      <h2>
        Event{events.length === 1 ? '' : 's'} ({events.length})
      </h2>
      {missing.length ? <p class="muted">{missing.length} event(s) not in the store (not committed yet, or past retention).</p> : null}
      {events.map((e, i) => (
        <details key={e.id} open={i === 0 || events.length <= 3} class="event">
          <summary>
            <Time at={e.time} /> · {e.input} · {e.host ?? ''} · <code>{e.id}</code>
          </summary>
          <p>
            <a href={href('/search', { q: `_id:${e.id}` })}>Open this event in the search</a>
          </p>
          <table class="data fields" data-table="event-fields">
            <tbody>
              {flatten(e.fields).map(([k, v]) => (
                <tr key={k} data-field={k}>
                  <th scope="row" class="mono">
                    {k}
                  </th>
                  <td class="wrap mono">{v}</td>
                  <td class="pivot">
                    {PIVOT.test(k.split('.').pop() ?? k) && v && v !== '-' && v !== 'null' ? (
                      <a href={href('/search', { q: pivotQuery(k, v) })} aria-label={`pivot: search ${k} ${v}`}>
                        pivot
                      </a>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      ))}
    </div>
  );
}

function RuleSource({ ruleId }: { ruleId: string }) {
  const rule = useApi(() => api.GET('/api/v1/rules/{id}', { params: { path: { id: ruleId } } }), [ruleId]);
  return (
    <div class="panel">
      <h2>Rule</h2>
      {rule.error ? <ErrorBox error={rule.error} /> : null}
      {rule.loading && !rule.data ? <Loading what="the rule" /> : null}
      {rule.data ? (
        <>
          <p>
            <a href={href(`/rules/${ruleId}`)}>{rule.data.title}</a>
            {rule.data.description ? <span class="muted"> — {rule.data.description}</span> : null}
          </p>
          {rule.data.falsepositives.length ? <p class="muted">False positives: {rule.data.falsepositives.join('; ')}</p> : null}
          {rule.data.source_changed ? <p class="warn">The rule file changed since the rules were loaded: this may differ from what runs.</p> : null}
          {rule.data.source ? (
            <pre class="rule-yaml" data-rule-yaml tabIndex={0} aria-label="Rule YAML">
              {rule.data.source}
            </pre>
          ) : (
            <p class="muted">The rule's file is gone or no longer holds it.</p>
          )}
        </>
      ) : null}
    </div>
  );
}
