// Search against the harness's server (EVTX ingested from ../shared/evtx): a query finds events
// and draws the server's histogram; a bad query shows the server's error in place with its
// column; a histogram bar narrows the range to its bucket; a sidebar value adds to the query; a
// hit pivots to the alert it raised.
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

/** The search API's total for a query over all time (what the page must show). */
async function apiTotal(page, query, from, to) {
  const r = await page.request.post(new URL('api/v1/search', v.url()).href, {
    data: { query, size: 0, from: from ?? null, to: to ?? null },
    headers: { Origin: new URL(v.url()).origin },
  });
  assert.equal(r.status(), 200, await r.text());
  return (await r.json()).total;
}

async function asAnalyst(options) {
  const page = await v.newPage(browser, options);
  await v.loginLocal(page, v.env.analyst.user, v.env.analyst.password);
  return page;
}

/** Types a query into the bar over all time and submits it with Enter. */
async function search(page, query) {
  await page.selectOption('#search-range', '');
  await page.fill('#search-query', query);
  await page.press('#search-query', 'Enter');
}

const hits = (page) => page.locator('[data-table="search-hits"] tbody tr[data-row-id]');
const shownTotal = (page) => page.locator('[data-histogram]').getAttribute('data-total').then(Number);

test('a query finds EVTX events, with the histogram, the field sidebar and the full event', async () => {
  const page = await asAnalyst();
  await v.open(page, '/search', 'search');
  await search(page, 'Channel:Security');
  await v.until(() => page.url().includes('q=Channel%3ASecurity') && page.url().includes('from=all'), 'the query in the hash');
  await hits(page).first().waitFor();
  const want = await apiTotal(page, 'Channel:Security');
  assert.ok(want > 0, 'the EVTX data has Security events');
  await v.until(async () => (await shownTotal(page)) === want, `the histogram's total ${want}`);
  assert.equal(await hits(page).count(), Math.min(100, want));
  // The histogram's bars add up to the total.
  const counts = await page.locator('[data-histogram] [data-bucket]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count'))));
  assert.ok(counts.length > 1, 'several buckets');
  assert.equal(counts.reduce((a, b) => a + b, 0), want);
  // The sidebar's top values for Channel: all of them Security.
  const channel = page.locator('.field-values[data-field="Channel"]');
  await channel.waitFor();
  assert.match(await channel.locator('.value-add').first().innerText(), new RegExp(`Security\\s+${want.toLocaleString('en-GB')}`));
  // A row opens to the event's fields as text.
  const first = hits(page).first();
  const id = await first.getAttribute('data-row-id');
  await first.getByRole('button', { name: `Show event ${id}` }).click();
  const detail = page.locator(`[data-detail-for="${id}"]`);
  await detail.waitFor();
  assert.match(await detail.innerText(), /Channel\s+Security/);
  await v.shot(page, 'search');
  await v.axe(page);

  // A sidebar value adds `field:value` to the query and runs it.
  const computer = page.locator('.field-values[data-field="Computer"] .value-add').first();
  const host = (await computer.locator('.value-text').innerText()).trim();
  await computer.click();
  await v.until(async () => (await page.inputValue('#search-query')) === `Channel:Security AND Computer:${host}`, 'the value in the query');
  const narrowed = await apiTotal(page, `Channel:Security AND Computer:${host}`);
  assert.ok(narrowed > 0 && narrowed < want, `Computer:${host} narrows ${want} to ${narrowed}`);
  await v.until(async () => (await shownTotal(page)) === narrowed, `the total ${narrowed}`);

  // Its ≠ button excludes a value instead.
  const eventIdValue = page.locator('.field-values[data-field="EventID"] .value-row').first();
  const eid = (await eventIdValue.locator('.value-text').innerText()).trim();
  await eventIdValue.getByRole('button', { name: `Exclude EventID:${eid}` }).click();
  const excluded = `Channel:Security AND Computer:${host} AND NOT EventID:${eid}`;
  await v.until(async () => (await page.inputValue('#search-query')) === excluded, 'NOT in the query');
  const rest = await apiTotal(page, excluded);
  assert.ok(rest < narrowed, `excluding EventID ${eid} leaves fewer than ${narrowed}`);
  await v.until(async () => (await shownTotal(page)) === rest, `the total ${rest}`);

  // `/` puts the cursor back in the query bar.
  await page.locator('h1').click();
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'search-query');
  await v.finish(page);
});

test('a bad query shows the server error in place, at its column', async () => {
  const page = await asAnalyst({ allowStatus: [401, 400] });
  await v.open(page, '/search', 'search');
  await search(page, 'EventID:(4625');
  const error = page.locator('#search-query-error');
  await error.waitFor();
  assert.match(await error.innerText(), /column 9: missing '\)'/);
  assert.equal(await error.getAttribute('data-error-column'), '8');
  assert.equal(await page.getAttribute('#search-query', 'aria-invalid'), 'true');
  assert.equal(await page.getAttribute('#search-query', 'aria-describedby'), 'search-query-error');
  assert.equal(await hits(page).count(), 0, 'no results under an error');
  // Fixing the query clears the error.
  await search(page, 'EventID:4625');
  await hits(page).first().waitFor();
  assert.equal(await error.count(), 0);
  await v.finish(page);
});

test('clicking a histogram bar narrows the range to its bucket', async () => {
  const page = await asAnalyst();
  await v.open(page, '/search', 'search');
  await search(page, 'EventID:4624');
  await page.locator('[data-histogram] [data-bucket]').first().waitFor();
  const before = await shownTotal(page);
  const buckets = await page.locator('[data-histogram] [data-bucket]').evaluateAll((els) =>
    els.map((e) => ({ at: e.getAttribute('data-bucket'), count: Number(e.getAttribute('data-count')) })),
  );
  const biggest = buckets.reduce((a, b) => (b.count > a.count ? b : a));
  assert.ok(biggest.count > 0 && biggest.count < before, `one bucket (${biggest.count}) holds less than all (${before})`);
  await page.locator(`[data-histogram] [data-bucket="${biggest.at}"]`).click();
  await v.until(() => decodeURIComponent(page.url()).includes(`from=${biggest.at}`), 'the bucket start in the hash');
  await v.until(async () => (await shownTotal(page)) === biggest.count, `the bucket's ${biggest.count} events`);
  assert.equal(await page.inputValue('#search-query'), 'EventID:4624');
  assert.equal(await page.inputValue('#search-range'), 'custom');
  await v.finish(page);
});

test('a hit pivots to the alert its event raised', async () => {
  const page = await asAnalyst();
  const { alerts } = await getJson(page, 'api/v1/alerts?limit=1');
  assert.equal(alerts.length, 1, 'the EVTX raised alerts');
  const alert = alerts[0];
  const eventId = alert.event_ids[0];
  // A link as other pages make it (a query, no range) searches all time: the EVTX is years old.
  await v.open(page, `/search?q=_id:${eventId}`, 'search');
  const row = page.locator(`[data-table="search-hits"] tr[data-row-id="${eventId}"]`);
  await row.waitFor();
  assert.equal(await page.inputValue('#search-range'), '');
  await row.getByRole('button', { name: `Show event ${eventId}` }).click();
  await page.locator(`[data-detail-for="${eventId}"]`).getByRole('button', { name: 'Open its alert' }).click();
  // The server's event_id filter says which alerts the event raised: one opens, several are listed.
  const raised = await getJson(page, `api/v1/alerts?event_id=${eventId}&limit=50`);
  assert.ok(raised.alerts.some((a) => a.id === alert.id), `the event_id filter finds ${alert.id}`);
  assert.ok(raised.alerts.every((a) => a.event_ids.includes(eventId)), 'only alerts of that event');
  if (raised.alerts.length > 1) {
    await page.locator(`[data-pivot-alerts] a[data-alert-id="${alert.id}"]`).click();
  }
  await v.until(() => new URL(page.url()).hash === `#/alerts/${alert.id}`, `#/alerts/${alert.id}`);
  await v.finish(page);
});

test('a hit of an alert in an incident pivots to the incident', { skip: !v.env.seedIncident && 'no seeded incident' }, async () => {
  const page = await asAnalyst();
  const { alerts } = await getJson(page, 'api/v1/alerts?status=merged&limit=1000');
  const alert = alerts.find((a) => a.incident_id === v.env.seedIncident);
  assert.ok(alert, `an alert of incident ${v.env.seedIncident}`);
  const eventId = alert.event_ids[0];
  await v.open(page, `/search?q=_id:${eventId}&from=all`, 'search');
  const row = page.locator(`[data-table="search-hits"] tr[data-row-id="${eventId}"]`);
  await row.waitFor();
  await row.getByRole('button', { name: `Show event ${eventId}` }).click();
  await page.locator(`[data-detail-for="${eventId}"]`).getByRole('button', { name: 'Open its incident' }).click();
  await v.until(() => new URL(page.url()).hash === `#/incidents/${alert.incident_id}`, `#/incidents/${alert.incident_id}`);
  await v.finish(page);
});
