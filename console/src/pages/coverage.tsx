// ATT&CK coverage: tactics as columns, techniques as cells coloured by the measure issue's
// coverage (docs/measure.md): healthy (a rule whose logsource reported in the window), rules but
// none reporting, no rule. A cell opens the technique's rules and the data sources that detect it.
import { useMemo, useState } from 'preact/hooks';
import { api, apiUrl, type Schemas } from '../api';
import type { RouteProps } from '../routes';
import { href } from '../router';
import { Badge, Empty, ErrorBox, Loading, PageHeader, Time } from '../ui/common';
import { Modal } from '../ui/modal';
import { useApi } from '../ui/use-api';
import '../styles/coverage.css';

type Technique = Schemas['TechniqueCoverage'];
type Tactic = Schemas['TacticCoverage'];
type Ratio = Schemas['Ratio'];

/** The state a cell is coloured by. */
export type CellState = 'healthy' | 'rules' | 'none';

export function cellState(t: Technique): CellState {
  if (t.rules.length === 0) return 'none';
  return t.healthy ? 'healthy' : 'rules';
}

const STATE_TEXT: Record<CellState, string> = {
  healthy: 'rule with a reporting log source',
  rules: 'rules, but no log source reported',
  none: 'no enabled rule',
};

const LAYERS = ['healthy', 'rules', 'validated', 'detections'] as const;

function pct(r: Ratio): string {
  return `${r.covered}/${r.total} (${Math.round(r.ratio * 100)}%)`;
}

/** Where the analyst's choice between the fitted matrix (ids) and full names is kept. */
const FIT_KEY = 'vigil.coverage.view';

/** Whether technique `t` sits under tactic `tac` (the answer names tactics by shortname or id). */
function under(t: Technique, tac: Tactic): boolean {
  return t.tactics.some((x) => x === tac.shortname || x === tac.id || x === tac.name);
}

export function Coverage(_props: RouteProps) {
  const [windowText, setWindowText] = useState('');
  const [applied, setApplied] = useState('');
  const [subs, setSubs] = useState(false);
  const [layer, setLayer] = useState<(typeof LAYERS)[number]>('healthy');
  const [open, setOpen] = useState<Technique | null>(null);
  const [fit, setFit] = useState(() => localStorage.getItem(FIT_KEY) !== 'names');
  const toggleFit = (on: boolean) => {
    setFit(on);
    localStorage.setItem(FIT_KEY, on ? 'fit' : 'names');
  };
  const cov = useApi(() => api.GET('/api/v1/coverage', { params: { query: applied ? { window: applied } : {} } }), [applied]);
  const data = cov.data;
  const columns = useMemo(() => {
    if (!data) return [];
    const shown = data.techniques.filter((t) => subs || !t.id.includes('.'));
    return data.tactics.map((tac) => ({ tac, techniques: shown.filter((t) => under(t, tac)).sort((a, b) => a.name.localeCompare(b.name)) }));
  }, [data, subs]);

  return (
    <section class="page" data-page="coverage">
      <PageHeader title="ATT&CK coverage">
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied(windowText.trim());
          }}
        >
          <label for="coverage-window">Health window</label>
          <input id="coverage-window" class="narrow" placeholder="configured" value={windowText} onInput={(e) => setWindowText(e.currentTarget.value)} />
          <button type="submit">Apply</button>
        </form>
        <label class="row">
          <input type="checkbox" checked={subs} onChange={(e) => setSubs(e.currentTarget.checked)} /> Sub-techniques
        </label>
        <label class="row" title="Every tactic on screen with technique ids (names on hover and in a cell's details), or full names with sideways scrolling">
          <input id="coverage-fit" type="checkbox" checked={fit} onChange={(e) => toggleFit(e.currentTarget.checked)} /> Fit to width
        </label>
        <label for="coverage-layer">Navigator layer</label>
        <select id="coverage-layer" value={layer} onChange={(e) => setLayer(e.currentTarget.value as (typeof LAYERS)[number])}>
          {LAYERS.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
        <a class="button" href={apiUrl('/api/v1/coverage/navigator', { layer, ...(applied ? { window: applied } : {}) })} download={`vigil-${layer}-layer.json`}>
          Download layer
        </a>
      </PageHeader>
      {cov.error ? <ErrorBox error={cov.error} /> : null}
      {cov.loading && !data ? <Loading what="coverage" /> : null}
      {data ? (
        <>
          <div class="tiles compact">
            <Tile label="Coverage (healthy)" value={pct(data.summary.healthy)} />
            <Tile label="Techniques with rules" value={pct(data.summary.rules)} />
            <Tile label="Validated" value={data.validation_available ? pct(data.summary.validated) : 'no validation run'} />
            <Tile label="Untagged rules" value={String(data.untagged_rules)} />
          </div>
          <Legend />
          {data.unknown_techniques.length ? (
            <p class="muted">
              Tags the ATT&CK bundle does not hold: <span class="mono">{data.unknown_techniques.join(', ')}</span>
            </p>
          ) : null}
          {columns.length === 0 ? (
            <Empty>No tactic in scope.</Empty>
          ) : (
            <div class={fit ? 'heatmap fit' : 'heatmap'} role="region" aria-label="Techniques by tactic" tabIndex={0}>
              {columns.map(({ tac, techniques }) => (
                <div class="heat-col" key={tac.id}>
                  <h2 class="heat-tactic" title={`${tac.id}: healthy ${pct(tac.healthy)}, rules ${pct(tac.rules)}`}>
                    {tac.name}
                    <span class="heat-tactic-figure">{Math.round(tac.healthy.ratio * 100)}%</span>
                  </h2>
                  <ul>
                    {techniques.map((t) => {
                      const state = cellState(t);
                      return (
                        <li key={t.id}>
                          <button
                            type="button"
                            class={`heat-cell cov-${state}`}
                            data-technique={t.id}
                            data-state={state}
                            title={`${t.id} ${t.name}: ${STATE_TEXT[state]} (${t.rules.length} rules)`}
                            onClick={() => setOpen(t)}
                          >
                            <span class="heat-id">{t.id}</span>
                            <span class="heat-name"> {t.name}</span>
                            {t.rules.length ? <span class="heat-count">{t.rules.length}</span> : null}
                            {t.validated ? <span class="heat-valid" aria-label="validated">✓</span> : null}
                          </button>
                        </li>
                      );
                    })}
                  </ul>
                </div>
              ))}
            </div>
          )}
          <p class="muted">
            As of <Time at={data.at} />, health window {data.window}
            {data.attack_version ? `, ATT&CK ${data.attack_version}` : ''}.
          </p>
        </>
      ) : null}
      {open ? <TechniqueModal t={open} onClose={() => setOpen(null)} /> : null}
    </section>
  );
}

function Tile({ label, value }: { label: string; value: string }) {
  return (
    <div class="tile">
      <div class="value">{value}</div>
      <div class="label">{label}</div>
    </div>
  );
}

function Legend() {
  return (
    <ul class="heat-legend" aria-label="Legend">
      {(Object.keys(STATE_TEXT) as CellState[]).map((s) => (
        <li key={s}>
          <span class={`heat-swatch cov-${s}`} aria-hidden="true" /> {STATE_TEXT[s]}
        </li>
      ))}
      <li>
        <span aria-hidden="true">✓</span> validated by the latest run
      </li>
    </ul>
  );
}

function TechniqueModal({ t, onClose }: { t: Technique; onClose: () => void }) {
  const state = cellState(t);
  return (
    <Modal title={`${t.id} ${t.name}`} onClose={onClose} wide>
      <p>
        <Badge tone={state === 'healthy' ? 'ok' : state === 'rules' ? 'warn' : 'muted'}>{STATE_TEXT[state]}</Badge>{' '}
        {t.validated === true ? <Badge tone="ok">validated</Badge> : t.validated === false ? <Badge tone="bad">not validated</Badge> : null}{' '}
        <a href={`https://attack.mitre.org/techniques/${t.id.replace('.', '/')}/`} rel="noreferrer noopener" target="_blank">
          ATT&CK page
        </a>
      </p>
      <p class="muted">Platforms: {t.platforms.join(', ') || '—'}</p>
      <h3>Rules ({t.rules.length})</h3>
      {t.rules.length === 0 ? (
        <Empty>No enabled rule is tagged with this technique.</Empty>
      ) : (
        <ul class="plain-list" data-table="technique-rules">
          {t.rules.map((r) => (
            <li key={r.id} data-row-id={r.id}>
              <a href={href(`/rules/${encodeURIComponent(r.id)}`)} onClick={onClose}>
                {r.title}
              </a>{' '}
              {r.via ? <span class="muted">via {r.via}</span> : null}{' '}
              {r.reporting === true ? <Badge tone="ok">source reporting</Badge> : r.reporting === false ? <Badge tone="warn">no source reporting</Badge> : null}
            </li>
          ))}
        </ul>
      )}
      <h3>Data sources that detect it</h3>
      {t.data_components.length === 0 ? (
        <Empty>ATT&CK names no data component for this technique.</Empty>
      ) : (
        <ul class="plain-list">
          {t.data_components.map((d) => (
            <li key={d.id}>
              {d.name} <span class="muted mono">{d.id}</span>
            </li>
          ))}
        </ul>
      )}
      <p>
        <a href={href('/sources')} onClick={onClose}>
          Source health
        </a>
      </p>
    </Modal>
  );
}
