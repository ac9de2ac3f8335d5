// One rule (GET api/v1/rules/{id}): its figures, metadata and YAML as loaded.
import { api } from '../api';
import type { RouteProps } from '../routes';
import { href } from '../router';
import { Ago, Badge, ErrorBox, LevelBadge, Loading, PageHeader } from '../ui/common';
import { useApi } from '../ui/use-api';
import { percent, ValidationBadge } from './rules';

export function Rule({ params }: RouteProps) {
  const id = params.id ?? '';
  const rule = useApi(() => api.GET('/api/v1/rules/{id}', { params: { path: { id } } }), [id]);
  const r = rule.data;
  return (
    <section class="page" data-page="rule">
      <PageHeader title={r?.title ?? id}>
        <a class="button" href={href('/rules')}>
          All rules
        </a>
        <a class="button" href={href('/alerts', { rule_id: id })}>
          Its alerts
        </a>
      </PageHeader>
      {rule.error ? <ErrorBox error={rule.error} /> : null}
      {rule.loading && !r ? <Loading what="the rule" /> : null}
      {r ? (
        <>
          <div class="row">
            <LevelBadge level={r.level} />
            {r.status ? <Badge>{r.status}</Badge> : null}
            <ValidationBadge v={r.validation} />
            <span class="muted mono">{r.id}</span>
          </div>
          <div class="tiles">
            <div class="tile">
              <div class="value">{r.alerts.toLocaleString()}</div>
              <div class="label">alerts since {r.from.slice(0, 10)}</div>
            </div>
            <div class="tile">
              <div class="value">{percent(r.false_positive_rate)}</div>
              <div class="label">false-positive rate</div>
            </div>
            <div class="tile">
              <div class="value">{percent(r.precision)}</div>
              <div class="label">precision</div>
            </div>
            <div class="tile">
              <div class="value">
                <Ago at={r.last_alert} />
              </div>
              <div class="label">last alert</div>
            </div>
          </div>
          <dl class="panel kv">
            {r.description ? <Pair k="Description" v={r.description} /> : null}
            {r.author ? <Pair k="Author" v={r.author} /> : null}
            <Pair k="Log source" v={[r.product, r.service, r.category].map((x) => x ?? '*').join(' / ')} />
            <Pair k="File" v={r.path} />
            <Pair k="Tactics" v={r.tactics.join(', ') || '—'} />
            <Pair k="Techniques" v={r.techniques.join(', ') || '—'} />
            <Pair k="Tags" v={r.tags.join(', ') || '—'} />
            {r.falsepositives.length ? <Pair k="False positives" v={r.falsepositives.join('; ')} /> : null}
          </dl>
          {r.references.length ? (
            <>
              <h2>References</h2>
              <ul class="plain-list">
                {r.references.map((u) => (
                  <li key={u} class="mono">
                    {u}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <h2>YAML</h2>
          {r.source_changed ? <p class="warn">The file changed on disk since it was loaded.</p> : null}
          {r.source ? <pre data-rule-yaml>{r.source}</pre> : <p class="muted">The rule's file is not readable.</p>}
        </>
      ) : null}
    </section>
  );
}

function Pair({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt class="muted">{k}</dt>
      <dd>{v}</dd>
    </>
  );
}
