// Self-test of provider.mjs + token.mjs: `node selftest.mjs` (exit 0 = all good). Starts the provider
// on a free port, checks both token kinds, the scripted code + PKCE login, and key rotation.
import { spawn, execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { promisify } from 'node:util';

const here = new URL('.', import.meta.url).pathname;
const child = spawn(process.execPath, ['provider.mjs'], {
  cwd: here, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'],
});
const [line] = await Promise.race([
  once(child.stdout, 'data'),
  new Promise((_, rej) => setTimeout(() => rej(new Error('provider did not start')), 15000)),
]);
const issuer = /^READY (\S+)/.exec(String(line))[1];
const run = async (...args) => JSON.parse((await promisify(execFile)(process.execPath, ['token.mjs', ...args, '--issuer', issuer], { cwd: here })).stdout);
const decode = (jwt) => jwt.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url')));

async function verifies(jwt) {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url'));
  const { keys } = await (await fetch(`${issuer}/jwks`)).json();
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) return false;
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  return crypto.verify(header.alg === 'EdDSA' ? null : 'sha256', Buffer.from(`${h}.${p}`),
    header.alg.startsWith('ES') ? { key, dsaEncoding: 'ieee-p1363' } : key, Buffer.from(s, 'base64url'));
}
const post = async (path) => (await fetch(`${issuer}${path}`, { method: 'POST' })).json();

try {
  const cc = await run('cc');
  const [ch, cp] = decode(cc.access_token);
  assert.equal(ch.typ, 'at+jwt');
  assert.deepEqual([cp.aud, cp.sub, cp.client_id, cp.tenant, cp.roles], ['vigil-api', 'vigil-ci', 'vigil-ci', 'acme', ['analyst']]);
  assert.ok(await verifies(cc.access_token));

  const lg = await run('login', '--user', 'lead');
  const [ah, ap] = decode(lg.access_token);
  const [ih, ip] = decode(lg.id_token);
  assert.equal(ah.typ, 'at+jwt');
  assert.equal(ih.typ, undefined);
  assert.deepEqual([ap.aud, ap.sub, ap.groups], ['vigil-api', 'lead', ['soc-leads']]);
  assert.deepEqual([ip.aud, ip.sub, ip.nonce], ['vigil-console', 'lead', lg.nonce]);

  const auth = new URL(`${issuer}/auth`);
  auth.search = new URLSearchParams({
    client_id: 'vigil-console', response_type: 'code', scope: 'openid email groups', state: 'S1', nonce: 'N1',
    redirect_uri: 'https://127.0.0.1:8443/api/v1/auth/oidc/callback',
    code_challenge: crypto.createHash('sha256').update('v'.repeat(43)).digest('base64url'), code_challenge_method: 'S256',
  });
  const loc = new URL((await run('authorize', auth.href, '--user', 'alice')).location);
  assert.equal(loc.origin + loc.pathname, 'https://127.0.0.1:8443/api/v1/auth/oidc/callback');
  assert.equal(loc.searchParams.get('state'), 'S1');
  assert.equal(loc.searchParams.get('iss'), issuer);
  assert.ok(loc.searchParams.get('code'));

  const before = await post('/__rotate');
  assert.equal(before.generation, 2);
  assert.ok(await verifies(cc.access_token), 'old token still verifies (old keys kept)');
  const cc2 = await run('cc');
  assert.equal(decode(cc2.access_token)[0].kid, before.signing.RS256);
  const retired = await post('/__rotate?retire=1&at_alg=ES256');
  assert.equal((await (await fetch(`${issuer}/jwks`)).json()).keys.length, 2);
  assert.equal(await verifies(cc.access_token), false, 'retired kid no longer published');
  const cc3 = await run('cc');
  assert.deepEqual([decode(cc3.access_token)[0].alg, decode(cc3.access_token)[0].kid], ['ES256', retired.signing.ES256]);
  assert.ok(await verifies(cc3.access_token));
  console.log(`selftest ok (${issuer})`);
} catch (e) {
  console.error(e);
  process.exitCode = 1;
} finally {
  child.kill('SIGTERM');
  process.exit(); // idle keep-alive sockets would otherwise hold the event loop for seconds
}
