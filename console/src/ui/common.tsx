// Small shared pieces: errors, loading and empty states, badges, times, keys.
import type { ComponentChildren } from 'preact';
import type { ApiFailure } from '../api';

export function ErrorBox({ error, action }: { error: ApiFailure | Error | string; action?: ComponentChildren }) {
  const text = typeof error === 'string' ? error : error.message;
  const code = typeof error === 'object' && 'code' in error ? (error as ApiFailure).code : undefined;
  const status = typeof error === 'object' && 'status' in error ? (error as ApiFailure).status : undefined;
  return (
    <div class="error-box" role="alert">
      <strong>{status === 403 ? 'Not permitted' : 'Error'}</strong>
      {code ? <code class="error-code">{code}</code> : null}
      <span class="error-text">{text}</span>
      {action}
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      Loading{what ? ` ${what}` : ''}…
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function Kbd({ children }: { children: ComponentChildren }) {
  return <kbd class="kbd">{children}</kbd>;
}

const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'];

export function LevelBadge({ level }: { level: string }) {
  const known = LEVELS.includes(level) ? level : 'unknown';
  return <span class={`badge level-${known}`}>{level}</span>;
}

export function Badge({ children, tone }: { children: ComponentChildren; tone?: 'ok' | 'warn' | 'bad' | 'info' | 'muted' }) {
  return <span class={`badge tone-${tone ?? 'muted'}`}>{children}</span>;
}

/** An absolute time in the analyst's zone, with the UTC time in its tooltip. */
export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">—</span>;
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return <span>{at}</span>;
  return (
    <time dateTime={at} title={d.toISOString()}>
      {formatTime(d)}
    </time>
  );
}

export function formatTime(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3 min ago", "in 2 h" — and the absolute time in the tooltip. */
export function Ago({ at, now }: { at: string | null | undefined; now?: number }) {
  if (!at) return <span class="muted">—</span>;
  const d = new Date(at);
  return (
    <time dateTime={at} title={formatTime(d)}>
      {relative(d.getTime() - (now ?? Date.now()))}
    </time>
  );
}

export function relative(ms: number): string {
  const past = ms < 0;
  const text = duration(Math.abs(ms) / 1000);
  return past ? `${text} ago` : `in ${text}`;
}

/** Seconds as people read them: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`. */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86400) {
    const m = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)} h${m ? ` ${m} min` : ''}`;
  }
  const h = Math.floor((s % 86400) / 3600);
  return `${Math.floor(s / 86400)} d${h ? ` ${h} h` : ''}`;
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <h1>{title}</h1>
      <div class="page-actions">{children}</div>
    </header>
  );
}
