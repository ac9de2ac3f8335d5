// What the incidents pages share: the incident's types, the RSIT classes, labels of severity,
// priority and status, the NIST SP 800-61 phase a status belongs to, and how an SLA timer reads.
import { useEffect, useState } from 'preact/hooks';
import { api, type Schemas } from '../../api';

export type Incident = Schemas['Incident'];
export type Timer = Schemas['Timer'];
export type Task = Schemas['Task'];
export type Observable = Schemas['Observable'];
export type Attachment = Schemas['Attachment'];
export type IncidentStatus = Schemas['IncidentStatus'];

export const STATUSES: IncidentStatus[] = [
  'new',
  'acknowledged',
  'investigating',
  'contained',
  'eradicated',
  'recovered',
  'on_hold',
  'closed',
];

export const SEVERITIES: Record<number, string> = { 1: 'low', 2: 'medium', 3: 'high', 4: 'critical' };

/** Severity 1–4 as the level badge reads it. */
export function severityName(s: number): string {
  return SEVERITIES[s] ?? String(s);
}

export function statusLabel(s: string): string {
  return s.replace('_', ' ');
}

/** The NIST SP 800-61 phase an incident's status stands in. */
export function nistPhase(status: string): string {
  switch (status) {
    case 'new':
    case 'acknowledged':
    case 'investigating':
      return 'Detection & analysis';
    case 'contained':
    case 'eradicated':
    case 'recovered':
      return 'Containment, eradication & recovery';
    case 'closed':
      return 'Post-incident activity';
    case 'on_hold':
      return 'On hold (SLA paused)';
    default:
      return '—';
  }
}

/** The incident classes the server accepts (RSIT `category:type`) and their categories. */
export interface Rsit {
  classes: string[];
  categories: string[];
}

let rsitLoaded: Rsit | null = null;
let rsitLoading: Promise<Rsit> | null = null;

function loadRsit(): Promise<Rsit> {
  rsitLoading ??= api.GET('/api/v1/taxonomy').then((r) => {
    const classes = (r.data?.classes ?? []).map((c) => c.name);
    if (!r.data) rsitLoading = null; // not cached: asked again by the next page
    else rsitLoaded = { classes, categories: [...new Set(r.data.classes.map((c) => c.category))] };
    return rsitLoaded ?? { classes, categories: [] };
  });
  return rsitLoading;
}

/** RSIT as `GET /api/v1/taxonomy` gives it, fetched once per page load (empty until it answers). */
export function useRsit(): Rsit {
  const [rsit, setRsit] = useState<Rsit>(rsitLoaded ?? { classes: [], categories: [] });
  useEffect(() => {
    if (!rsitLoaded) void loadRsit().then(setRsit, () => undefined);
  }, []);
  return rsit;
}

/** `list` with `current` in front when it is not in it (a value the list does not hold yet). */
export function withCurrent(list: string[], current: string): string[] {
  return list.includes(current) ? list : [current, ...list];
}

export type SlaState = 'ok' | 'at_risk' | 'breached' | 'met' | 'paused' | 'none';

/** One timer's state as the analyst reads it. */
export function timerState(t: Timer | null | undefined): SlaState {
  if (!t) return 'none';
  if (t.state === 'breached') return 'breached';
  if (t.state === 'met') return 'met';
  if (t.state === 'paused') return 'paused';
  return t.warning ? 'at_risk' : 'ok';
}

const RANK: Record<SlaState, number> = { breached: 5, at_risk: 4, ok: 3, paused: 2, met: 1, none: 0 };

export const TIMERS = ['acknowledge', 'contain', 'resolve'] as const;
export type TimerName = (typeof TIMERS)[number];

/** The worst state of an incident's timers (for the list's badge). */
export function worstSla(i: Incident): SlaState {
  let worst: SlaState = 'none';
  for (const name of TIMERS) {
    const s = timerState(i.sla[name]);
    if (RANK[s] > RANK[worst]) worst = s;
  }
  return worst;
}

export const SLA_LABEL: Record<SlaState, string> = {
  ok: 'ok',
  at_risk: 'at risk',
  breached: 'breached',
  met: 'met',
  paused: 'paused',
  none: 'no SLA',
};

export const SLA_TONE: Record<SlaState, 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = {
  ok: 'ok',
  at_risk: 'warn',
  breached: 'bad',
  met: 'info',
  paused: 'muted',
  none: 'muted',
};

/** `1:02:03` style countdown (days prefixed), signed by the caller. */
export function clock(ms: number): string {
  const total = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(total / 86400);
  const h = Math.floor((total % 86400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d ? `${d}d ` : ''}${pad(h)}:${pad(m)}:${pad(s)}`;
}
