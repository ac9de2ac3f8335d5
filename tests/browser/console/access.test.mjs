// Permissions: the console hides what the principal may not open, and the server refuses it
// anyway — an analyst who types an admin URL sees the server's own 403 message.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as v from './lib.mjs';

const ADMIN_SECTIONS = ['users', 'apikeys', 'roles', 'tenants', 'policies'];

let browser;
before(async () => {
  browser = await v.launch();
});
after(async () => {
  await browser?.close();
});

/** The hash routes of the navigation's links. */
async function navRoutes(page) {
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.waitFor();
  const hrefs = await nav.locator('a[href^="#/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  return hrefs.map((h) => h.slice(1));
}

test('an admin sees the admin pages in the navigation', async () => {
  const page = await v.newPage(browser);
  await v.loginLocal(page, v.env.admin.user, v.env.admin.password);
  const routes = await navRoutes(page);
  for (const section of ADMIN_SECTIONS) {
    assert.ok(routes.includes(`/admin/${section}`), `admin nav holds /admin/${section}: ${routes}`);
  }
  await v.finish(page);
});

test('an analyst sees no admin item, and a direct admin URL shows the server refusal', async () => {
  const page = await v.newPage(browser, { allowStatus: [401, 403] });
  await v.loginLocal(page, v.env.analyst.user, v.env.analyst.password);
  const routes = await navRoutes(page);
  assert.ok(routes.includes('/alerts'), `an analyst works the queue: ${routes}`);
  assert.deepEqual(routes.filter((r) => r.startsWith('/admin')), [], 'no admin link');
  assert.equal(await page.getByRole('heading', { name: 'Admin' }).count(), 0, 'no Admin group');

  for (const section of ADMIN_SECTIONS) {
    const refused = page.waitForResponse((r) => r.url().includes('/api/v1/') && r.status() === 403);
    await v.go(page, `/admin/${section}`);
    const answer = await refused;
    const body = await answer.json();
    assert.equal(body.error?.code, 'forbidden', `${answer.url()}: ${JSON.stringify(body)}`);
    // The page shows the server's message, not a made-up one.
    const box = page.locator('#main [role="alert"]').filter({ hasText: body.error.message });
    await box.first().waitFor();
    assert.match(await box.first().innerText(), /Not permitted/);
    if (section === 'users') await v.shot(page, 'admin-refused-analyst');
    // The same call with this analyst's session, outside the page: still 403.
    const again = await page.request.get(answer.url());
    assert.equal(again.status(), 403, answer.url());
  }
  await v.finish(page);
});

test("each role's navigation offers only pages whose calls the server permits it", async () => {
  // Regression: the Dashboard item asked for `report:read`, so analysts (who read KPIs and the
  // handover with `case:read`) had no Dashboard. Every page a role's navigation shows must load
  // without one refused call.
  for (const who of ['analyst', 'lead', 'engineer']) {
    const page = await v.newPage(browser);
    const refused = [];
    page.on('response', (r) => {
      if (r.status() === 403) refused.push(`${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    await v.loginLocal(page, v.env[who].user, v.env[who].password);
    const routes = await navRoutes(page);
    assert.ok(routes.includes('/dashboard'), `${who} has the dashboard: ${routes}`);
    for (const route of routes) {
      await v.go(page, route);
      await page.waitForFunction((r) => location.hash === `#${r}`, route);
      await page.locator('#main [data-page]').first().waitFor();
      // Let the page's first calls answer (the alert stream stays open: no network idle here).
      await page.waitForTimeout(600);
    }
    assert.deepEqual(refused, [], `${who}'s pages (${routes.join(' ')}) were refused calls`);
    await v.finish(page);
  }
});
