// The loaded rules (GET api/v1/rules/catalog): hit counts, false-positive rate, validation status,
// filtered by text, level and validation; problems of the last load (GET api/v1/rules) on top.
import { useMemo, useState } from 'preact/hooks';
import { api, type Schemas } from '../api';
import type { RouteProps } from '../routes';
import { href, navigate } from '../router';
import { Ago, Badge, Empty, ErrorBox, LevelBadge, Loading, PageHeader } from '../ui/common';
import { useApi } from '../ui/use-api';
import '../styles/coverage.css';

type Validation = Schemas['RuleValidation'];
const LEVELS = ['informational', 'low', 'medium', 'high', 'critical'];
const VALIDATIONS: Validation[] = ['detected', 'missed', 'not_tested'];
/** Rows drawn at first (a full SigmaHQ set is thousands). */
const PAGE = 200;

export function ValidationBadge({ v }: { v: Validation }) {
  const tone = v === 'detected' ? 'ok' : v === 'missed' ? 'bad' : 'muted';
  return <Badge tone={tone}>{v.replace('_', ' ')}</Badge>;
}

export function percent(r: number | null | undefined): string {
  return r === null || r === undefined ? '—' : `${Math.round(r * 1000) / 10}%`;
}

export function Rules({ query }: RouteProps) {
  const [text, setText] = useState(query.get('q') ?? '');
  const level = query.get('level') ?? '';
  const status = query.get('validation') ?? '';
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(query);
    if (v) next.set(k, v);
    else next.delete(k);
    navigate('/rules', next, true);
  };
  const catalog = useApi(() => api.GET('/api/v1/rules/catalog', { params: { query: level ? { level } : {} } }), [level]);
  const [limit, setLimit] = useState(PAGE);
  // Most alerts first: the rules that make the work (and the noise) on top.
  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return (catalog.data?.rules ?? [])
      .filter(
        (r) =>
          (!status || r.validation === status) &&
          (!needle || [r.title, r.id, r.path, ...r.tags].some((s) => s.toLowerCase().includes(needle))),
      )
      .sort((a, b) => b.alerts - a.alerts || a.title.localeCompare(b.title));
  }, [catalog.data, text, status]);
  const shown = rows.slice(0, limit);
  return (
    <section class="page" data-page="rules">
      <PageHeader title="Rules">
        {catalog.data ? (
          <span class="muted">
            {rows.length} of {catalog.data.rules.length} rules · generation {catalog.data.generation}
          </span>
        ) : null}
      </PageHeader>
      <Problems />
      <form class="filters" onSubmit={(e) => e.preventDefault()} role="search">
        <div class="field">
          <label for="rules-q">Text</label>
          <input id="rules-q" type="search" placeholder="title, id, tag, path" value={text} onInput={(e) => setText(e.currentTarget.value)} onChange={(e) => set('q', e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="rules-level">Level</label>
          <select id="rules-level" value={level} onChange={(e) => set('level', e.currentTarget.value)}>
            <option value="">any</option>
            {LEVELS.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="rules-validation">Validation</label>
          <select id="rules-validation" value={status} onChange={(e) => set('validation', e.currentTarget.value)}>
            <option value="">any</option>
            {VALIDATIONS.map((v) => (
              <option key={v} value={v}>
                {v.replace('_', ' ')}
              </option>
            ))}
          </select>
        </div>
      </form>
      {catalog.error ? <ErrorBox error={catalog.error} /> : null}
      {catalog.loading && !catalog.data ? <Loading what="rules" /> : null}
      {catalog.data && rows.length === 0 ? <Empty>No rule matches.</Empty> : null}
      {rows.length ? (
        <div class="table-wrap" role="region" aria-label="Rules" tabIndex={0}>
          <table class="data" data-table="rules">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Level</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Alerts</th>
                <th scope="col" class="num">False positives</th>
                <th scope="col">Last alert</th>
                <th scope="col">Validation</th>
                <th scope="col">Techniques</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.id} data-row-id={r.id}>
                  <td class="wrap">
                    <a href={href(`/rules/${encodeURIComponent(r.id)}`)}>{r.title}</a>
                    <div class="muted mono" title={r.path}>
                      {r.path.split('/').slice(-2).join('/')}
                    </div>
                  </td>
                  <td>
                    <LevelBadge level={r.level} />
                  </td>
                  <td>{r.status ?? '—'}</td>
                  <td class="num" data-col="alerts">
                    {r.alerts.toLocaleString()}
                  </td>
                  <td class="num">{percent(r.false_positive_rate)}</td>
                  <td>
                    <Ago at={r.last_alert} />
                  </td>
                  <td>
                    <ValidationBadge v={r.validation} />
                  </td>
                  <td class="mono">{r.techniques.join(' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {rows.length > shown.length ? (
        <div class="row">
          <span class="muted">
            Showing the {shown.length} with the most alerts of {rows.length}.
          </span>
          <button type="button" onClick={() => setLimit(rows.length)}>
            Show all {rows.length}
          </button>
        </div>
      ) : null}
    </section>
  );
}

/** The last load of the rule set (GET api/v1/rules): its figures and problems. */
function Problems() {
  const loaded = useApi(() => api.GET('/api/v1/rules'), []);
  const r = loaded.data?.report;
  if (!r) return null;
  return (
    <details class="panel" data-rules-report open={r.problems.length > 0 && r.problems.length <= 5}>
      <summary>
        Last load: {r.compiled} compiled ({r.detection_rules} detection, {r.correlation_rules} correlation) from {r.files} files
        {r.deselected ? `, ${r.deselected} deselected` : ''}
        {r.problems.length ? <span class="warn"> · {r.problems.length} problems</span> : <span class="ok"> · no problem</span>}
      </summary>
      {r.problems.length ? (
        <ul class="plain-list">
          {r.problems.slice(0, 500).map((p, i) => (
            <li key={i} class="mono">
              {p}
            </li>
          ))}
        </ul>
      ) : null}
    </details>
  );
}
