// The incident's SLA timers as live countdowns: the API gives each timer's due instant and state;
// the page ticks every second from those (a paused or met timer stands still).
import { useEffect, useState } from 'preact/hooks';
import { Badge, Time, duration } from '../../ui/common';
import { SLA_LABEL, SLA_TONE, TIMERS, clock, timerState, type Incident, type Timer } from './model';

/** The current time, updated every second while mounted. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function SlaPanel({ incident }: { incident: Incident }) {
  const now = useNow();
  const timers = TIMERS.map((name) => [name, incident.sla[name]] as const).filter(([, t]) => t);
  return (
    <section class="panel sla-panel" aria-labelledby="sla-h">
      <h2 id="sla-h">
        SLA <span class="muted small">policy {incident.sla.policy}, {incident.sla.calendar} calendar</span>
      </h2>
      {timers.length === 0 ? <p class="muted">No SLA timers apply to this incident.</p> : null}
      <div class="sla-timers">
        {timers.map(([name, t]) => (
          <Countdown key={name} name={name} timer={t as Timer} now={now} />
        ))}
      </div>
    </section>
  );
}

function Countdown({ name, timer, now }: { name: string; timer: Timer; now: number }) {
  const due = timer.due ? new Date(timer.due).getTime() : null;
  // A running timer whose due time passed since the page loaded has breached.
  const given = timerState(timer);
  const state = (given === 'ok' || given === 'at_risk') && due !== null && due < now ? 'breached' : given;
  let text: string;
  if (state === 'met') text = `met after ${duration(timer.elapsed_seconds)}`;
  else if (state === 'paused') text = `paused, ${duration(Math.max(0, timer.target_seconds - timer.elapsed_seconds))} left`;
  else if (due === null) text = 'no working time left to reach it';
  else if (due >= now) text = `${clock(due - now)} left`;
  else text = `overdue by ${clock(now - due)}`;
  return (
    <div class={`sla-timer sla-${state}`} data-sla={name} data-sla-state={state}>
      <div class="sla-name">{name}</div>
      <div class="sla-clock mono" data-sla-countdown={name}>
        {text}
      </div>
      <div class="small">
        <Badge tone={SLA_TONE[state]}>{SLA_LABEL[state]}</Badge> target {duration(timer.target_seconds)}
        {timer.due ? (
          <>
            {' '}
            · due <Time at={timer.due} />
          </>
        ) : null}
      </div>
    </div>
  );
}
