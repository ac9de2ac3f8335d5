// Triage shared by the alert queue and the alert page: the API calls (one alert, or many through
// `POST api/v1/alerts/bulk` with a dry run first), and the dialogs for closing with a
// disposition, assigning, and making or extending an incident.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiFailure, must, type Schemas } from '../api';
import { session } from '../session';
import { ErrorBox } from '../ui/common';
import { Modal } from '../ui/modal';
import { useRsit, withCurrent } from './incident/model';

export type Alert = Schemas['Alert'];
export type AlertUpdate = Schemas['AlertUpdate'];
export type Disposition = Schemas['Disposition'];

export const DISPOSITIONS: { value: Disposition; label: string }[] = [
  { value: 'true_positive', label: 'True positive' },
  { value: 'benign_positive', label: 'Benign positive' },
  { value: 'false_positive', label: 'False positive' },
  { value: 'duplicate', label: 'Duplicate' },
  { value: 'indeterminate', label: 'Indeterminate' },
  { value: 'other', label: 'Other' },
];

export const LEVEL_RANK: Record<string, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

/** The signed-in user's name as an assignee (`user:alice` → `alice`). */
export function myAssignee(): string {
  const s = session.get();
  if (s.kind !== 'signed-in') return '';
  return s.me.id.replace(/^user:/, '');
}

/** Changes one alert; the alert as it is now. */
export async function updateAlert(id: string, update: AlertUpdate): Promise<Alert> {
  return must(await api.PATCH('/api/v1/alerts/{id}', { params: { path: { id } }, body: update }));
}

/** How many of `ids` a change would apply to (a dry run). */
export async function previewBulk(ids: string[], update: AlertUpdate): Promise<Schemas['BulkOutcome']> {
  return must(await api.POST('/api/v1/alerts/bulk', { body: { ids, update, dry_run: true } }));
}

/** Applies a change to `ids`, refused (409) if the selection no longer holds `expect` alerts. */
export async function applyBulk(ids: string[], update: AlertUpdate, expect: number): Promise<Schemas['BulkOutcome']> {
  return must(await api.POST('/api/v1/alerts/bulk', { body: { ids, update, expect } }));
}

function asFailure(e: unknown): ApiFailure | Error {
  return e instanceof Error ? e : new Error(String(e));
}

/**
 * Confirms a change to `ids`: shows the server's dry-run count ("3 selected, 2 will change")
 * before the analyst confirms, then applies it.
 */
export function BulkConfirm({ ids, update, what, onDone, onClose }: { ids: string[]; update: AlertUpdate; what: string; onDone: (n: number) => void; onClose: () => void }) {
  const [preview, setPreview] = useState<Schemas['BulkOutcome'] | null>(null);
  const [error, setError] = useState<ApiFailure | Error | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    previewBulk(ids, update).then(setPreview, (e: unknown) => setError(asFailure(e)));
  }, [ids, update]);
  const confirm = async () => {
    if (!preview) return;
    setBusy(true);
    try {
      const out = await applyBulk(ids, update, preview.matched);
      onDone(out.updated);
    } catch (e) {
      setError(asFailure(e));
      setBusy(false);
    }
  };
  return (
    <Modal title={`${what}: ${ids.length} selected`} onClose={onClose}>
      {error ? <ErrorBox error={error} /> : null}
      {preview ? (
        <p data-preview={preview.updated}>
          {ids.length} selected; the server counts <strong>{preview.matched}</strong>, of which <strong>{preview.updated}</strong> will change
          {preview.updated < preview.matched ? ' (the others’ status does not allow it)' : ''}.
        </p>
      ) : error ? null : (
        <p class="muted">Counting…</p>
      )}
      <div class="row">
        <button type="button" class="primary" disabled={!preview || busy || preview.updated === 0} onClick={() => void confirm()}>
          {what} {preview ? preview.updated : ''}
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}

/** Asks for the disposition (and a comment) of a close. */
export function CloseDialog({ count, onSubmit, onClose }: { count: number; onSubmit: (d: Disposition, comment: string) => void; onClose: () => void }) {
  const [disposition, setDisposition] = useState<Disposition>('false_positive');
  const [comment, setComment] = useState('');
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  return (
    <Modal title={count === 1 ? 'Close alert' : `Close ${count} alerts`} onClose={onClose}>
      <form
        method="dialog"
        class="triage-form"
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit(disposition, comment.trim());
        }}
      >
        <fieldset class="dispositions">
          <legend>Disposition</legend>
          {DISPOSITIONS.map((d, i) => (
            <label key={d.value}>
              <input ref={i === 0 ? first : undefined} type="radio" name="disposition" value={d.value} checked={disposition === d.value} onChange={() => setDisposition(d.value)} />
              <span>
                <span class="kbd">{i + 1}</span> {d.label}
              </span>
            </label>
          ))}
        </fieldset>
        <label class="field">
          Comment (optional)
          <textarea id="close-comment" rows={2} value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
        </label>
        <div class="row">
          <button type="submit" class="primary">
            Close {count === 1 ? 'alert' : `${count} alerts`}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Asks whom to assign to: me, a user or `team:<name>`, or nobody. */
export function AssignDialog({ onSubmit, onClose }: { onSubmit: (assignee: string | null) => void; onClose: () => void }) {
  const [who, setWho] = useState(myAssignee());
  return (
    <Modal title="Assign" onClose={onClose}>
      <form
        class="triage-form"
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit(who.trim() || null);
        }}
      >
        <label class="field">
          Assignee (a user, or team:&lt;name&gt;; empty unassigns)
          <input id="assign-to" value={who} onInput={(e) => setWho(e.currentTarget.value)} autoFocus />
        </label>
        <div class="row">
          <button type="submit" class="primary">
            Assign
          </button>
          <button type="button" onClick={() => onSubmit(myAssignee())}>
            Assign to me
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** A new incident's RSIT class until the analyst picks another (every class the server has is offered). */
const DEFAULT_CLASSIFICATION = 'intrusions:system-compromise';

/** The incident severity (1–4) that the highest alert level suggests. */
function severityOf(alerts: Alert[]): number {
  const top = Math.max(0, ...alerts.map((a) => LEVEL_RANK[a.level] ?? 0));
  return Math.min(4, Math.max(1, top));
}

/** Makes an incident from alerts, or adds them to an open one; `onDone` gets the incident's id. */
export function IncidentDialog({ alerts, onDone, onClose }: { alerts: Alert[]; onDone: (incidentId: string) => void; onClose: () => void }) {
  const [mode, setMode] = useState<'new' | 'existing'>('new');
  const [title, setTitle] = useState(alerts[0] ? `${alerts[0].rule_title}${alerts[0].host ? ` on ${alerts[0].host}` : ''}` : '');
  const [severity, setSeverity] = useState(severityOf(alerts));
  const [classification, setClassification] = useState(DEFAULT_CLASSIFICATION);
  const rsit = useRsit();
  const [existing, setExisting] = useState('');
  const [open, setOpen] = useState<Schemas['Incident'][]>([]);
  const [error, setError] = useState<ApiFailure | Error | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = alerts.map((a) => a.id);
  useEffect(() => {
    api.GET('/api/v1/incidents', { params: { query: { open: true, limit: 200 } } }).then(
      (r) => {
        if (r.data) setOpen(r.data.incidents);
      },
      () => undefined,
    );
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'new') {
        const inc = must(await api.POST('/api/v1/incidents', { body: { title, severity, classification, alert_ids: ids } }));
        onDone(inc.id);
      } else {
        must(await api.POST('/api/v1/incidents/{id}/alerts', { params: { path: { id: existing } }, body: { alert_ids: ids } }));
        onDone(existing);
      }
    } catch (err) {
      setError(asFailure(err));
      setBusy(false);
    }
  };
  return (
    <Modal title={`Incident from ${alerts.length} alert${alerts.length === 1 ? '' : 's'}`} onClose={onClose}>
      <form class="triage-form" onSubmit={(e) => void submit(e)}>
        {error ? <ErrorBox error={error} /> : null}
        <fieldset class="row">
          <legend>Incident</legend>
          <label>
            <input type="radio" name="incident-mode" checked={mode === 'new'} onChange={() => setMode('new')} /> Create incident
          </label>
          <label>
            <input type="radio" name="incident-mode" checked={mode === 'existing'} onChange={() => setMode('existing')} disabled={open.length === 0} /> Add to incident
          </label>
        </fieldset>
        {mode === 'new' ? (
          <>
            <label class="field">
              Title
              <input id="incident-title" required maxLength={200} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
            </label>
            <label class="field">
              Severity
              <select id="incident-severity" value={String(severity)} onChange={(e) => setSeverity(Number(e.currentTarget.value))}>
                <option value="1">1 low</option>
                <option value="2">2 medium</option>
                <option value="3">3 high</option>
                <option value="4">4 critical</option>
              </select>
            </label>
            <label class="field">
              Classification (RSIT)
              <select id="incident-classification" value={classification} onChange={(e) => setClassification(e.currentTarget.value)}>
                {withCurrent(rsit.classes, classification).map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
          </>
        ) : (
          <label class="field">
            Open incident
            <select id="incident-existing" required value={existing} onChange={(e) => setExisting(e.currentTarget.value)}>
              <option value="">— choose —</option>
              {open.map((i) => (
                <option key={i.id} value={i.id}>
                  {i.title} ({i.id})
                </option>
              ))}
            </select>
          </label>
        )}
        <p class="muted">Alerts: {ids.join(', ')}</p>
        <div class="row">
          <button type="submit" class="primary" disabled={busy}>
            {mode === 'new' ? 'Create incident' : 'Add to incident'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** Keys of the queue and the alert page, for the `?` overlay. */
export const KEYS: [string, string][] = [
  ['j / ↓', 'next alert'],
  ['k / ↑', 'previous alert'],
  ['Enter / o', 'open the alert'],
  ['x', 'select / unselect'],
  ['a', 'acknowledge (the selection, or the current alert)'],
  ['c', 'close with a disposition'],
  ['s', 'assign to me'],
  ['S', 'assign to…'],
  ['i', 'incident from the selection'],
  ['n', 'show the new alerts'],
  ['Esc', 'clear the selection'],
  ['?', 'this help'],
  ['u', 'back to the queue (on an alert’s page, where a, c and s work too)'],
];

export function HelpDialog({ onClose }: { onClose: () => void }) {
  return (
    <Modal title="Keyboard" onClose={onClose}>
      <table class="data keys">
        <tbody>
          {KEYS.map(([k, what]) => (
            <tr key={k}>
              <th scope="row">
                <kbd class="kbd">{k}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}

const TEXT_INPUTS = new Set(['text', 'search', 'email', 'password', 'number', 'url', 'tel', 'date', 'datetime-local', 'time']);

/**
 * Whether a key press belongs to something else: a text field, a focused button or link (Enter
 * activates it), an open dialog, a modifier chord. Page shortcuts ignore those.
 */
export function keyIsForSomethingElse(e: KeyboardEvent): boolean {
  if (e.ctrlKey || e.metaKey || e.altKey) return true;
  const t = e.target as HTMLElement | null;
  if (t?.isContentEditable) return true;
  if (t && (t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return true;
  if (t instanceof HTMLInputElement && TEXT_INPUTS.has(t.type)) return true;
  if (t && (t.tagName === 'BUTTON' || t.tagName === 'A' || t.tagName === 'INPUT') && (e.key === 'Enter' || e.key === ' ')) return true;
  return document.querySelector('dialog[open]') !== null;
}
