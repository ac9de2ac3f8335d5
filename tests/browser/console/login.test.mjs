// Logging in and out: a local user, a wrong password, the real OpenID provider (code + PKCE through
// the server), and a session that ends under an open console (cookie gone, or logged out in another
// tab) — back at the login page with a message.
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

test('a local user logs in and out', async () => {
  const page = await v.newPage(browser);
  await page.goto(v.url());
  await v.loginForm(page).waitFor();
  await v.shot(page, 'login');
  assert.equal((await v.me(page)).status, 401, 'nobody is signed in yet');

  await v.loginLocal(page, v.env.analyst.user, v.env.analyst.password);
  assert.equal(await page.locator('#user-menu').innerText(), v.env.analyst.user);
  const who = await v.me(page);
  assert.equal(who.status, 200);
  assert.equal(who.body.name, v.env.analyst.user);
  assert.deepEqual(who.body.roles, ['analyst']);

  await v.logout(page);
  await page.getByText('You are logged out.').waitFor();
  assert.equal((await v.me(page)).status, 401, 'the server ended the session');
  // A reload does not bring the session back.
  await page.reload();
  await v.loginForm(page).waitFor();
  await v.finish(page);
});

test('a wrong password shows the server refusal and signs nobody in', async () => {
  const page = await v.newPage(browser);
  await page.goto(v.url());
  await v.loginForm(page).waitFor();
  await page.fill('#login-username', v.env.analyst.user);
  await page.fill('#login-password', 'not-the-password-at-all');
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login'));
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  assert.equal((await answer).status(), 401);
  const error = page.locator('[data-page="login"] [role="alert"]');
  await error.waitFor();
  assert.match(await error.innerText(), /\S/, 'the error says something');
  await v.shot(page, 'login-error');
  assert.equal(await page.locator('#user-menu').count(), 0);
  assert.equal((await v.me(page)).status, 401);
  await v.finish(page);
});

test('OIDC login through the real provider lands in the console as the mapped user', async () => {
  const page = await v.newPage(browser);
  await page.goto(v.url('/alerts'));
  await v.loginForm(page).waitFor();
  await v.loginOidc(page, v.env.oidc.user);
  const who = await v.me(page);
  assert.equal(who.status, 200);
  assert.equal(who.body.id, `oidc:${v.env.oidc.user}`);
  assert.deepEqual(who.body.roles, [v.env.oidc.role]);
  assert.equal(await page.locator('#user-menu').innerText(), who.body.name);
  // Back where the login started.
  assert.match(new URL(page.url()).hash, /^#\/alerts/);
  await v.logout(page);
  assert.equal((await v.me(page)).status, 401);
  await v.finish(page);
});

test('a session that ends (cookie gone) brings the console back to the login page with a message', async () => {
  const page = await v.newPage(browser);
  await v.loginLocal(page, v.env.lead.user, v.env.lead.password);
  await v.open(page, '/alerts', 'alerts');
  await page.context().clearCookies();
  // The next call the console makes is answered 401.
  await v.go(page, '/incidents');
  await page.getByText('Your session has ended').waitFor();
  await v.loginForm(page).waitFor();
  await v.shot(page, 'login-session-ended');
  // Logging in again works from there.
  await v.loginLocal(page, v.env.lead.user, v.env.lead.password);
  await v.finish(page);
});

test('logging out in another tab ends the session in this one', async () => {
  const page = await v.newPage(browser);
  await v.loginLocal(page, v.env.lead.user, v.env.lead.password);
  await v.open(page, '/alerts', 'alerts');
  const other = await page.context().newPage();
  await other.goto(v.url('/incidents'));
  await other.locator('#user-menu').waitFor();
  await v.logout(other);
  await other.close();
  await v.go(page, '/incidents');
  await page.getByText('Your session has ended').waitFor();
  await v.loginForm(page).waitFor();
  await v.finish(page);
});

test('a page asked for the moment the console appears after login is the page shown', async () => {
  // Regression (CI, 2026-12-07): the redirect from `#/` to the first page ran after paint with the
  // path it rendered with, so a route set between the render and that redirect (a fast click, a
  // test's goto right after login) was replaced by the alert queue. Here the route changes in the
  // same task that shows the console: a MutationObserver fires before Preact's effects.
  const page = await v.newPage(browser);
  await page.goto(v.url());
  await v.loginForm(page).waitFor();
  await page.evaluate(() => {
    const seen = new MutationObserver(() => {
      if (document.querySelector('#user-menu')) {
        seen.disconnect();
        location.hash = '#/sources';
      }
    });
    seen.observe(document.body, { childList: true, subtree: true });
  });
  await v.loginLocal(page, v.env.analyst.user, v.env.analyst.password);
  await page.locator('[data-page="sources"]').waitFor();
  // Whatever ran late must not have moved the console on.
  await page.waitForTimeout(500);
  assert.equal(await page.locator('[data-page="sources"]').count(), 1, `still on sources, at ${page.url()}`);
  assert.match(page.url(), /#\/sources$/);
  await v.finish(page);
});
