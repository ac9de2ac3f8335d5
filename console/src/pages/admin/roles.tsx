// The roles and what each may do (GET api/v1/roles).
import { api } from '../../api';
import { ErrorBox, Loading } from '../../ui/common';
import { useApi } from '../../ui/use-api';

export function Roles() {
  const roles = useApi(() => api.GET('/api/v1/roles'), []);
  if (roles.error) return <ErrorBox error={roles.error} />;
  if (!roles.data) return <Loading what="roles" />;
  const meaning = new Map(roles.data.permissions.map((p) => [p.permission as string, p.meaning]));
  return (
    <>
      <table class="data" data-table="roles">
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Description</th>
            <th scope="col">Permissions</th>
          </tr>
        </thead>
        <tbody>
          {roles.data.roles.map((r) => (
            <tr key={r.role} data-row-id={r.role}>
              <td class="mono">{r.role}</td>
              <td class="wrap">{r.description}</td>
              <td>
                <span class="perm-list">
                  {r.permissions.map((p) => (
                    <code key={p} title={meaning.get(p)}>
                      {p}
                    </code>
                  ))}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Permissions</h2>
      <table class="data" data-table="permissions">
        <thead>
          <tr>
            <th scope="col">Permission</th>
            <th scope="col">Meaning</th>
          </tr>
        </thead>
        <tbody>
          {roles.data.permissions.map((p) => (
            <tr key={p.permission} data-row-id={p.permission}>
              <td class="mono">{p.permission}</td>
              <td>{p.meaning}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
