// The tenants (GET api/v1/tenants).
import { api } from '../../api';
import { Badge, ErrorBox, Loading } from '../../ui/common';
import { useApi } from '../../ui/use-api';

export function Tenants() {
  const tenants = useApi(() => api.GET('/api/v1/tenants'), []);
  if (tenants.error) return <ErrorBox error={tenants.error} />;
  if (!tenants.data) return <Loading what="tenants" />;
  return (
    <table class="data" data-table="tenants">
      <thead>
        <tr>
          <th scope="col">Tenant</th>
          <th scope="col" />
        </tr>
      </thead>
      <tbody>
        {tenants.data.tenants.map((t) => (
          <tr key={t.name} data-row-id={t.name}>
            <td class="mono">{t.name}</td>
            <td>{t.current ? <Badge tone="info">yours</Badge> : null}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
