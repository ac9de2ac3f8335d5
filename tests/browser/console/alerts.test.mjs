// The alert queue and the alert page against the real server and its EVTX alerts: the queue
// lists them, keyboard triage changes them (checked through the API), a change made elsewhere
// arrives live through the alert stream, two selected alerts become an incident, bulk actions
// show the server's count first, and an alert's page shows its event fields and rule YAML.
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

/** A JSON API call with the page's session (outside the console's own code). */
async function call(page, method, path, body) {
  const r = await page.request.fetch(new URL(path, v.url()).href, {
    method,
    // The server refuses a cookie-authenticated change without its own origin (CSRF defence).
    headers: { origin: new URL(v.url()).origin, ...(body ? { 'content-type': 'application/json' } : {}) },
    data: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  assert.ok(r.ok(), `${method} ${path}: ${r.status()} ${text}`);
  return text ? JSON.parse(text) : null;
}

const alertOf = (page, id) => call(page, 'GET', `api/v1/alerts/${encodeURIComponent(id)}`);

const rows = (page) => page.locator('[data-table="alerts"] [data-row-id]');
const activeId = (page) => page.locator('[data-table="alerts"] .alert-row.active').getAttribute('data-row-id');

/** Logs the analyst in and opens the open queue; waits for its rows. */
async function openQueue(page) {
  await v.loginLocal(page, v.env.analyst.user, v.env.analyst.password);
  await v.open(page, '/alerts', 'alerts');
  await rows(page).first().waitFor();
  // Take the keyboard focus off any form field (the page's keys skip inputs).
  await page.locator('[data-page="alerts"] h1').click();
}

test('the queue lists the EVTX alerts, and j/a/c triage them from the keyboard', async () => {
  const page = await v.newPage(browser);
  await openQueue(page);
  const listed = await call(page, 'GET', 'api/v1/alerts?status=new,acknowledged&limit=1000');
  assert.ok(listed.total >= 20, `the harness's EVTX raised alerts: ${listed.total}`);
  const shown = await rows(page).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-row-id')));
  assert.ok(shown.length >= 10, `rows rendered: ${shown.length}`);
  const known = new Set(listed.alerts.map((a) => a.id));
  for (const id of shown) assert.ok(known.has(id), `row ${id} is an open alert of the API`);
  // Newest first: the first row is the API's first alert.
  assert.equal(shown[0], listed.alerts[0].id);
  const text = await page.locator('[data-table="alerts"]').innerText();
  assert.ok(text.includes(listed.alerts[0].rule_title), 'the rule title is shown');
  await v.shot(page, 'alerts-queue');
  await v.axe(page);

  // `?` lists the keys.
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard' });
  await help.waitFor();
  assert.match(await help.innerText(), /acknowledge/);
  await page.keyboard.press('Escape');
  await help.waitFor({ state: 'detached' });

  // j moves down to the first new alert after the first row; a acknowledges it.
  assert.equal(await activeId(page), shown[0]);
  const statuses = await rows(page).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-status')));
  const index = statuses.findIndex((s, i) => i > 0 && s === 'new');
  assert.ok(index > 0, `a new alert in the queue: ${statuses}`);
  for (let i = 0; i < index; i++) await page.keyboard.press('j');
  const target = shown[index];
  await v.until(async () => (await activeId(page)) === target, 'j moves the cursor');
  assert.equal((await alertOf(page, target)).status, 'new', 'the alert starts new');
  await page.keyboard.press('a');
  await v.until(async () => (await alertOf(page, target)).status === 'acknowledged', 'the API has it acknowledged');
  const row = page.locator(`[data-table="alerts"] [data-row-id="${target}"]`);
  await v.until(async () => (await row.getAttribute('data-status')) === 'acknowledged', 'the row shows acknowledged');

  // c asks for a disposition, then closes it; the open queue drops it.
  await page.keyboard.press('c');
  const dialog = page.getByRole('dialog', { name: 'Close alert' });
  await dialog.waitFor();
  await dialog.getByLabel('Benign positive').check();
  await dialog.getByLabel('Comment (optional)').fill('admin activity, checked with the owner');
  await dialog.getByRole('button', { name: 'Close alert' }).click();
  await v.until(async () => {
    const a = await alertOf(page, target);
    return a.status === 'closed' && a.disposition === 'benign_positive';
  }, 'the API has it closed as a benign positive');
  await row.waitFor({ state: 'detached' });
  await v.finish(page);
});

test('a change made elsewhere arrives live, without a reload (dark theme)', async () => {
  const page = await v.newPage(browser, { colorScheme: 'dark' });
  await openQueue(page);
  await page.locator('.live.on').waitFor();
  await page.evaluate(() => {
    window.vigilNoReload = true;
  });
  const id = await page.locator('[data-table="alerts"] [data-row-id][data-status="new"]').nth(1).getAttribute('data-row-id');
  const row = page.locator(`[data-table="alerts"] [data-row-id="${id}"]`);
  assert.equal(await row.getAttribute('data-status'), 'new');
  // Another analyst (here: the API, outside the console's code) acknowledges and assigns it.
  await call(page, 'PATCH', `api/v1/alerts/${encodeURIComponent(id)}`, { status: 'acknowledged' });
  await call(page, 'PATCH', `api/v1/alerts/${encodeURIComponent(id)}`, { assignee: 'team:tier2' });
  await v.until(async () => (await row.getAttribute('data-status')) === 'acknowledged', 'the row changes by itself');
  await v.until(async () => (await row.innerText()).includes('team:tier2'), 'the new assignee shows');
  assert.equal(await page.evaluate(() => window.vigilNoReload), true, 'the page did not reload');

  // In the queue of new alerts, one returned to the queue elsewhere is announced as "1 new" and
  // joins the list when asked (n, or the button).
  await v.go(page, '/alerts?status=new');
  await v.until(async () => (await row.count()) === 0, 'the acknowledged alert is not in the new queue');
  await rows(page).first().waitFor();
  await page.locator('[data-page="alerts"] h1').click();
  await call(page, 'PATCH', `api/v1/alerts/${encodeURIComponent(id)}`, { status: 'new' });
  const announce = page.getByRole('button', { name: '1 new' });
  await announce.waitFor();
  assert.equal(await row.count(), 0, 'held back until asked');
  await v.shot(page, 'alerts-queue-dark');
  await v.axe(page);
  await page.keyboard.press('n');
  await row.waitFor();
  assert.equal(await row.getAttribute('data-status'), 'new');
  assert.equal(await announce.count(), 0);
  assert.equal(await page.evaluate(() => window.vigilNoReload), true, 'still no reload');
  await v.finish(page);
});

test('two selected alerts become an incident; a bulk action shows the server count first', async () => {
  const page = await v.newPage(browser);
  await openQueue(page);
  const ids = await rows(page).evaluateAll((rs) => rs.slice(0, 4).map((r) => r.getAttribute('data-row-id')));
  // x selects the current row; j moves on.
  await page.keyboard.press('x');
  await page.keyboard.press('j');
  await page.keyboard.press('x');
  await page.locator('[data-selected="2"]').waitFor();
  await page.getByRole('button', { name: 'Incident…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Incident from 2 alerts' });
  await dialog.waitFor();
  await dialog.getByLabel('Title').fill('Browser test: two alerts');
  await v.shot(page, 'alerts-incident-dialog');
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/incidents') && r.request().method() === 'POST');
  await dialog.getByRole('button', { name: 'Create incident' }).click();
  const answer = await created;
  assert.equal(answer.status(), 201);
  const incident = await answer.json();
  const stored = await call(page, 'GET', `api/v1/incidents/${encodeURIComponent(incident.id)}`);
  assert.equal(stored.title, 'Browser test: two alerts');
  assert.deepEqual([...stored.alert_ids].sort(), [ids[0], ids[1]].sort());
  for (const id of ids.slice(0, 2)) {
    const a = await alertOf(page, id);
    assert.equal(a.status, 'merged', `${id} merged`);
    assert.equal(a.incident_id, incident.id);
  }

  // A third alert joins the same incident ("Add to incident").
  await v.until(async () => (await page.locator(`[data-row-id="${ids[0]}"]`).count()) === 0, 'merged alerts leave the open queue');
  const third = await rows(page).first().getAttribute('data-row-id');
  await page.locator(`[data-row-id="${third}"] input[type="checkbox"]`).check();
  await page.getByRole('button', { name: 'Incident…' }).click();
  const add = page.getByRole('dialog', { name: 'Incident from 1 alert' });
  await add.getByLabel('Add to incident').check();
  await add.getByLabel('Open incident').selectOption(incident.id);
  await add.getByRole('button', { name: 'Add to incident' }).click();
  await add.waitFor({ state: 'detached' });
  await v.until(async () => (await alertOf(page, third)).incident_id === incident.id, 'the third alert is linked');
  const grown = await call(page, 'GET', `api/v1/incidents/${encodeURIComponent(incident.id)}`);
  assert.equal(grown.alert_ids.length, 3);

  // Bulk acknowledge of two: the dialog shows the server's dry-run count, then applies it.
  await page.locator('[data-table="alerts"] [data-row-id]').first().waitFor();
  const next = await rows(page).evaluateAll((rs) =>
    rs.filter((r) => r.getAttribute('data-status') === 'new').slice(0, 2).map((r) => r.getAttribute('data-row-id')),
  );
  assert.equal(next.length, 2, 'two new alerts left');
  for (const id of next) await page.locator(`[data-row-id="${id}"] input[type="checkbox"]`).check();
  await page.locator('.bulk-bar').getByRole('button', { name: 'Acknowledge' }).click();
  const confirm = page.getByRole('dialog', { name: 'Acknowledge: 2 selected' });
  await confirm.locator('[data-preview="2"]').waitFor();
  await confirm.getByRole('button', { name: 'Acknowledge 2' }).click();
  await confirm.waitFor({ state: 'detached' });
  for (const id of next) {
    await v.until(async () => (await alertOf(page, id)).status === 'acknowledged', `${id} acknowledged in bulk`);
  }
  await v.finish(page);
});

test("an alert's page shows its event fields, the rule's YAML, ATT&CK links and pivots", async () => {
  const page = await v.newPage(browser);
  await openQueue(page);
  const id = await rows(page).nth(2).getAttribute('data-row-id');
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await v.until(async () => (await activeId(page)) === id, 'the third row is current');
  await page.keyboard.press('Enter');
  await page.locator(`[data-page="alert"][data-row-id="${id}"]`).waitFor();
  const alert = await alertOf(page, id);
  assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), alert.rule_title);
  const fields = page.locator('[data-table="event-fields"] tr');
  await fields.first().waitFor();
  assert.ok((await fields.count()) >= 5, 'the event has fields');
  const events = await call(page, 'GET', `api/v1/alerts/${encodeURIComponent(id)}/events`);
  assert.ok(events.events.length >= 1, 'the API holds the event');
  if (alert.host) assert.ok((await page.locator('[data-page="alert"]').innerText()).includes(alert.host));
  const yaml = page.locator('[data-rule-yaml]');
  await yaml.waitFor();
  const source = await yaml.innerText();
  assert.match(source, /detection:/);
  assert.match(source, /title:/);
  const rule = await call(page, 'GET', `api/v1/rules/${encodeURIComponent(alert.rule_id)}`);
  assert.equal(source.trim(), rule.source.trim());
  for (const t of alert.attack) {
    assert.equal(await page.locator(`a[href="#/coverage?technique=${t}"]`).count(), 1, `coverage link for ${t}`);
  }
  const pivots = page.locator('[data-table="event-fields"] a[href^="#/search?q="]');
  assert.ok((await pivots.count()) >= 1, 'a host/user/ip field pivots to the search');
  await v.shot(page, 'alert-detail');
  await v.axe(page);
  // s assigns it to me here too; u goes back to the queue, the cursor on the alert just seen.
  await page.locator('[data-page="alert"] h1').click();
  await page.keyboard.press('s');
  await v.until(async () => (await alertOf(page, id)).assignee === v.env.analyst.user, 'assigned to the analyst');
  await page.getByText(`assigned to ${v.env.analyst.user}`).waitFor();
  await page.keyboard.press('u');
  await page.locator('[data-page="alerts"]').waitFor();
  await v.until(async () => (await activeId(page)) === id, 'the cursor is back on the alert');
  await v.finish(page);
});

test('filters live in the URL and can be saved as a view', async () => {
  const page = await v.newPage(browser);
  await openQueue(page);
  await page.getByLabel('Level at least').selectOption('high');
  await v.until(() => new URL(page.url()).hash.includes('min_level=high'), 'the filter is in the URL');
  const high = await call(page, 'GET', 'api/v1/alerts?status=new,acknowledged&min_level=high&limit=1000');
  await v.until(async () => (await page.locator('[data-selected]').innerText()) === `${high.total} shown of ${high.total}`, 'the count follows the filter');
  const levels = await page.locator('[data-table="alerts"] [data-row-id] .badge').allInnerTexts();
  assert.ok(levels.length > 0 && levels.every((l) => l === 'high' || l === 'critical'), `levels: ${levels}`);

  const name = `High and up ${Date.now()}`;
  await page.getByLabel('Save filters as').fill(name);
  await page.getByRole('button', { name: 'Save view' }).click();
  await v.until(async () => (await call(page, 'GET', 'api/v1/views?page=alerts')).views.some((x) => x.name === name), 'the view is stored');
  const view = (await call(page, 'GET', 'api/v1/views?page=alerts')).views.find((x) => x.name === name);
  assert.equal(view.query.min_level, 'high');

  // Back to the default queue, then the view brings the filter back.
  await v.go(page, '/alerts');
  await v.until(async () => (await page.getByLabel('Level at least').inputValue()) === '', 'default queue');
  await page.getByLabel('Saved view').selectOption({ label: name });
  await v.until(async () => (await page.getByLabel('Level at least').inputValue()) === 'high', 'the view applies its filter');
  await page.getByRole('button', { name: 'Delete view' }).click();
  await v.until(async () => !(await call(page, 'GET', 'api/v1/views?page=alerts')).views.some((x) => x.name === name), 'the view is deleted');
  await v.finish(page);
});
