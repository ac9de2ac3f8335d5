// The incidents list and an incident's page: the list shows the incident made from two alerts with
// its SLA badge, the page shows both linked alerts, a task added through the UI is there in the
// API, the SLA countdown ticks, a comment lands in the timeline; screenshots and axe on both.
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

/** An observable value both tests add: the second incident lists the first as related. */
const SHARED_IP = '203.0.113.77';

/** An API path relative to the console's address. */
const apiAt = (path) => new URL(path, v.url()).href;

/** The harness's incident, or one made here (as the signed-in page) from two new alerts. */
async function incidentFromTwoAlerts(page) {
  if (v.env.seedIncident) return v.env.seedIncident;
  const r = await page.request.get(apiAt('api/v1/alerts?limit=2&status=new'));
  assert.equal(r.status(), 200);
  const alerts = (await r.json()).alerts.map((a) => a.id);
  assert.equal(alerts.length, 2, 'two new alerts to make an incident from');
  const made = await page.request.post(apiAt('api/v1/incidents'), {
    data: { title: 'Browser test: two alerts', severity: 3, classification: 'intrusions:system-compromise', alert_ids: alerts },
  });
  assert.equal(made.status(), 201, await made.text());
  return (await made.json()).id;
}

test('incidents list and an incident page: alerts, task, SLA countdown, comment', async () => {
  const page = await v.newPage(browser);
  await v.loginLocal(page, v.env.analyst.user, v.env.analyst.password);
  const id = await incidentFromTwoAlerts(page);
  const api = await (await page.request.get(apiAt(`api/v1/incidents/${id}`))).json();
  assert.ok(api.alert_ids.length >= 2, `the incident has two alerts: ${JSON.stringify(api.alert_ids)}`);

  // The list: open incidents, this one among them with its SLA badge.
  await v.open(page, '/incidents', 'incidents');
  const row = page.locator(`[data-table="incidents"] [data-row-id="${id}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), new RegExp(api.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  const slaBadge = await row.locator('[data-sla-state]').getAttribute('data-sla-state');
  assert.match(slaBadge, /^(ok|at_risk|breached|paused|met|none)$/);
  // A filter the server applies: closed incidents do not list this open one.
  await page.selectOption('#f-open', 'false');
  await v.until(async () => (await row.count()) === 0, 'the open incident to leave the closed filter');
  await page.selectOption('#f-open', 'true');
  await row.waitFor();
  await v.shot(page, 'incidents');
  await v.axe(page);

  // The page, opened from the list.
  await row.getByRole('link').first().click();
  await page.locator('[data-page="incident"]').waitFor();
  await page.locator('h1.incident-title').waitFor();
  assert.equal(await page.locator('h1.incident-title').innerText(), api.title);

  // Both linked alerts, linking to their alert pages.
  const linked = page.locator('[data-table="linked-alerts"] [data-row-id]');
  await v.until(async () => (await linked.count()) === api.alert_ids.length, 'the linked alerts');
  for (const alert of api.alert_ids.slice(0, 2)) {
    const link = page.locator(`[data-table="linked-alerts"] [data-row-id="${alert}"] a`);
    assert.equal(await link.getAttribute('href'), `#/alerts/${alert}`);
  }

  // The SLA countdown ticks from the due time the API gave.
  const clock = page.locator('[data-sla-countdown]').first();
  await clock.waitFor();
  const before = await clock.innerText();
  await page.waitForTimeout(2200);
  const later = await clock.innerText();
  assert.notEqual(later, before, `the countdown moved (${before} → ${later})`);
  assert.match(later, /\d\d:\d\d:\d\d/);

  // A task added through the UI is in the API.
  const title = `Isolate the host ${Date.now()}`;
  await page.fill('#task-new', title);
  await page.getByRole('button', { name: 'Add task' }).click();
  const taskRow = page.locator('[data-table="tasks"] li', { hasText: title });
  await taskRow.waitFor();
  const tasks = await (await page.request.get(apiAt(`api/v1/incidents/${id}/tasks`))).json();
  const task = tasks.tasks.find((t) => t.title === title);
  assert.ok(task, 'the new task is in the API');
  assert.equal(task.status, 'open');
  // Completing it through its checkbox.
  await taskRow.getByRole('checkbox').check();
  await v.until(async () => (await taskRow.getAttribute('data-status')) === 'done', 'the task to show done');
  const after = await (await page.request.get(apiAt(`api/v1/incidents/${id}/tasks`))).json();
  assert.equal(after.tasks.find((t) => t.id === task.id).status, 'done');

  // A comment lands in the timeline (rendered as text) and in the API.
  const note = `<b>not bold</b> comment ${Date.now()}`;
  await page.fill('#note-text', note);
  await page.getByRole('button', { name: 'Add comment' }).click();
  await page.locator('.timeline li', { hasText: note }).first().waitFor();
  assert.equal(await page.locator('.timeline b').count(), 0, 'comment text is never markup');
  const withNote = await (await page.request.get(apiAt(`api/v1/incidents/${id}`))).json();
  assert.ok(withNote.timeline.some((e) => e.kind === 'note' && e.text.includes(note)), 'the note is in the timeline');

  // An observable added through the UI, with its search pivot.
  await page.selectOption('#obs-kind', 'ip');
  await page.fill('#obs-value', SHARED_IP);
  await page.getByRole('button', { name: 'Add observable' }).click();
  const obsLink = page.locator('[data-table="observables"] a', { hasText: SHARED_IP });
  await obsLink.waitFor();
  assert.equal(await obsLink.getAttribute('href'), `#/search?q=${encodeURIComponent(`"${SHARED_IP}"`)}`);

  // An attachment uploaded through the file input, listed, and downloadable as stored.
  const evidence = `evidence ${Date.now()}\n`;
  await page.setInputFiles('#att-file', { name: 'evidence.txt', mimeType: 'text/plain', buffer: Buffer.from(evidence) });
  await page.getByRole('button', { name: 'Upload' }).click();
  const file = page.locator('[data-table="attachments"] a', { hasText: 'evidence.txt' });
  await file.waitFor();
  const download = await page.request.get(new URL(await file.getAttribute('href'), v.url()).href);
  assert.equal(download.status(), 200);
  assert.equal(await download.text(), evidence);

  // Export links in the formats the API offers.
  for (const format of ['markdown', 'html', 'json']) {
    const href = await page.locator(`a[href*="/export?format=${format}"]`).getAttribute('href');
    const r = await page.request.get(href);
    assert.equal(r.status(), 200, `export ${format}`);
  }

  await page.locator('h1.incident-title').scrollIntoViewIfNeeded();
  await v.shot(page, 'incident');
  await v.axe(page);
  await v.finish(page);
});

test('the incident page in the dark theme, and a new incident from the form', async () => {
  const page = await v.newPage(browser, { colorScheme: 'dark' });
  await v.loginLocal(page, v.env.analyst.user, v.env.analyst.password);
  await v.open(page, '/incidents', 'incidents');
  await page.getByRole('button', { name: 'New incident' }).click();
  const title = `Made in the browser ${Date.now()}`;
  await page.fill('#ni-title', title);
  // The classes offered are the server's taxonomy, every one of them.
  const taxonomy = await (await page.request.get(apiAt('api/v1/taxonomy'))).json();
  assert.equal(taxonomy.name, 'RSIT');
  await v.until(async () => (await page.locator('#ni-class option').count()) === taxonomy.classes.length, 'every RSIT class offered');
  const offered = await page.locator('#ni-class option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual([...offered].sort(), taxonomy.classes.map((c) => c.name).sort());
  await page.selectOption('#ni-class', 'intrusion-attempts:brute-force');
  await page.getByRole('button', { name: 'Create incident' }).click();
  await page.locator('[data-page="incident"] h1.incident-title', { hasText: title }).waitFor();
  const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
  const made = await (await page.request.get(apiAt(`api/v1/incidents/${id}`))).json();
  assert.equal(made.title, title);
  assert.equal(made.classification, 'intrusion-attempts:brute-force');
  // Editing the assignee goes through PATCH.
  await page.fill('#inc-owner', v.env.analyst.user);
  await page.locator('#inc-owner').press('Tab');
  await v.until(
    async () => (await (await page.request.get(apiAt(`api/v1/incidents/${id}`))).json()).owner === v.env.analyst.user,
    'the assignee to be saved',
  );
  // The same IP as the first test's incident: the observable pivots to that incident.
  await page.fill('#obs-value', SHARED_IP);
  await page.getByRole('button', { name: 'Add observable' }).click();
  const related = page.locator('[data-table="observables"] tr', { hasText: SHARED_IP }).locator('a[href^="#/incidents/"]');
  await related.first().waitFor();
  assert.notEqual(await related.first().getAttribute('href'), `#/incidents/${id}`, 'related is another incident');
  await v.shot(page, 'incident-dark');
  await v.axe(page);
  await v.finish(page);
});
