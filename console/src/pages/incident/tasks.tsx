// The incident's tasks: the runbook's checklist and those added by hand; completing one or
// adding one goes to `…/tasks`.
import { useEffect, useState } from 'preact/hooks';
import { api, must } from '../../api';
import { can } from '../../session';
import { Ago, Badge, Empty, ErrorBox, Loading } from '../../ui/common';
import { toast } from '../../ui/toast';
import { useApi } from '../../ui/use-api';
import type { Task } from './model';

export function Tasks({ id, onChange }: { id: string; onChange: () => void }) {
  const tasks = useApi(() => api.GET('/api/v1/incidents/{id}/tasks', { params: { path: { id } } }), [id]);
  const writable = can('case:write');
  const changed = () => {
    tasks.reload();
    onChange();
  };
  const list = tasks.data?.tasks ?? [];
  const done = list.filter((t) => t.status === 'done' || t.status === 'skipped').length;
  return (
    <section class="panel" aria-labelledby="tasks-h">
      <h2 id="tasks-h">
        Tasks <span class="muted small">{list.length ? `${done}/${list.length} done` : ''}</span>
      </h2>
      {tasks.error ? <ErrorBox error={tasks.error} /> : null}
      {tasks.loading && !tasks.data ? <Loading what="tasks" /> : null}
      {tasks.data && list.length === 0 ? <Empty>No tasks yet.</Empty> : null}
      <ul class="tasks" data-table="tasks">
        {list.map((t) => (
          <TaskRow key={t.id} incident={id} task={t} writable={writable} onChange={changed} />
        ))}
      </ul>
      {writable ? <AddTask id={id} onDone={changed} /> : null}
    </section>
  );
}

function TaskRow({ incident, task, writable, onChange }: { incident: string; task: Task; writable: boolean; onChange: () => void }) {
  const [busy, setBusy] = useState(false);
  // What the analyst asked for, shown at once while the server is asked (null: the server's).
  const [wanted, setWanted] = useState<boolean | null>(null);
  const finished = task.status === 'done' || task.status === 'skipped';
  const checked = wanted ?? task.status === 'done';
  useEffect(() => setWanted(null), [task.status]);
  const toggle = async () => {
    const next = !checked;
    setWanted(next);
    setBusy(true);
    try {
      must(
        await api.PATCH('/api/v1/incidents/{id}/tasks/{task_id}', {
          params: { path: { id: incident, task_id: task.id } },
          body: { status: next ? 'done' : 'open' },
        }),
      );
      onChange();
    } catch (err) {
      setWanted(null);
      toast((err as Error).message, 'bad');
    } finally {
      setBusy(false);
    }
  };
  const boxId = `task-${task.id}`;
  return (
    <li data-row-id={task.id} data-status={task.status} class={finished ? 'task done' : 'task'}>
      <input id={boxId} type="checkbox" checked={checked} disabled={!writable || busy} onChange={toggle} />
      <div class="task-main">
        <label for={boxId} class="task-title">
          {task.title}
        </label>{' '}
        {task.mandatory ? <Badge tone="info">mandatory</Badge> : null} {task.phase ? <span class="muted small">{task.phase.replace('_', ' ')}</span> : null}{' '}
        {task.overdue ? <Badge tone="bad">overdue</Badge> : null} {task.status === 'skipped' ? <Badge>skipped</Badge> : null}
      </div>
      <span class="muted small task-meta">
        {task.assignee ? `${task.assignee} · ` : ''}
        {task.due && !finished ? (
          <>
            due <Ago at={task.due} />
          </>
        ) : null}
        {task.completed ? (
          <>
            done by {task.completed_by ?? '?'} <Ago at={task.completed} />
          </>
        ) : null}
      </span>
    </li>
  );
}

function AddTask({ id, onDone }: { id: string; onDone: () => void }) {
  const [title, setTitle] = useState('');
  const [mandatory, setMandatory] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      must(await api.POST('/api/v1/incidents/{id}/tasks', { params: { path: { id } }, body: { title: title.trim(), mandatory } }));
      setTitle('');
      setMandatory(false);
      onDone();
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <form class="row add-task" onSubmit={submit}>
      <label for="task-new" class="sr-only">
        New task
      </label>
      <input id="task-new" class="grow" placeholder="New task" value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      <label class="small">
        <input type="checkbox" checked={mandatory} onChange={(e) => setMandatory(e.currentTarget.checked)} /> mandatory
      </label>
      <button type="submit" disabled={!title.trim()}>
        Add task
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </form>
  );
}
