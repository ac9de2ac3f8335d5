// Coverage heatmap, rules, sources, audit log and admin pages against the harness's server (real
// EVTX-raised alerts, SigmaHQ rules, the ATT&CK bundle, a validation run): each page renders the
// server's data, and admin changes made through the UI are seen through the API.
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

async function asAdmin(options) {
  const page = await v.newPage(browser, options);
  await v.loginLocal(page, v.env.admin.user, v.env.admin.password);
  return page;
}

test('the coverage heatmap colours techniques from the server coverage, and a cell opens its rules', async () => {
  const page = await asAdmin();
  await v.open(page, '/coverage', 'coverage');
  const cov = await getJson(page, 'api/v1/coverage');
  const parents = cov.techniques.filter((t) => !t.id.includes('.'));
  const withRules = parents.filter((t) => t.rules.length > 0);
  assert.ok(withRules.length > 0, 'the Windows rules cover some techniques');
  const cells = page.locator('.heatmap [data-technique]');
  await cells.first().waitFor();
  // Each tactic is a column; a technique under two tactics is a cell in both.
  assert.equal(await page.locator('.heat-col').count(), cov.tactics.length);
  const states = await cells.evaluateAll((els) => els.map((e) => [e.getAttribute('data-technique'), e.getAttribute('data-state')]));
  const byId = new Map(states);
  for (const t of parents) {
    const want = t.rules.length === 0 ? 'none' : t.healthy ? 'healthy' : 'rules';
    if (byId.has(t.id)) assert.equal(byId.get(t.id), want, `${t.id}`);
  }
  const coloured = states.filter(([, s]) => s !== 'none');
  assert.ok(coloured.length > 0, 'some cells are coloured');
  // The healthy colour differs from an uncovered cell's.
  const bg = (sel) => page.locator(sel).first().evaluate((e) => getComputedStyle(e).backgroundColor);
  const some = coloured[0];
  assert.notEqual(await bg(`[data-technique="${some[0]}"]`), await bg('[data-state="none"]'));
  await v.shot(page, 'coverage');
  await v.axe(page);

  // Fit to width (the default): every tactic on a 1280 px screen, no sideways scrolling; full
  // names are one click away (and scroll).
  const overflow = () => page.locator('.heatmap').evaluate((e) => e.scrollWidth - e.clientWidth);
  assert.ok((await overflow()) <= 1, `the fitted matrix scrolls sideways by ${await overflow()} px`);
  await page.locator('#coverage-fit').uncheck();
  await page.locator('.heatmap:not(.fit) .heat-name').first().waitFor();
  assert.ok((await overflow()) > 0, 'full names need more than 1280 px');
  await v.shot(page, 'coverage-names');
  await page.locator('#coverage-fit').check();
  await page.locator('.heatmap.fit').waitFor();

  // A covered cell lists the technique's rules, linking to the rule page.
  const t = withRules[0];
  await page.locator(`[data-technique="${t.id}"]`).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.waitFor();
  const links = dialog.locator('[data-table="technique-rules"] a');
  assert.equal(await links.count(), t.rules.length);
  assert.equal(await links.first().innerText(), t.rules[0].title);
  await v.shot(page, 'coverage-technique');
  await links.first().click();
  await page.locator('[data-page="rule"]').waitFor();
  await v.finish(page);
});

test('the coverage heatmap in the dark theme passes axe', async () => {
  const page = await asAdmin({ colorScheme: 'dark' });
  await v.open(page, '/coverage', 'coverage');
  await page.locator('.heatmap [data-state="healthy"]').first().waitFor();
  await v.shot(page, 'coverage-dark');
  await v.axe(page);
  await v.finish(page);
});

test('the coverage page offers the Navigator layer for download', async () => {
  const page = await asAdmin();
  await v.open(page, '/coverage', 'coverage');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download layer' }).click()]);
  const path = await download.path();
  const { readFileSync } = await import('node:fs');
  const layer = JSON.parse(readFileSync(path, 'utf8'));
  assert.equal(layer.domain, 'enterprise-attack');
  assert.ok(layer.techniques.length > 0);
  await v.finish(page);
});

test('the rules page lists the loaded rules with their hit counts, and a rule shows its YAML', async () => {
  const page = await asAdmin();
  await v.open(page, '/rules', 'rules');
  const catalog = await getJson(page, 'api/v1/rules/catalog');
  const rows = page.locator('[data-table="rules"] tbody tr');
  await rows.first().waitFor();
  // The rules with most alerts first, 200 drawn until "Show all".
  assert.equal(await rows.count(), Math.min(200, catalog.rules.length));
  const hit = catalog.rules.filter((r) => r.alerts > 0).sort((a, b) => b.alerts - a.alerts)[0];
  assert.equal(await rows.first().locator('[data-col="alerts"]').innerText(), hit.alerts.toLocaleString('en-GB'));
  assert.ok(hit, 'the EVTX raised alerts');
  const row = page.locator(`[data-table="rules"] tr[data-row-id="${hit.id}"]`);
  assert.equal(await row.locator('[data-col="alerts"]').innerText(), hit.alerts.toLocaleString('en-GB'));
  await v.shot(page, 'rules');
  await v.axe(page);

  // The text filter narrows the list to the rule.
  await page.fill('#rules-q', hit.id);
  await v.until(async () => (await rows.count()) === 1, 'one row left');
  await row.getByRole('link').click();
  await page.locator('[data-page="rule"]').waitFor();
  const yaml = page.locator('[data-rule-yaml]');
  await yaml.waitFor();
  assert.match(await yaml.innerText(), /detection:/);
  await v.shot(page, 'rule');
  await v.axe(page);
  await v.finish(page);
});

test('the sources page lists the EVTX sources', async () => {
  const page = await asAdmin();
  await v.open(page, '/sources?from=3650d', 'sources');
  const report = await getJson(page, 'api/v1/sources?from=3650d');
  assert.ok(report.sources.length > 0, 'the ingested EVTX is a source');
  const rows = page.locator('[data-table="sources"] tbody tr');
  await rows.first().waitFor();
  assert.equal(await rows.count(), report.sources.length);
  for (const s of report.sources.slice(0, 5)) {
    const row = page.locator(`[data-table="sources"] tr[data-row-id="${s.id}"]`);
    assert.match(await row.innerText(), new RegExp(s.events.toLocaleString('en-GB')));
  }
  await v.shot(page, 'sources');
  await v.axe(page);
  await v.finish(page);
});

test('the audit log shows entries and filters by action', async () => {
  const page = await asAdmin();
  await v.open(page, '/audit', 'audit');
  const rows = page.locator('[data-table="audit"] tbody tr');
  await rows.first().waitFor();
  const first = await getJson(page, 'api/v1/audit?limit=100');
  assert.ok(first.entries.length > 0);
  assert.equal(await rows.first().getAttribute('data-row-id'), String(first.entries[0].seq));
  await v.shot(page, 'audit');
  await v.axe(page);
  await page.fill('#audit-action', 'auth.');
  await page.getByRole('button', { name: 'Filter' }).click();
  await v.until(async () => {
    const actions = await page.locator('[data-table="audit"] tbody tr td:nth-child(4)').allInnerTexts();
    return actions.length > 0 && actions.every((a) => a.startsWith('auth.'));
  }, 'only auth. entries');
  await v.finish(page);
});

test('an admin creates a user through the UI and the API has it', async () => {
  const page = await asAdmin();
  await v.open(page, '/admin/users', 'admin-users');
  await page.locator('[data-table="users"]').waitFor();
  await v.shot(page, 'admin-users');
  await v.axe(page);
  const name = `c4-${Date.now().toString(36)}`;
  await page.fill('#new-user-name', name);
  await page.selectOption('#new-user-role', 'lead');
  await page.getByRole('button', { name: 'Create user' }).click();
  // No password typed: the server generated one, shown once.
  const secret = page.locator('[data-secret]');
  await secret.waitFor();
  assert.ok((await secret.innerText()).length >= 8);
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  await page.locator(`[data-table="users"] tr[data-row-id="${name}"]`).waitFor();
  const users = await getJson(page, 'api/v1/users');
  const made = users.users.find((u) => u.name === name);
  assert.ok(made, `${name} exists`);
  assert.equal(made.role, 'lead');
  // Disabling it through the UI is seen by the API too.
  await page.locator(`tr[data-row-id="${name}"]`).getByRole('button', { name: 'Disable' }).click();
  await page.locator(`tr[data-row-id="${name}"]`).getByRole('button', { name: 'Enable' }).waitFor();
  const after = (await getJson(page, 'api/v1/users')).users.find((u) => u.name === name);
  assert.equal(after.disabled, true);
  await v.finish(page);
});

test('an admin creates an API key (secret shown once) and revokes it', async () => {
  const page = await asAdmin();
  page.on('dialog', (d) => void d.accept());
  await v.open(page, '/admin/apikeys', 'admin-apikeys');
  await page.locator('[data-table="apikeys"]').waitFor();
  const name = `c4 key ${Date.now().toString(36)}`;
  await page.fill('#new-key-name', name);
  await page.selectOption('#new-key-role', 'viewer');
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = await page.locator('[data-secret]').innerText();
  assert.ok(secret.length >= 16, 'a secret');
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  const key = (await getJson(page, 'api/v1/apikeys')).keys.find((k) => k.name === name);
  assert.equal(key?.state, 'active');
  // The secret works against the API.
  const probe = await page.request.get(new URL('api/v1/me', v.url()).href, { headers: { Authorization: `Bearer ${secret}` } });
  assert.equal(probe.status(), 200);
  await v.shot(page, 'admin-apikeys');
  await v.axe(page);
  await page.locator(`tr[data-row-id="${key.id}"]`).getByRole('button', { name: `Revoke ${name}` }).click();
  await v.until(async () => (await page.locator(`tr[data-row-id="${key.id}"] [data-col="state"]`).innerText()) === 'revoked', 'revoked');
  const revoked = (await getJson(page, 'api/v1/apikeys')).keys.find((k) => k.id === key.id);
  assert.equal(revoked.state, 'revoked');
  await v.finish(page);
});

test('the roles, tenants and policies sections render', async () => {
  const page = await asAdmin({ colorScheme: 'dark' });
  for (const [section, table] of [
    ['roles', 'roles'],
    ['tenants', 'tenants'],
    ['policies', 'sla'],
  ]) {
    await v.open(page, `/admin/${section}`, `admin-${section}`);
    const box = page.locator(`[data-table="${table}"], [data-page="admin-${section}"] .empty`);
    await box.first().waitFor();
    await v.shot(page, `admin-${section}`);
    await v.axe(page);
  }
  const roles = await getJson(page, 'api/v1/roles');
  await v.open(page, '/admin/roles', 'admin-roles');
  await page.locator('[data-table="roles"] tbody tr').first().waitFor();
  assert.equal(await page.locator('[data-table="roles"] tbody tr').count(), roles.roles.length);
  await v.finish(page);
});
