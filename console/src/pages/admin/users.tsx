// Local users (api/v1/users): list, create, change role, disable/enable, reset password. A
// password the server generates is shown once.
import { useState } from 'preact/hooks';
import { api, failure, type Schemas } from '../../api';
import { session } from '../../session';
import { Ago, Badge, ErrorBox, Loading, Time } from '../../ui/common';
import { Modal } from '../../ui/modal';
import { toast } from '../../ui/toast';
import { useApi } from '../../ui/use-api';

type Role = Schemas['Role'];
export const ROLES: Role[] = ['viewer', 'analyst', 'lead', 'detection_engineer', 'admin', 'ingest'];

export function RoleSelect({ id, value, onChange, label }: { id: string; value: Role; onChange: (r: Role) => void; label?: string }) {
  return (
    <select id={id} aria-label={label} value={value} onChange={(e) => onChange(e.currentTarget.value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

/** A secret shown once, in a dialog. */
export function SecretModal({ title, what, secret, onClose }: { title: string; what: string; secret: string; onClose: () => void }) {
  return (
    <Modal title={title} onClose={onClose}>
      <p>{what} It is shown only now: copy it.</p>
      <output class="secret" data-secret>
        {secret}
      </output>
      <div class="row">
        <button type="button" onClick={() => void navigator.clipboard?.writeText(secret).then(() => toast('Copied'))}>
          Copy
        </button>
      </div>
    </Modal>
  );
}

export function Users() {
  const users = useApi(() => api.GET('/api/v1/users'), []);
  const [secret, setSecret] = useState<{ user: string; password: string } | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const me = session.get();
  const myName = me.kind === 'signed-in' ? (me.me as { name?: string }).name : undefined;

  const patch = async (name: string, body: Schemas['UserPatch'], done: string) => {
    const r = await api.PATCH('/api/v1/users/{name}', { params: { path: { name } }, body });
    if (!r.response.ok) return setError(failure(r.error, r.response));
    setError(null);
    toast(done);
    users.reload();
  };
  const reset = async (name: string) => {
    const r = await api.POST('/api/v1/users/{name}/password', { params: { path: { name } }, body: {} });
    if (!r.response.ok || !r.data) return setError(failure(r.error, r.response));
    setError(null);
    if (r.data.password) setSecret({ user: name, password: r.data.password });
    users.reload();
  };

  if (users.error) return <ErrorBox error={users.error} />;
  return (
    <>
      <NewUser
        onCreated={(u) => {
          if (u.password) setSecret({ user: u.user.name, password: u.password });
          toast(`User ${u.user.name} created`);
          users.reload();
        }}
      />
      {error ? <ErrorBox error={error} /> : null}
      {!users.data ? (
        <Loading what="users" />
      ) : (
        <table class="data" data-table="users">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
              <th scope="col">Last login</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.data.users.map((u) => (
              <tr key={u.name} data-row-id={u.name}>
                <td class="mono">{u.name}</td>
                <td>
                  <RoleSelect id={`role-${u.name}`} label={`Role of ${u.name}`} value={u.role} onChange={(role) => void patch(u.name, { role }, `${u.name} is now ${role}`)} />
                </td>
                <td>
                  {u.disabled ? <Badge tone="bad">disabled</Badge> : <Badge tone="ok">active</Badge>}{' '}
                  {u.must_change ? <Badge tone="warn">must change password</Badge> : null}
                </td>
                <td>
                  <Ago at={u.last_login} />
                </td>
                <td>
                  <Time at={u.created} />
                </td>
                <td class="cell-actions">
                  <button
                    type="button"
                    disabled={u.name === myName}
                    onClick={() => void patch(u.name, { disabled: !u.disabled }, `${u.name} ${u.disabled ? 'enabled' : 'disabled'}`)}
                  >
                    {u.disabled ? 'Enable' : 'Disable'}
                  </button>
                  <button type="button" onClick={() => void reset(u.name)}>
                    Reset password
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {secret ? <SecretModal title={`Password of ${secret.user}`} what="The new password." secret={secret.password} onClose={() => setSecret(null)} /> : null}
    </>
  );
}

function NewUser({ onCreated }: { onCreated: (u: Schemas['UserWithPassword']) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    const r = await api.POST('/api/v1/users', { body: { name: name.trim(), role, ...(password ? { password } : {}), must_change: true } });
    setBusy(false);
    if (!r.response.ok || !r.data) return setError(failure(r.error, r.response));
    setError(null);
    setName('');
    setPassword('');
    onCreated(r.data);
  };
  return (
    <form class="panel filters" onSubmit={(e) => void submit(e)} aria-label="New user">
      <div class="field">
        <label for="new-user-name">New user</label>
        <input id="new-user-name" required autocomplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="new-user-role">Role</label>
        <RoleSelect id="new-user-role" value={role} onChange={setRole} />
      </div>
      <div class="field">
        <label for="new-user-password">Password (empty: generated)</label>
        <input id="new-user-password" type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
      </div>
      <button type="submit" class="primary" disabled={busy || !name.trim()}>
        Create user
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </form>
  );
}
