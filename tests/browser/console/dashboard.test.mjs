// The KPI dashboard against the harness's server (alerts raised by the ingested EVTX): after one
// alert is acknowledged and closed as a false positive, the tiles show the server's figures,
// the charts draw its data, the period picker changes the period and the shift handover renders
// with its downloads.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as v from './lib.mjs';

let browser;
before(async () => {
  browser = await v.launch();
});
after(async () => {
  await browser?.close();
});

/** GET an API path with the page's session; the parsed JSON (asserting 200). */
async function getJson(page, path) {
  const r = await page.request.get(new URL(path, v.url()).href);
  assert.equal(r.status(), 200, `${path}: ${await r.text()}`);
  return r.json();
}

/** PATCH an alert from inside the page (same origin, the session cookie), as the console would. */
async function patchAlert(page, id, body) {
  const status = await page.evaluate(
    async ([id, body]) => {
      const r = await fetch(`api/v1/alerts/${id}`, { method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      return r.status;
    },
    [id, body],
  );
  assert.equal(status, 200, `PATCH alert ${id} ${JSON.stringify(body)}`);
}

const tileValue = (page, kpi) => page.locator(`.tiles [data-kpi="${kpi}"] .value`).innerText();
const DURATION = /^\d+ (s|min|h|d)( \d+ (min|h))?$/;

test('the KPI tiles and charts show the server figures; the handover renders', async () => {
  const page = await v.newPage(browser);
  await v.loginLocal(page, v.env.lead.user, v.env.lead.password);
  // One alert triaged: acknowledged, then closed as a false positive (the oldest new one, so
  // the newest that other tests pick stay as they are).
  const queue = await getJson(page, 'api/v1/alerts?status=new&limit=1000');
  const oldest = queue.alerts[queue.alerts.length - 1];
  assert.ok(oldest, 'the EVTX raised alerts');
  await patchAlert(page, oldest.id, { status: 'acknowledged' });
  await patchAlert(page, oldest.id, { status: 'closed', disposition: 'false_positive', comment: 'dashboard test' });

  await v.open(page, '/dashboard', 'dashboard');
  await page.locator('.tiles [data-kpi="backlog"]').waitFor();
  const report = await getJson(page, 'api/v1/kpis?from=24h');
  const alertKpi = (name) => report.alerts.find((k) => k.name === name && !k.group);

  // Every tile has a value; the ones with samples show numbers.
  for (const kpi of ['mttd', 'mtta', 'mttr', 'mtbf', 'false_positive_rate', 'alert_volume', 'backlog']) {
    assert.notEqual((await tileValue(page, kpi)).trim(), '', `${kpi} tile`);
  }
  const volume = alertKpi('alert_volume').value;
  assert.ok(volume > 0);
  assert.equal(await tileValue(page, 'alert_volume'), volume.toLocaleString('en-GB'));
  const open = report.backlog.filter((r) => r.kind === 'alert').reduce((s, r) => s + r.total, 0);
  assert.ok(open > 0);
  assert.equal(await tileValue(page, 'backlog'), open.toLocaleString('en-GB'));
  assert.ok(alertKpi('mtta').n >= 1 && alertKpi('mttr').n >= 1, 'the triaged alert is a sample');
  assert.match(await tileValue(page, 'mtta'), DURATION);
  assert.match(await tileValue(page, 'mttr'), DURATION);
  const fp = alertKpi('false_positive_rate');
  assert.ok(fp.n >= 1);
  assert.equal(await tileValue(page, 'false_positive_rate'), `${(fp.value * 100).toFixed(fp.value >= 0.995 || fp.value === 0 ? 0 : 1)} %`);
  // MTTD: replayed EVTX is older than the cut-off, so the tile says why it has no value.
  const mttd = alertKpi('mttd');
  if (mttd.n === 0) assert.match(await page.locator('.tiles [data-kpi="mttd"] .sub').innerText(), /left out/);
  else assert.match(await tileValue(page, 'mttd'), DURATION);

  // Charts: alert volume has bars of some height, top rules and sources list rows.
  const heights = await page.locator('[data-chart="alert-volume"] rect.bar').evaluateAll((els) => els.map((e) => Number(e.getAttribute('height'))));
  assert.ok(heights.some((h) => h > 0), 'a volume bar is drawn');
  assert.ok((await page.locator('[data-chart="top-rules"] .hbars tr').count()) > 0, 'top rules');
  // Each top rule is named by its title, as the KPI report gives it (not its id).
  const shown = await page.locator('[data-chart="top-rules"] .hbars th').evaluateAll((ths) => ths.map((th) => [th.getAttribute('title'), th.textContent]));
  for (const [id, label] of shown) {
    assert.ok(report.rule_titles[id], `the report titles rule ${id}`);
    assert.equal(label, report.rule_titles[id]);
  }
  assert.ok((await page.locator('[data-chart="top-sources"] .hbars tr').count()) > 0, 'top sources');
  assert.ok((await page.locator('[data-table="backlog"] tbody tr').count()) > 0, 'backlog rows');

  // The handover: still-new alerts as the server counts them, and a download that is HTML.
  const handover = await getJson(page, 'api/v1/handover?since=24h');
  const item = page.locator('[data-handover-item="new-alerts"] strong');
  await item.waitFor();
  assert.equal(await item.innerText(), handover.new_alerts.total.toLocaleString('en-GB'));
  const link = await page.getByRole('link', { name: 'Download (HTML)' }).getAttribute('href');
  const html = await page.request.get(link);
  assert.equal(html.status(), 200);
  assert.match(html.headers()['content-type'], /text\/html/);
  await v.shot(page, 'dashboard');
  await v.axe(page);

  // The period picker: 7 days in the hash and pressed.
  await page.getByRole('button', { name: '7 days' }).click();
  await v.until(() => page.url().includes('period=7d'), 'period=7d in the hash');
  assert.equal(await page.getByRole('button', { name: '7 days' }).getAttribute('aria-pressed'), 'true');
  await page.locator('.tiles [data-kpi="backlog"]').waitFor();
  await v.finish(page);
});

test('the dashboard in the dark theme', async () => {
  const page = await v.newPage(browser, { colorScheme: 'dark' });
  await v.loginLocal(page, v.env.analyst.user, v.env.analyst.password);
  await v.open(page, '/dashboard', 'dashboard');
  await page.locator('[data-chart="top-rules"] .hbars tr').first().waitFor();
  await v.shot(page, 'dashboard-dark');
  await v.axe(page);
  await v.finish(page);
});
