// API keys (api/v1/apikeys): list, create (the secret is shown once), revoke.
import { useState } from 'preact/hooks';
import { api, failure, type Schemas } from '../../api';
import { Ago, Badge, ErrorBox, Loading, Time } from '../../ui/common';
import { toast } from '../../ui/toast';
import { useApi } from '../../ui/use-api';
import { RoleSelect, SecretModal } from './users';

type Role = Schemas['Role'];

export function ApiKeys() {
  const keys = useApi(() => api.GET('/api/v1/apikeys'), []);
  const [created, setCreated] = useState<Schemas['CreatedApiKey'] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const revoke = async (k: Schemas['ApiKey']) => {
    if (!confirm(`Revoke the API key “${k.name}”? Clients using it are refused from now on.`)) return;
    const r = await api.DELETE('/api/v1/apikeys/{id}', { params: { path: { id: k.id } } });
    if (!r.response.ok) return setError(failure(r.error, r.response));
    setError(null);
    toast(`Key ${k.name} revoked`);
    keys.reload();
  };
  if (keys.error) return <ErrorBox error={keys.error} />;
  return (
    <>
      <NewKey
        onCreated={(k) => {
          setCreated(k);
          keys.reload();
        }}
      />
      {error ? <ErrorBox error={error} /> : null}
      {!keys.data ? (
        <Loading what="API keys" />
      ) : (
        <table class="data" data-table="apikeys">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Id</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.data.keys.map((k) => (
              <tr key={k.id} data-row-id={k.id}>
                <td>{k.name}</td>
                <td class="mono">{k.id}</td>
                <td class="mono">{k.role}</td>
                <td data-col="state">
                  <Badge tone={k.state === 'active' ? 'ok' : k.state === 'revoked' ? 'bad' : 'warn'}>{k.state}</Badge>
                </td>
                <td>
                  <Time at={k.created} />
                </td>
                <td>
                  <Time at={k.expires} />
                </td>
                <td>
                  <Ago at={k.last_used} />
                </td>
                <td>
                  {k.state === 'active' ? (
                    <button type="button" class="danger" onClick={() => void revoke(k)} aria-label={`Revoke ${k.name}`}>
                      Revoke
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {created ? (
        <SecretModal title={`API key ${created.key.name}`} what={`The secret of key ${created.key.id}.`} secret={created.secret} onClose={() => setCreated(null)} />
      ) : null}
    </>
  );
}

function NewKey({ onCreated }: { onCreated: (k: Schemas['CreatedApiKey']) => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('ingest');
  const [expires, setExpires] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const r = await api.POST('/api/v1/apikeys', { body: { name: name.trim(), role, ...(expires ? { expires } : {}) } });
    if (!r.response.ok || !r.data) return setError(failure(r.error, r.response));
    setError(null);
    setName('');
    onCreated(r.data);
  };
  return (
    <form class="panel filters" onSubmit={(e) => void submit(e)} aria-label="New API key">
      <div class="field">
        <label for="new-key-name">New API key</label>
        <input id="new-key-name" required autocomplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="new-key-role">Role</label>
        <RoleSelect id="new-key-role" value={role} onChange={setRole} />
      </div>
      <div class="field">
        <label for="new-key-expires">Expires (optional)</label>
        <input id="new-key-expires" placeholder="2027-01-01T00:00:00Z" value={expires} onInput={(e) => setExpires(e.currentTarget.value)} />
      </div>
      <button type="submit" class="primary" disabled={!name.trim()}>
        Create key
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </form>
  );
}
