// The console where operators put it: behind an HTTPS reverse proxy under a path prefix (`/soc/`,
// the proxy passing the browser's Host through like nginx's `proxy_set_header Host $host`), and on
// Vigil's own TLS (`[http] tls_cert`/`tls_key`, a second server the harness starts with a
// self-signed certificate). Every asset, API call and the live stream must stay under the prefix;
// the session cookie must be Secure and HttpOnly.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { after, before, test } from 'node:test';

import * as v from './lib.mjs';

const PREFIX = '/soc/';

let browser;
let proxy;
before(async () => {
  browser = await v.launch();
  proxy = await startProxy(new URL(v.env.url));
});
after(async () => {
  await browser?.close();
  await proxy?.stop();
});

/**
 * An HTTPS reverse proxy on a loopback port: `https://127.0.0.1:P/soc/X` → `http://upstream/X`,
 * the request's headers (Host included) passed as they are, answers streamed back (the alert
 * stream is server-sent events). Anything outside the prefix is a 404 from the proxy.
 */
async function startProxy(upstream) {
  const cert = { cert: readFileSync(v.env.tls.cert), key: readFileSync(v.env.tls.key) };
  const server = https.createServer(cert, (req, res) => {
    if (!req.url.startsWith(PREFIX)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`the proxy serves ${PREFIX} only\n`);
      return;
    }
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: `/${req.url.slice(PREFIX.length)}`,
        headers: { ...req.headers, 'x-forwarded-proto': 'https', 'x-forwarded-prefix': PREFIX },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (err) => res.headersSent || res.writeHead(502).end(String(err)));
    // A browser that goes away ends the upstream request too (the alert stream never ends by itself).
    res.on('close', () => forward.destroy());
    upstreams.add(forward);
    forward.on('close', () => upstreams.delete(forward));
    req.pipe(forward);
  });
  const upstreams = new Set();
  // Closing must not wait for the console's open event stream, here or upstream.
  server.stop = () =>
    new Promise((done) => {
      for (const u of upstreams) u.destroy();
      server.close(() => done());
      server.closeAllConnections();
    });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  server.origin = `https://127.0.0.1:${server.address().port}`;
  return server;
}

test('behind an HTTPS proxy under /soc/, the console logs in, lists alerts and streams, all under the prefix', async () => {
  const page = await v.newPage(browser, { ignoreHTTPSErrors: true });
  const seen = [];
  page.on('request', (r) => seen.push(r.url()));
  const home = `${proxy.origin}${PREFIX}`;
  await page.goto(home);
  await v.loginForm(page).waitFor();
  await v.loginLocal(page, v.env.analyst.user, v.env.analyst.password);
  await page.goto(`${home}#/alerts`);
  await page.locator('[data-page="alerts"]').waitFor();
  const rows = page.locator('[data-table="alerts"] [data-row-id]');
  await rows.first().waitFor();
  await v.until(() => seen.some((u) => u.includes('/api/v1/alerts/stream')), 'the live alert stream opened');
  // An alert's page (its rule's YAML is another API call) works there too.
  const id = await rows.first().getAttribute('data-row-id');
  await page.goto(`${home}#/alerts/${id}`);
  await page.locator(`[data-page="alert"][data-row-id="${id}"]`).waitFor();
  await v.shot(page, 'proxy-prefix-tls');

  const ours = seen.filter((u) => u.startsWith(proxy.origin));
  assert.ok(ours.length >= 5, `the console's requests went through the proxy: ${seen.join(' ')}`);
  const outside = ours.filter((u) => !new URL(u).pathname.startsWith(PREFIX));
  assert.deepEqual(outside, [], 'every request stays under the prefix');
  assert.equal(seen.filter((u) => u.startsWith(v.env.url)).length, 0, 'nothing went around the proxy');
  const cookie = (await page.context().cookies(home)).find((c) => c.name === '__Host-vigil_session');
  assert.ok(cookie?.secure && cookie.httpOnly && cookie.path === '/', `session cookie ${JSON.stringify(cookie)}`);

  // Single sign-on starts under the prefix too, and asks to come back under it.
  await v.logout(page);
  const sso = page.waitForRequest((r) => r.url().includes('/api/v1/auth/oidc/login'));
  const name = { name: 'Sign in with single sign-on' };
  await page.getByRole('link', name).or(page.getByRole('button', name)).first().click();
  const start = new URL((await sso).url());
  assert.equal(start.origin + start.pathname, `${home}api/v1/auth/oidc/login`);
  assert.ok(start.searchParams.get('return_to')?.startsWith(PREFIX), `return_to ${start.search}`);
  await page.waitForURL((u) => u.origin === new URL(v.env.oidc.issuer).origin);
  await v.finish(page);
});

test("on Vigil's own TLS the console logs in with a Secure session cookie under its strict CSP", async () => {
  const page = await v.newPage(browser, { ignoreHTTPSErrors: true });
  const first = await page.goto(v.env.tls.url);
  assert.equal(new URL(page.url()).protocol, 'https:');
  const csp = first?.headers()['content-security-policy'] ?? '';
  assert.match(csp, /script-src 'self'/, `CSP: ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline/);
  await v.loginLocal(page, v.env.admin.user, v.env.admin.password);
  await page.goto(`${v.env.tls.url}#/admin/users`);
  await page.locator('[data-table="users"]').waitFor();
  await v.shot(page, 'tls-admin-users');
  const cookie = (await page.context().cookies(v.env.tls.url)).find((c) => c.name === '__Host-vigil_session');
  assert.ok(cookie?.secure && cookie.httpOnly, `session cookie ${JSON.stringify(cookie)}`);
  // The same server refuses plain HTTP on that port.
  const plain = await fetch(v.env.tls.url.replace('https:', 'http:')).then(
    (r) => r.status,
    () => 'refused',
  );
  assert.notEqual(plain, 200, 'plain HTTP is not served');
  await v.finish(page);
});
