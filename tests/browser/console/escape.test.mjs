// Every page of the navigation (and an alert's and an incident's own page), as an admin, in the
// light and the dark theme: nothing leaves 127.0.0.1, axe-core finds no serious or critical
// violation, no console error, and a screenshot of each is saved
// (target/console-screenshots/<page>-<theme>.png).
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

/** Waits until the page at `route` rendered and settled: its root, no loading indicator. */
async function settle(page, route) {
  await page.locator('#main [data-page]').first().waitFor();
  const name = await page.locator('#main [data-page]').first().getAttribute('data-page');
  assert.notEqual(name, 'not-found', `${route} has a page`);
  // Pages with a live stream never go network-idle: give the others a moment to finish fetching.
  await page.waitForLoadState('networkidle', { timeout: 2_000 }).catch(() => undefined);
  await v.until(async () => (await page.locator('#main [aria-busy="true"], #main .loading').count()) === 0, `${route} to load`);
  return name;
}

/** `/admin/users` → `admin-users`; `/alerts/ID` → `alert-detail`. */
function shotName(route) {
  const parts = route.split('/').filter(Boolean);
  if (parts.length === 2 && parts[0] === 'alerts') return 'alert-detail';
  if (parts.length === 2 && parts[0] === 'incidents') return 'incident-detail';
  if (parts.length === 2 && parts[0] === 'rules') return 'rule-detail';
  return parts.join('-');
}

/** The first row's id of the table on the page at `route`, if it has rows. */
async function firstRow(page, route) {
  await v.go(page, route);
  await settle(page, route);
  const row = page.locator('#main [data-row-id]').first();
  if ((await row.count()) === 0) return null;
  return row.getAttribute('data-row-id');
}

for (const theme of ['light', 'dark']) {
  test(`every page in the ${theme} theme: no request leaves loopback, axe clean, screenshot`, async () => {
    const page = await v.newPage(browser, { colorScheme: theme });
    await page.goto(v.url());
    await v.loginForm(page).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
    await v.axe(page);
    await v.shot(page, `login-${theme}`);

    await v.loginLocal(page, v.env.admin.user, v.env.admin.password);
    const nav = page.getByRole('navigation', { name: 'Main' });
    const routes = (await nav.locator('a[href^="#/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href').slice(1))))
      .filter((r, i, all) => all.indexOf(r) === i);
    assert.ok(routes.length >= 10, `the admin's navigation: ${routes}`);
    const alert = await firstRow(page, '/alerts');
    assert.ok(alert, 'the queue has alerts (the harness ingested EVTX)');
    routes.push(`/alerts/${alert}`);
    const incident = v.env.seedIncident || (await firstRow(page, '/incidents'));
    if (incident) routes.push(`/incidents/${incident}`);

    const seen = [];
    for (const route of routes) {
      const t0 = Date.now();
      await v.go(page, route);
      const name = await settle(page, route);
      const t1 = Date.now();
      await v.axe(page);
      const t2 = Date.now();
      await v.shot(page, `${shotName(route)}-${theme}`);
      seen.push(route);
      // Printed as it goes: a failure's output shows how far the walk came and what was slow.
      console.log(`${theme}: ${route} → ${name} (shown in ${t1 - t0} ms, axe ${t2 - t1} ms)`);
    }
    assert.equal(seen.length, routes.length);
    await v.finish(page);
  });
}
