// Administration: `#/admin/<section>` with users, API keys, roles, tenants, and policies &
// channels. The server refuses what the principal may not do; each section shows its message.
import type { FunctionComponent } from 'preact';
import type { RouteProps } from '../routes';
import { href } from '../router';
import { Empty, PageHeader } from '../ui/common';
import '../styles/coverage.css';
import { ApiKeys } from './admin/apikeys';
import { Policies } from './admin/policies';
import { Roles } from './admin/roles';
import { Tenants } from './admin/tenants';
import { Users } from './admin/users';

const SECTIONS: { id: string; label: string; page: FunctionComponent }[] = [
  { id: 'users', label: 'Users', page: Users },
  { id: 'apikeys', label: 'API keys', page: ApiKeys },
  { id: 'roles', label: 'Roles', page: Roles },
  { id: 'tenants', label: 'Tenants', page: Tenants },
  { id: 'policies', label: 'Policies & channels', page: Policies },
];

export function Admin({ params }: RouteProps) {
  const section = SECTIONS.find((s) => s.id === params.section);
  const Page = section?.page;
  return (
    <section class="page" data-page={`admin-${params.section ?? ''}`}>
      <PageHeader title={`Admin · ${section?.label ?? params.section ?? ''}`} />
      <nav aria-label="Admin sections">
        <div class="tabs">
          {SECTIONS.map((s) => (
            <a key={s.id} href={href(`/admin/${s.id}`)} aria-current={s.id === params.section ? 'page' : undefined}>
              {s.label}
            </a>
          ))}
        </div>
      </nav>
      {Page ? <Page /> : <Empty>No admin section “{params.section}”.</Empty>}
    </section>
  );
}
