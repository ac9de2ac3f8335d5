// Saved views of the alert queue (`api/v1/views`, page `alerts`): the queue's URL query under a
// name, private or shared with the tenant. Picking one applies its filters; the current filters
// can be saved, a view of one's own updated or deleted.
import { useState } from 'preact/hooks';
import { api, must, type Schemas } from '../api';
import { navigate } from '../router';
import { session } from '../session';
import { useApi } from '../ui/use-api';
import { toast } from '../ui/toast';

type View = Schemas['SavedView'];

function queryObject(query: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of query) out[k] = v;
  return out;
}

function sameQuery(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}

export function SavedViews({ query }: { query: URLSearchParams }) {
  const views = useApi(() => api.GET('/api/v1/views', { params: { query: { page: 'alerts' } } }), []);
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const list = views.data?.views ?? [];
  const now = queryObject(query);
  const active = list.find((v) => sameQuery(v.query, now));
  const s = session.get();
  const me = s.kind === 'signed-in' ? s.me.id : '';

  const save = async (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return;
    try {
      must(await api.POST('/api/v1/views', { body: { name: name.trim(), page: 'alerts', query: now, shared } }));
      toast(`View “${name.trim()}” saved`);
      setName('');
      views.reload();
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), 'bad', 8000);
    }
  };
  const update = async (v: View) => {
    try {
      must(await api.PATCH('/api/v1/views/{id}', { params: { path: { id: v.id } }, body: { query: now } }));
      toast(`View “${v.name}” updated`);
      views.reload();
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), 'bad', 8000);
    }
  };
  const remove = async (v: View) => {
    try {
      must(await api.DELETE('/api/v1/views/{id}', { params: { path: { id: v.id } } }));
      toast(`View “${v.name}” deleted`);
      views.reload();
    } catch (err) {
      toast(err instanceof Error ? err.message : String(err), 'bad', 8000);
    }
  };
  const pick = (id: string) => {
    const v = list.find((x) => x.id === id);
    navigate('/alerts', v ? new URLSearchParams(v.query) : undefined, true);
  };

  return (
    <div class="views-bar">
      <label class="field compact">
        Saved view
        <select id="alerts-view" value={active?.id ?? ''} onChange={(e) => pick(e.currentTarget.value)}>
          <option value="">{active ? 'default queue' : list.length ? '— choose a view —' : 'no saved views'}</option>
          {list.map((v) => (
            <option key={v.id} value={v.id}>
              {v.name}
              {v.shared ? ' (shared)' : ''}
            </option>
          ))}
        </select>
      </label>
      {active && active.owner === me ? (
        <button type="button" class="ghost" onClick={() => void remove(active)}>
          Delete view
        </button>
      ) : null}
      <form class="row" onSubmit={(e) => void save(e)}>
        <label class="field compact">
          Save filters as
          <input id="alerts-view-name" maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="view name" />
        </label>
        <label class="inline">
          <input type="checkbox" checked={shared} onChange={(e) => setShared(e.currentTarget.checked)} /> shared
        </label>
        <button type="submit" disabled={!name.trim()}>
          Save view
        </button>
      </form>
      {!active && list.some((v) => v.owner === me) ? (
        <UpdateMenu views={list.filter((v) => v.owner === me)} onPick={(v) => void update(v)} />
      ) : null}
    </div>
  );
}

function UpdateMenu({ views, onPick }: { views: View[]; onPick: (v: View) => void }) {
  return (
    <label class="field compact">
      Overwrite view
      <select
        id="alerts-view-overwrite"
        value=""
        onChange={(e) => {
          const v = views.find((x) => x.id === e.currentTarget.value);
          if (v) onPick(v);
        }}
      >
        <option value="">—</option>
        {views.map((v) => (
          <option key={v.id} value={v.id}>
            {v.name}
          </option>
        ))}
      </select>
    </label>
  );
}
