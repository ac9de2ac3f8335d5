// The console's pages by hash path. Each page is one component in src/pages/.
import type { FunctionComponent } from 'preact';
import { Admin } from './pages/admin';
import { Audit } from './pages/audit';
import { Coverage } from './pages/coverage';
import { Placeholder } from './pages/placeholder';
import { Alerts } from './pages/alerts';
import { AlertPage } from './pages/alert';
import { Rule } from './pages/rule';
import { Rules } from './pages/rules';
import { Sources } from './pages/sources';
import { Incident } from './pages/incident';
import { Incidents } from './pages/incidents';
import { SearchPage } from './pages/search';
import { DashboardPage } from './pages/dashboard';

export interface RouteProps {
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface Route {
  pattern: string;
  page: FunctionComponent<RouteProps>;
  title: string;
}

export const ROUTES: Route[] = [
  { pattern: '/alerts', page: Alerts, title: 'Alerts' },
  { pattern: '/alerts/:id', page: AlertPage, title: 'Alert' },
  { pattern: '/incidents', page: Incidents, title: 'Incidents' },
  { pattern: '/incidents/:id', page: Incident, title: 'Incident' },
  { pattern: '/search', page: SearchPage, title: 'Search' },
  { pattern: '/dashboard', page: DashboardPage, title: 'Dashboard' },
  { pattern: '/coverage', page: Coverage, title: 'Coverage' },
  { pattern: '/rules', page: Rules, title: 'Rules' },
  { pattern: '/rules/:id', page: Rule, title: 'Rule' },
  { pattern: '/sources', page: Sources, title: 'Sources' },
  { pattern: '/audit', page: Audit, title: 'Audit log' },
  { pattern: '/admin/:section', page: Admin, title: 'Admin' },
];
