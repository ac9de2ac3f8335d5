// The console's browser tests' toolkit: Debian's Chromium through playwright-core, a route guard
// that aborts and records every request leaving 127.0.0.1, console and page errors collected,
// login helpers (local users and the real OpenID provider of tests/oidc), screenshots and an
// axe-core check.
//
// The tests run against a server someone else started (crates/vigil/tests/console starts one with
// data and users, then runs `node --test --test-concurrency=1 tests/browser/console/`). They read:
//
//   VIGIL_URL                        the console, e.g. http://127.0.0.1:PORT/ (required)
//   VIGIL_ADMIN_USER / _PASSWORD     a local admin
//   VIGIL_ANALYST_USER / _PASSWORD   a local analyst
//   VIGIL_LEAD_USER / _PASSWORD      a local SOC lead
//   VIGIL_ENGINEER_USER / _PASSWORD  a local detection engineer
//   VIGIL_OIDC_ISSUER                the OpenID provider (tests/oidc/provider.mjs) the server trusts
//   VIGIL_OIDC_USER                  a login the provider maps to a role (default "lead")
//   VIGIL_OIDC_ROLE                  that user's Vigil role (default "lead")
//   VIGIL_SEED_INCIDENT              an incident the harness made from two alerts
//   VIGIL_TLS_URL                    a second server with HTTPS on its listener (same users, no data)
//   VIGIL_TLS_CERT / _KEY            its self-signed certificate and key (PEM files)
//   VIGIL_SCREENSHOTS                where shot() writes (default <repo>/target/console-screenshots)
//   VIGIL_CHROMIUM                   the browser (default /usr/bin/chromium)
//
// A test file typically:
//
//   import { test, after, before } from 'node:test';
//   import * as v from './lib.mjs';
//   let browser; before(async () => { browser = await v.launch(); }); after(() => browser?.close());
//   test('…', async () => {
//     const page = await v.newPage(browser);
//     await v.loginLocal(page, v.env.analyst.user, v.env.analyst.password);
//     await v.open(page, '/alerts');
//     …
//     await v.finish(page);   // no request left loopback, no console/page error; closes the page
//   });
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import AxeBuilder from '@axe-core/playwright';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository's root (tests/browser/console/../../..). */
export const ROOT = resolve(HERE, '../../..');

const e = process.env;
const user = (role) => ({
  user: e[`VIGIL_${role}_USER`] ?? '',
  password: e[`VIGIL_${role}_PASSWORD`] ?? '',
});

/** What the harness passed in (see the header). */
export const env = {
  url: e.VIGIL_URL ?? '',
  admin: user('ADMIN'),
  analyst: user('ANALYST'),
  lead: user('LEAD'),
  engineer: user('ENGINEER'),
  oidc: { issuer: e.VIGIL_OIDC_ISSUER ?? '', user: e.VIGIL_OIDC_USER || 'lead', role: e.VIGIL_OIDC_ROLE || 'lead' },
  seedIncident: e.VIGIL_SEED_INCIDENT ?? '',
  tls: { url: e.VIGIL_TLS_URL ?? '', cert: e.VIGIL_TLS_CERT ?? '', key: e.VIGIL_TLS_KEY ?? '' },
  screenshots: resolve(ROOT, e.VIGIL_SCREENSHOTS || 'target/console-screenshots'),
  chromium: e.VIGIL_CHROMIUM || '/usr/bin/chromium',
};

/** Chromium's flags here (../shared/ENVIRONMENT.md). */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** How long a wait for the console may take (a loaded 2-core CI machine, a debug build). */
export const TIMEOUT = 20_000;

/** Starts the browser; close it in `after`. */
export async function launch() {
  assert.ok(env.url, 'VIGIL_URL is not set: run these tests through `cargo nextest run -p vigil --test console`');
  return chromium.launch({ executablePath: env.chromium, args: CHROMIUM_ARGS });
}

/** The server's origin and the console's URL for a hash route such as `/alerts`. */
export function url(route = '') {
  const base = new URL(env.url);
  return route ? `${base.href.split('#')[0]}#${route}` : base.href;
}

/**
 * Console messages Chromium prints for answers the console expects and handles: a 401 from the
 * session probe before login and from a wrong password, and (opted into per page) 403 refusals.
 * Anything else logged as an error fails `finish`.
 */
const EXPECTED_STATUS_NOISE = /^Failed to load resource: the server responded with a status of (\d{3})/;

/**
 * A new page in its own browser context (its own cookies), 1280×720, with the guard and the
 * error collection installed. `options.colorScheme` is 'light' or 'dark'; `options.allowStatus`
 * lists the HTTP error statuses whose console noise is expected (default [401]: the console asks
 * `api/v1/me` before anyone logged in); a test that provokes refusals passes [401, 403].
 * `options.ignoreHTTPSErrors` accepts the harness's self-signed certificate.
 */
export async function newPage(browser, options = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 720 },
    colorScheme: options.colorScheme ?? 'light',
    locale: 'en-GB',
    timezoneId: 'UTC',
    ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
  });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  const state = {
    escaped: [],
    providerEscaped: [],
    errors: [],
    serverErrors: [],
    allowStatus: new Set(options.allowStatus ?? [401]),
  };
  page.vigil = state;
  await context.route('**/*', (route) => {
    const target = route.request().url();
    let host = '';
    try {
      host = new URL(target).hostname;
    } catch {
      host = '';
    }
    if (host === '127.0.0.1' || target.startsWith('data:') || target.startsWith('blob:')) {
      return route.continue();
    }
    // The test's OpenID provider (tests/oidc, oidc-provider's devInteractions pages) links a web
    // font: blocked too, but recorded apart — it is the fixture's page, not the console's.
    if (fromProvider(route.request())) state.providerEscaped.push(target);
    else state.escaped.push(target);
    return route.abort('blockedbyclient');
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // The provider's page logs its blocked font: the fixture's noise, not the console's.
    if (onProvider(m.location()?.url) || onProvider(page.url())) return;
    const noise = m.text().match(EXPECTED_STATUS_NOISE);
    if (noise && state.allowStatus.has(Number(noise[1]))) return;
    // The login rate limit's 429, waited out by loginLocal.
    if (noise && noise[1] === '429' && (m.location()?.url ?? '').endsWith('/api/v1/auth/login')) return;
    state.errors.push(`console: ${m.text()} (${m.location()?.url ?? '?'})`);
  });
  page.on('pageerror', (err) => state.errors.push(`page error: ${err.stack || err}`));
  page.on('response', (r) => {
    if (r.status() >= 500) state.serverErrors.push(`${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return page;
}

/** True when `address` is on the OpenID provider's origin (VIGIL_OIDC_ISSUER). */
function onProvider(address) {
  if (!env.oidc.issuer || !address) return false;
  try {
    return new URL(address).origin === new URL(env.oidc.issuer).origin;
  } catch {
    return false;
  }
}

/** True when `request` comes from a page of the OpenID provider (VIGIL_OIDC_ISSUER) and is not a navigation. */
function fromProvider(request) {
  if (!env.oidc.issuer || request.isNavigationRequest()) return false;
  try {
    return onProvider(request.frame().url());
  } catch {
    return false;
  }
}

/**
 * Fails if any request tried to leave 127.0.0.1 (it was aborted). Requests of the test's OpenID
 * provider's own pages are aborted too but listed apart (`page.vigil.providerEscaped`).
 */
export function assertNoEscape(page) {
  assert.deepEqual(page.vigil.escaped, [], `requests left 127.0.0.1:\n  ${page.vigil.escaped.join('\n  ')}`);
}

/** Fails on console errors (other than the allowed statuses), page errors and 5xx answers. */
export function assertNoErrors(page) {
  const all = [...page.vigil.errors, ...page.vigil.serverErrors.map((s) => `server answered ${s}`)];
  assert.deepEqual(all, [], `errors in the page:\n  ${all.join('\n  ')}`);
}

/** The checks every test ends with; closes the page's context. */
export async function finish(page) {
  try {
    assertNoEscape(page);
    assertNoErrors(page);
  } finally {
    await page.context().close();
  }
}

/** Opens the console at a hash route and waits for its `data-page` root. */
export async function open(page, route, pageName) {
  await page.goto(url(route));
  if (pageName !== undefined) {
    await page.locator(`[data-page="${pageName}"]`).first().waitFor();
  }
}

/** Goes to a hash route within the loaded console (no reload). */
export async function go(page, route) {
  await page.evaluate((r) => {
    location.hash = r;
  }, route);
}

/** The login form (shown to anyone not signed in). */
export function loginForm(page) {
  return page.locator('#login-username');
}

/**
 * Logs a local user in through the login form; waits until the console shows them. The server
 * limits logins (10 a minute from an address, 5 a minute for a user name, after a burst of 10) and
 * every test logs in from 127.0.0.1: a 429 is waited out (its Retry-After) and the form submitted
 * again, up to 6 times (the login's 429 console noise is expected, see newPage). Any other refusal
 * fails with the server's answer.
 */
export async function loginLocal(page, username, password) {
  assert.ok(username && password, 'no user/password given (is the harness passing VIGIL_*_USER?)');
  // A page already on a console (this server, the proxy's or the TLS one) logs in there.
  if (!/^https?:/.test(page.url())) await page.goto(url());
  await loginForm(page).waitFor();
  for (let attempt = 1; ; attempt++) {
    await page.fill('#login-username', username);
    await page.fill('#login-password', password);
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    const r = await answer;
    if (r.status() === 429 && attempt < 6) {
      const wait = Number(r.headers()['retry-after'] ?? '6');
      await page.waitForTimeout((Number.isFinite(wait) ? wait : 6) * 1000 + 250);
      continue;
    }
    assert.equal(r.status(), 200, `logging in as ${username}: ${r.status()} ${await r.text().catch(() => '')}`);
    break;
  }
  await page.locator('#user-menu').waitFor();
}

/**
 * Logs in through the real OpenID provider: the console's "Sign in with single sign-on" button,
 * the provider's devInteractions login form (any password) and its consent form, back to the
 * console. `who` is the login name (provider.mjs maps "lead" to group soc-leads, "alice" to
 * soc-analysts).
 */
export async function loginOidc(page, who = env.oidc.user) {
  assert.ok(env.oidc.issuer, 'VIGIL_OIDC_ISSUER is not set');
  if (!page.url().startsWith(new URL(env.url).origin)) await page.goto(url());
  const sso = { name: 'Sign in with single sign-on' };
  await page.getByRole('link', sso).or(page.getByRole('button', sso)).first().click();
  const issuer = new URL(env.oidc.issuer).origin;
  await page.waitForURL((u) => u.origin === issuer);
  // The provider's pages: a login form (prompt=login), then a consent form (prompt=consent).
  for (let step = 0; step < 4; step++) {
    const here = new URL(page.url());
    if (here.origin !== issuer) break;
    const prompt = await page.locator('input[name="prompt"]').first().getAttribute('value', { timeout: TIMEOUT });
    if (prompt === 'login') {
      await page.fill('input[name="login"]', who);
      await page.fill('input[name="password"]', 'any password');
    }
    await Promise.all([
      page.waitForURL((u) => u.href !== here.href, { waitUntil: 'commit' }),
      page.locator('form button[type="submit"], form [type="submit"]').first().click(),
    ]);
    await page.waitForLoadState('domcontentloaded');
  }
  await page.waitForURL((u) => u.origin === new URL(env.url).origin);
  await page.locator('#user-menu').waitFor();
}

/** Logs out through the user menu; waits for the login form. */
export async function logout(page) {
  await page.locator('#user-menu').click();
  await page.getByRole('menuitem', { name: 'Log out' }).or(page.getByRole('button', { name: 'Log out' })).first().click();
  await loginForm(page).waitFor();
}

/** The signed-in principal as the server sees it (`GET api/v1/me` with the page's cookies). */
export async function me(page) {
  const r = await page.request.get(new URL('api/v1/me', url()).href);
  return { status: r.status(), body: await r.json().catch(() => null) };
}

/** Saves a screenshot of the viewport as `<VIGIL_SCREENSHOTS>/<name>.png`; returns the path. */
export async function shot(page, name) {
  assert.match(name, /^[a-z0-9][a-z0-9._-]*$/, `screenshot name ${name}`);
  mkdirSync(env.screenshots, { recursive: true });
  const path = join(env.screenshots, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/**
 * Runs axe-core (WCAG 2 A/AA and best-practice rules) on the page as it is and fails on serious
 * or critical violations, listing each rule, its help and the elements it found.
 */
export async function axe(page, { exclude = [] } = {}) {
  let builder = new AxeBuilder({ page });
  for (const selector of exclude) builder = builder.exclude(selector);
  const result = await builder.analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.equal(bad.length, 0, `axe-core on ${page.url()}:\n${formatViolations(bad)}`);
  assert.deepEqual(await cutPlaceholders(page), [], `placeholders cut off on ${page.url()}`);
  return result;
}

/**
 * The visible inputs whose placeholder is wider than the room inside them (the hint a person
 * cannot read, e.g. "24h, 20…"). Measured by the browser itself: the placeholder is put in as the
 * value for a moment and the input's scroll width compared with its width (a search input's
 * cancel button takes room that a font measurement misses). Checked with axe().
 */
export async function cutPlaceholders(page) {
  return page.evaluate(() => {
    const cut = [];
    for (const el of document.querySelectorAll('input[placeholder]')) {
      if (!el.placeholder || el.value || el.offsetParent === null) continue;
      el.value = el.placeholder;
      const [need, room] = [el.scrollWidth, el.clientWidth];
      el.value = '';
      if (need > room + 2) cut.push(`#${el.id || el.name || '?'} "${el.placeholder}": ${need} px in ${room} px`);
    }
    return cut;
  });
}

/** One readable block per violation: rule, impact, help, and at most 5 elements with the why. */
export function formatViolations(violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes.slice(0, 5).map((n) => {
        const why = (n.failureSummary ?? '').split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
        return `    ${n.target.join(' ')}: ${why}`;
      });
      const more = v.nodes.length > 5 ? [`    … and ${v.nodes.length - 5} more`] : [];
      return [`  ${v.id} (${v.impact}): ${v.help} — ${v.helpUrl}`, ...nodes, ...more].join('\n');
    })
    .join('\n');
}

/** Polls `fn` until it returns a truthy value (or throws after `timeout` ms with `what`). */
export async function until(fn, what, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
