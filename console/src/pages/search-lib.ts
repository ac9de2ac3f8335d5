// The search page's pure helpers: time ranges, histogram intervals and buckets, an event's fields
// flattened to dotted paths, and where a query error points.
import type { Schemas } from '../api';

export type Hit = Schemas['Hit'];

/** The time presets of the picker: a relative `from` (an age the server reads) and no `to`. */
export const PRESETS: { value: string; label: string }[] = [
  { value: '15m', label: 'Last 15 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: '', label: 'All time' },
];

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** An age such as `15m` / `24h` / `7d` in seconds, or null when it is not one. */
export function ageSeconds(v: string): number | null {
  const m = /^(\d+)([smhdw])$/.exec(v.trim());
  if (!m) return null;
  return Number(m[1]) * (UNIT[m[2] as string] as number);
}

/** A `from`/`to` value as an instant (ms), relative ages counted back from `now`; null when open. */
export function instant(v: string | null | undefined, now: number): number | null {
  if (!v) return null;
  if (v === 'now') return now;
  const age = ageSeconds(v);
  if (age !== null) return now - age * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

/** Histogram intervals, smallest first: `[seconds, the server's duration]`. */
const INTERVALS: [number, string][] = [
  [1, '1s'], [5, '5s'], [10, '10s'], [30, '30s'], [60, '1m'], [300, '5m'], [600, '10m'], [1800, '30m'],
  [3600, '1h'], [10800, '3h'], [21600, '6h'], [43200, '12h'], [86400, '1d'], [604800, '7d'], [2592000, '30d'],
  [7776000, '90d'], [31536000, '365d'],
];

/** The smallest interval giving at most `target` buckets over `spanMs`. */
export function pickInterval(spanMs: number, target = 60): { seconds: number; text: string } {
  const want = spanMs / 1000 / target;
  for (const [s, text] of INTERVALS) if (s >= want) return { seconds: s, text };
  const last = INTERVALS[INTERVALS.length - 1] as [number, string];
  return { seconds: last[0], text: last[1] };
}

export interface Bucket {
  start: number;
  end: number;
  count: number;
}

/**
 * Every bucket from the range's start to its end (empty ones too, so gaps show), with the
 * server's counts placed by their keys. Buckets are aligned to multiples of the interval.
 */
export function fillBuckets(server: { key: string; doc_count: number }[], startMs: number, endMs: number, seconds: number): Bucket[] {
  const step = seconds * 1000;
  const counts = new Map<number, number>();
  for (const b of server) counts.set(Date.parse(b.key), b.doc_count);
  let first = Math.floor(startMs / step) * step;
  const keys = [...counts.keys()];
  if (keys.length) first = Math.min(first, Math.min(...keys));
  let last = Math.max(endMs, keys.length ? Math.max(...keys) + step : endMs);
  if (last - first > step * 400) last = first + step * 400; // never more bars than pixels
  const out: Bucket[] = [];
  for (let t = first; t < last; t += step) out.push({ start: t, end: t + step, count: counts.get(t) ?? 0 });
  return out;
}

/** An event's fields as `[dotted path, text]`, nested objects flattened, arrays joined. */
export function flatten(fields: unknown, prefix = '', out: [string, string][] = []): [string, string][] {
  if (fields !== null && typeof fields === 'object' && !Array.isArray(fields)) {
    for (const [k, v] of Object.entries(fields as Record<string, unknown>)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out.push([prefix, scalarText(fields)]);
  }
  return out;
}

function scalarText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object')) return v.map((x) => String(x)).join(', ');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Fields an analyst looks at first (Windows, Sysmon, syslog), in that order. */
const FIRST = [
  'EventID', 'Channel', 'Computer', 'host', 'Provider_Name', 'TargetUserName', 'SubjectUserName', 'User', 'LogonType',
  'IpAddress', 'Image', 'ParentImage', 'CommandLine', 'ProcessName', 'ServiceName', 'ShareName', 'ObjectName',
  'program', 'severity', 'message',
];
/** Fields whose values are ids or counters: no use as top values, noise in a summary. */
const NOISE = /^(Provider_Guid|Correlation_|Execution_|EventRecordID|TimeCreated|Keywords|Version|Level|Task|Opcode|vigil_|.*(Guid|LogonId|Sid)$)/;

function rank(k: string): number {
  const i = FIRST.indexOf(k);
  return i < 0 ? FIRST.length : i;
}

/** The field paths most events of the page carry (for the sidebar's top values). */
export function commonFields(hits: Hit[], limit: number): string[] {
  const seen = new Map<string, number>();
  for (const h of hits) for (const [k, v] of flatten(h.fields)) if (v !== '' && v.length <= 200 && !NOISE.test(k)) seen.set(k, (seen.get(k) ?? 0) + 1);
  return [...seen.entries()]
    .sort((a, b) => rank(a[0]) - rank(b[0]) || b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([k]) => k);
}

/** The 0-based character a query error points at (`… at column 6: …`), or null. */
export function errorColumn(message: string): number | null {
  const m = /at column (\d+)/.exec(message);
  return m ? Number(m[1]) - 1 : null;
}

/** A query term `field:value`, the value quoted when it is not one plain word. */
export function term(field: string, value: string): string {
  const plain = /^[\w.@-]+$/.test(value);
  const quoted = `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const key = /^[\w.@-]+$/.test(field) ? field : field.replace(/([^\w.@-])/g, '\\$1');
  return `${key}:${plain ? value : quoted}`;
}

/** Adds `part` to a query with AND (or makes it the query). */
export function andQuery(query: string, part: string): string {
  const q = query.trim();
  if (!q) return part;
  return /\s(OR)\s/i.test(q) ? `(${q}) AND ${part}` : `${q} AND ${part}`;
}

/** A one-line summary of an event for the results table. */
export function summary(h: Hit): string {
  const pairs = flatten(h.fields)
    .filter(([k, v]) => v !== '' && v !== '-' && !NOISE.test(k))
    .sort((a, b) => rank(a[0]) - rank(b[0]))
    .slice(0, 12);
  return pairs.map(([k, v]) => `${k}=${v}`).join('  ');
}
