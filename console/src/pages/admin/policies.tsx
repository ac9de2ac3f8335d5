// SLA and escalation policies, notification channels, on-call and report schedules
// (GET api/v1/policies): read-only, they come from the configuration file.
import type { ComponentChildren } from 'preact';
import { api } from '../../api';
import { Badge, Empty, ErrorBox, Loading } from '../../ui/common';
import { useApi } from '../../ui/use-api';

function Table({ name, head, rows }: { name: string; head: string[]; rows: [string, ComponentChildren[]][] }) {
  if (rows.length === 0) return <Empty>None configured.</Empty>;
  return (
    <table class="data" data-table={name}>
      <thead>
        <tr>
          {head.map((h) => (
            <th scope="col" key={h}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map(([id, cells]) => (
          <tr key={id} data-row-id={id}>
            {cells.map((c, i) => (
              <td key={i} class="wrap">
                {c}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Policies() {
  const loaded = useApi(() => api.GET('/api/v1/policies'), []);
  if (loaded.error) return <ErrorBox error={loaded.error} />;
  if (!loaded.data) return <Loading what="policies" />;
  const p = loaded.data;
  const list = (xs: string[] | number[]) => (xs.length ? xs.join(', ') : '—');
  return (
    <>
      <p class="muted">
        These come from the server's configuration file (<code>[respond]</code> and <code>[reports]</code>), kept as code and reviewed like rules: change
        them there and restart <code>vigil serve</code> (SIGHUP reloads the rules only).
      </p>
      <h2>SLA</h2>
      <Table
        name="sla"
        head={['Priority', 'Acknowledge', 'Contain', 'Resolve', 'Warn at', 'Calendar']}
        rows={p.sla.map((s) => [s.priority, [s.priority, s.acknowledge ?? '—', s.contain ?? '—', s.resolve ?? '—', `${Math.round(s.warn_at * 100)}%`, s.calendar]])}
      />
      <p class="muted">
        SLA warnings notify {list(p.sla_notify.sla_warning)}; breaches notify {list(p.sla_notify.sla_breach)}.
      </p>
      <h2>Priority matrix</h2>
      <Table
        name="priority-matrix"
        head={['Severity', 'Priority by impact']}
        rows={(['high', 'medium', 'low'] as const).map((k) => [k, [k, list(p.priority_matrix[k])]])}
      />
      <h2>Escalation</h2>
      <Table
        name="escalation"
        head={['Policy', 'Priorities', 'Levels', 'Until']}
        rows={p.escalation.map((e) => [
          e.name,
          [e.name, list(e.priorities), e.levels.map((l) => `after ${l.after}: ${list(l.notify)}${l.repeat ? ` (every ${l.repeat})` : ''}`).join(' → '), e.until],
        ])}
      />
      <h2>Notification channels</h2>
      <Table
        name="channels"
        head={['Channel', 'Type', 'Target', 'Authenticated']}
        rows={p.channels.map((c) => [c.name, [c.name, c.type, <span class="mono">{c.target}</span>, c.authenticated ? <Badge tone="ok">yes</Badge> : <Badge>no</Badge>]])}
      />
      <h2>Auto-incident policies</h2>
      <Table
        name="auto-incident"
        head={['Policy', 'Alerts', 'Min level', 'Within', 'Classification']}
        rows={p.auto_incident.map((a) => [a.name, [a.name, String(a.count), a.min_level, a.within ?? '—', a.classification]])}
      />
      <h2>On-call</h2>
      <Table name="oncall" head={['Rotation', 'Members', 'Zone', 'Channel']} rows={p.oncall.map((r) => [r.name, [r.name, list(r.members), r.zone, r.channel]])} />
      <h2>Teams and people</h2>
      <Table name="teams" head={['Team', 'Members']} rows={p.teams.map((t) => [t.name, [t.name, list(t.members)]])} />
      <Table name="people" head={['Person', 'Email']} rows={p.people.map((x) => [x.name, [x.name, x.email]])} />
      {p.people_channel ? <p class="muted">People are notified through {p.people_channel}.</p> : null}
      <h2>Scheduled reports</h2>
      <Table
        name="reports"
        head={['Report', 'Every', 'Formats', 'Tenant', 'Notify']}
        rows={p.reports.map((r) => [r.name, [r.name, r.every, list(r.formats), r.tenant, list(r.notify)]])}
      />
    </>
  );
}
