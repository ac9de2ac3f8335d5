// The incident's timeline (append-only, from the incident itself) and the comment form
// (`POST …/notes`, with an optional time the noted event happened).
import { useState } from 'preact/hooks';
import { api, must } from '../../api';
import { can } from '../../session';
import { ErrorBox, Time } from '../../ui/common';
import type { Incident } from './model';

export function Timeline({ incident, onChange }: { incident: Incident; onChange: () => void }) {
  const entries = [...(incident.timeline ?? [])].sort((a, b) => b.seq - a.seq);
  return (
    <section class="panel" aria-labelledby="tl-h">
      <h2 id="tl-h">Timeline and comments</h2>
      {can('case:write') ? <NoteForm id={incident.id} onDone={onChange} /> : null}
      <ol class="timeline" data-table="timeline">
        {entries.map((e) => (
          <li key={e.seq} data-row-id={String(e.seq)} class={`tl-${e.kind}`}>
            <div class="tl-meta small muted">
              <Time at={e.at} /> · {e.actor} · <span class="tl-kind">{e.kind.replace('_', ' ')}</span>
              {e.occurred_at ? (
                <>
                  {' '}
                  · happened <Time at={e.occurred_at} />
                </>
              ) : null}
            </div>
            <div class="tl-text">{e.text}</div>
          </li>
        ))}
      </ol>
    </section>
  );
}

function NoteForm({ id, onDone }: { id: string; onDone: () => void }) {
  const [text, setText] = useState('');
  const [at, setAt] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const occurred_at = at ? new Date(at).toISOString() : null;
      must(await api.POST('/api/v1/incidents/{id}/notes', { params: { path: { id } }, body: { text, occurred_at } }));
      setText('');
      setAt('');
      onDone();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="note-form" onSubmit={submit}>
      <label for="note-text">Comment</label>
      <textarea id="note-text" rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <div class="row">
        <label for="note-at" class="small">
          Happened at (optional)
        </label>
        <input id="note-at" type="datetime-local" value={at} onInput={(e) => setAt(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy || !text.trim()}>
          Add comment
        </button>
      </div>
      {error ? <ErrorBox error={error} /> : null}
    </form>
  );
}
