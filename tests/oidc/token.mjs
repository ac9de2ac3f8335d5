// Gets tokens from provider.mjs, and scripts its login (devInteractions) for code + PKCE tests.
//
//   node token.mjs cc        [--secret S] [--scope "vigil.read"]      client_credentials (vigil-ci)
//   node token.mjs login     [--user alice] [--scope "openid ..."]    code + PKCE as vigil-console, code
//                                                                     exchanged here: access + ID token
//   node token.mjs all       [--user alice]                           {cc: ..., login: ...}
//   node token.mjs authorize <authorization-url> [--user alice] [--abort]
//       Follows redirects on the provider's origin only, logs in as --user, consents, and prints the
//       redirect that leaves the provider (to the client's redirect_uri, with code, state and iss) as
//       {"location": "..."}; the code is NOT redeemed (that is the client's job). --abort denies
//       instead (location carries error=access_denied).
// Common: --issuer URL (default $ISSUER, else http://127.0.0.1:$PORT), --redirect-uri (default
// $REDIRECT_URI or the provider's default), --decode adds the decoded JWT header + payload.
// Output: one JSON document on stdout; exit status 1 with a message on stderr on any failure.
import * as crypto from 'node:crypto';

const argv = process.argv.slice(2);
const mode = argv.shift();
const positional = [];
const opts = {};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--decode' || a === '--abort') opts[a.slice(2)] = true;
  else if (a.startsWith('--')) opts[a.slice(2)] = argv[++i];
  else positional.push(a);
}

const issuer = (opts.issuer || process.env.ISSUER || `http://127.0.0.1:${process.env.PORT || 9400}`).replace(/\/$/, '');
const user = opts.user || 'alice';
const redirectUri = opts['redirect-uri'] || process.env.REDIRECT_URI?.split(/\s+/)[0] || 'https://127.0.0.1:8443/api/v1/auth/oidc/callback';
const b64u = (buf) => Buffer.from(buf).toString('base64url');

function die(msg) {
  process.stderr.write(`token.mjs: ${msg}\n`);
  process.exit(1);
}

function decodeJwt(jwt) {
  const [h, p] = jwt.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')) };
}

function withDecoded(body) {
  if (!opts.decode) return body;
  const out = { ...body };
  for (const k of ['access_token', 'id_token']) if (body[k]) out[`${k}_decoded`] = decodeJwt(body[k]);
  return out;
}

async function discovery() {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!res.ok) die(`discovery: HTTP ${res.status}`);
  return res.json();
}

async function tokenRequest(endpoint, params, headers = {}) {
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  });
  const body = await res.json();
  if (!res.ok) die(`token endpoint: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

async function clientCredentials(meta) {
  const secret = opts.secret || process.env.CLIENT_SECRET || 'ci-secret';
  const basic = Buffer.from(`${encodeURIComponent('vigil-ci')}:${encodeURIComponent(secret)}`).toString('base64');
  const params = { grant_type: 'client_credentials' };
  if (opts.scope) params.scope = opts.scope;
  return withDecoded(await tokenRequest(meta.token_endpoint, params, { authorization: `Basic ${basic}` }));
}

// --- a minimal cookie jar (name + path; enough for oidc-provider's cookies) ------------------
const jar = new Map();
function storeCookies(res, url) {
  for (const line of res.headers.getSetCookie()) {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
    let expired = value === '';
    for (const attr of attrs) {
      const [k, v = ''] = attr.split('=');
      if (k.toLowerCase() === 'path') path = v;
      if (k.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      if (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) expired = true;
    }
    const key = `${name}\u0000${path}`;
    if (expired) jar.delete(key);
    else jar.set(key, { name, value, path });
  }
}
function cookieHeader(url) {
  const p = url.pathname;
  const out = [];
  for (const { name, value, path } of jar.values()) {
    if (p === path || p.startsWith(path.endsWith('/') ? path : `${path}/`) || path === '/') out.push(`${name}=${value}`);
  }
  return out.join('; ');
}

async function send(url, init = {}) {
  const headers = { ...init.headers };
  const cookie = cookieHeader(url);
  if (cookie) headers.cookie = cookie;
  const res = await fetch(url, { ...init, headers, redirect: 'manual' });
  storeCookies(res, url);
  return res;
}

// Walks the provider's redirects and interaction forms until a redirect leaves its origin.
async function completeAuthorization(authorizationUrl) {
  const origin = new URL(issuer).origin;
  let url = new URL(authorizationUrl);
  if (url.origin !== origin) die(`authorization URL ${url.origin} is not on the issuer ${origin}`);
  let method = 'GET';
  let body;
  for (let step = 0; step < 20; step++) {
    const res = await send(url, body
      ? { method, body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }
      : { method });
    body = undefined;
    method = 'GET';
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.get('location'), url);
      await res.arrayBuffer();
      if (next.origin !== origin) return next.href;
      url = next;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) die(`HTTP ${res.status} at ${url.pathname}: ${html.slice(0, 400)}`);
    const prompt = html.match(/name="prompt" value="([a-z]+)"/)?.[1];
    const action = html.match(/<form[^>]*action="([^"]+)"/)?.[1];
    if (!prompt || !action) die(`no interaction form at ${url.pathname}: ${html.slice(0, 400)}`);
    if (opts.abort) {
      url = new URL(`${new URL(action, url).pathname}/abort`, url);
      continue;
    }
    const form = new URLSearchParams({ prompt });
    if (prompt === 'login') {
      form.set('login', user);
      form.set('password', 'any');
    }
    url = new URL(action.replace(/&amp;/g, '&'), url);
    method = 'POST';
    body = form;
  }
  return die('too many redirects');
}

async function login(meta) {
  const verifier = b64u(crypto.randomBytes(32));
  const challenge = b64u(crypto.createHash('sha256').update(verifier).digest());
  const state = b64u(crypto.randomBytes(16));
  const nonce = b64u(crypto.randomBytes(16));
  const auth = new URL(meta.authorization_endpoint);
  auth.search = new URLSearchParams({
    client_id: 'vigil-console',
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: opts.scope || 'openid email profile groups tenant',
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  const location = new URL(await completeAuthorization(auth.href));
  const q = location.searchParams;
  if (q.get('error')) die(`authorization error: ${q.get('error')} ${q.get('error_description') ?? ''}`);
  if (q.get('state') !== state) die('state mismatch');
  const tokens = await tokenRequest(meta.token_endpoint, {
    grant_type: 'authorization_code',
    code: q.get('code'),
    redirect_uri: redirectUri,
    client_id: 'vigil-console',
    code_verifier: verifier,
  });
  return withDecoded({ ...tokens, nonce, state });
}

const meta = await discovery();
let out;
switch (mode) {
  case 'cc': out = await clientCredentials(meta); break;
  case 'login': out = await login(meta); break;
  case 'all': out = { cc: await clientCredentials(meta), login: await login(meta) }; break;
  case 'authorize': {
    if (!positional[0]) die('authorize needs the authorization URL');
    out = { location: await completeAuthorization(positional[0]) };
    break;
  }
  default: die('usage: token.mjs cc|login|all|authorize <url> [--issuer URL] [--user NAME] [--decode]');
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
