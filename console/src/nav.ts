// The navigation: each item with the permission its page needs (hidden without it; the server
// refuses the page's calls anyway).
export interface NavItem {
  path: string;
  label: string;
  /** The permission the page needs; absent for every signed-in principal. */
  permission?: string;
  /** Shown under "Admin". */
  admin?: boolean;
  /** A single key that opens the page after `g` (g a → alerts). */
  key?: string;
}

export const NAV: NavItem[] = [
  { path: '/alerts', label: 'Alerts', permission: 'alert:read', key: 'a' },
  { path: '/incidents', label: 'Incidents', permission: 'case:read', key: 'i' },
  { path: '/search', label: 'Search', permission: 'search:query', key: 's' },
  { path: '/dashboard', label: 'Dashboard', permission: 'case:read', key: 'd' },
  { path: '/coverage', label: 'Coverage', permission: 'coverage:read', key: 'c' },
  { path: '/rules', label: 'Rules', permission: 'rule:read', key: 'r' },
  { path: '/sources', label: 'Sources', permission: 'source:read', key: 'o' },
  { path: '/audit', label: 'Audit log', permission: 'audit:read', key: 'l' },
  { path: '/admin/users', label: 'Users', permission: 'user:manage', admin: true },
  { path: '/admin/apikeys', label: 'API keys', permission: 'apikey:manage', admin: true },
  { path: '/admin/roles', label: 'Roles', permission: 'user:manage', admin: true },
  { path: '/admin/tenants', label: 'Tenants', permission: 'tenant:manage', admin: true },
  { path: '/admin/policies', label: 'Policies & channels', permission: 'user:manage', admin: true },
];
