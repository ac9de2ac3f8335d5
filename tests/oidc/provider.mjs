// A real OpenID provider (npm oidc-provider 9.13.3) for Vigil's OIDC and bearer-JWT tests.
//
//   PORT=9400 node provider.mjs          (or: node provider.mjs 9400; PORT=0 picks a free port)
//   -> prints exactly one line "READY http://127.0.0.1:<port>" on stdout once it listens.
//
// Environment (all optional):
//   PORT              listen port on 127.0.0.1 (argv[2] wins; default 0 = any free port)
//   AUDIENCE          `aud` of every access token (default "vigil-api")
//   RESOURCE          the RFC 8707 resource indicator that maps to AUDIENCE. oidc-provider only accepts
//                     absolute URIs as indicators, so the default is AUDIENCE when that is an absolute
//                     URI, else "urn:vigil:api". It is also the default resource, so clients need not
//                     send `resource=`.
//   CLIENT_SECRET     secret of the confidential client "vigil-ci" (default "ci-secret")
//   REDIRECT_URI      redirect URI(s) of the public client "vigil-console", space separated
//                     (default "https://127.0.0.1:8443/api/v1/auth/oidc/callback")
//   TENANT            tenant of users logging in without "@tenant" (default "acme")
//   CI_ROLES          comma list, `roles` claim of vigil-ci tokens (default "analyst")
//   CI_TENANT         `tenant` claim of vigil-ci tokens (default TENANT)
//   ACCESS_TOKEN_ALG  JWS alg of access tokens: RS256 | ES256 | EdDSA (default RS256)
//   ID_TOKEN_ALG      JWS alg of ID tokens (default RS256)
//   ACCESS_TOKEN_TTL  seconds (default 600)
//   KEY_ALGS          algs to hold one key each for, per generation (default "RS256,ES256";
//                     "EdDSA" adds an Ed25519 key)
//
// Users (devInteractions login form: any login name, any password):
//   "alice" -> groups ["soc-analysts"]; "lead" -> ["soc-leads"]; "admin" -> ["soc-admins"];
//   anyone else -> []. "name+g1+g2" -> groups ["g1","g2"] (explicit groups).
//   "name@globex" -> tenant "globex" (else TENANT). sub = the login name as typed.
//   Claims: sub, email, email_verified, name, preferred_username, groups, tenant. The same claims
//   (minus sub, which is always there) go into the JWT access token of the code flow.
//
// Signing-key rotation without restart:
//   POST /__rotate                 new RSA+EC (per KEY_ALGS) keys; new tokens use them; the old keys
//                                  stay published in /jwks (tokens signed before still verify).
//   POST /__rotate?retire=1        same, but the JWKS then holds only the new keys (old tokens now
//                                  carry a kid that is no longer published).
//   POST /__rotate?at_alg=ES256    also switch the access-token alg (RS256 | ES256 | EdDSA).
//   kill -USR2 <pid>               same as POST /__rotate.
//   GET  /__keys                   {"generation":N,"signing":{alg:kid},"published":[kid...],"at_alg":..}
// Every rotation builds a new Provider with the new JWKS behind the same http server (the JWKS is
// fixed at construction in oidc-provider). Sessions, interactions, grants and codes survive because
// they live in one process-wide in-memory adapter (below), and the cookie keys are constant for the
// process. Nothing is persisted: a restart forgets everything (and makes new keys).
import * as crypto from 'node:crypto';
import * as http from 'node:http';

import Provider, { errors } from 'oidc-provider';

const env = process.env;
const PORT = Number(process.argv[2] ?? env.PORT ?? 0);
const AUDIENCE = env.AUDIENCE || 'vigil-api';
const RESOURCE = env.RESOURCE || (URL.canParse(AUDIENCE) && /^[a-z][a-z0-9+.-]*:/i.test(AUDIENCE) ? AUDIENCE : 'urn:vigil:api');
const CLIENT_SECRET = env.CLIENT_SECRET || 'ci-secret';
const REDIRECT_URIS = (env.REDIRECT_URI || 'https://127.0.0.1:8443/api/v1/auth/oidc/callback').split(/\s+/).filter(Boolean);
const TENANT = env.TENANT || 'acme';
const CI_ROLES = (env.CI_ROLES || 'analyst').split(',').map((s) => s.trim()).filter(Boolean);
const CI_TENANT = env.CI_TENANT || TENANT;
const ID_TOKEN_ALG = env.ID_TOKEN_ALG || 'RS256';
const ACCESS_TOKEN_TTL = Number(env.ACCESS_TOKEN_TTL || 600);
const KEY_ALGS = (env.KEY_ALGS || 'RS256,ES256').split(',').map((s) => s.trim()).filter(Boolean);
const RESOURCE_SCOPE = 'vigil.read vigil.write';
const GROUPS = { alice: ['soc-analysts'], lead: ['soc-leads'], admin: ['soc-admins'] };
let accessTokenAlg = env.ACCESS_TOKEN_ALG || 'RS256';

// --- keys -------------------------------------------------------------------------------------
const COOKIE_KEYS = [crypto.randomBytes(32).toString('base64url')];
let generation = 0;
let signingKeys = []; // private JWKs of the current generation (used to sign)
let publishedKeys = []; // private JWKs handed to the Provider: current generation first

function newKey(alg, gen) {
  const tag = crypto.randomBytes(4).toString('hex');
  let pair;
  let kid;
  switch (alg) {
    case 'RS256': pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }); kid = `rs256-g${gen}-${tag}`; break;
    case 'ES256': pair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }); kid = `es256-g${gen}-${tag}`; break;
    case 'EdDSA': pair = crypto.generateKeyPairSync('ed25519'); kid = `eddsa-g${gen}-${tag}`; break;
    default: throw new Error(`KEY_ALGS: unsupported ${alg}`);
  }
  return { ...pair.privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

function rotateKeys({ retire = false } = {}) {
  generation += 1;
  signingKeys = KEY_ALGS.map((alg) => newKey(alg, generation));
  // oidc-provider signs with the first matching key of the keystore, so the new generation goes first.
  publishedKeys = retire ? [...signingKeys] : [...signingKeys, ...publishedKeys];
}

// --- storage shared by every Provider built here --------------------------------------------
// oidc-provider's default MemoryAdapter gives each Provider instance its own store, so a rebuilt
// Provider (key rotation) would forget interactions, sessions, grants and codes. This adapter keeps
// them in one process-wide Map instead (same interface: upsert/find/findByUid/findByUserCode/
// consume/destroy/revokeByGrantId).
const store = new Map(); // key -> { payload, expiresAt (ms) }
const now = () => Date.now();
function get(key) {
  const e = store.get(key);
  if (e && e.expiresAt !== undefined && e.expiresAt <= now()) {
    store.delete(key);
    return undefined;
  }
  return e?.payload;
}
function set(key, payload, expiresIn) {
  store.set(key, { payload, expiresAt: typeof expiresIn === 'number' ? now() + expiresIn * 1000 : undefined });
}
class SharedMemoryAdapter {
  constructor(model) { this.model = model; }

  key(id) { return `${this.model}:${id}`; }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    set(key, payload, expiresIn);
    if (this.model === 'Session' && payload.uid) set(`sessionUid:${payload.uid}`, id, expiresIn);
    if (payload.userCode) set(`userCode:${payload.userCode}`, id, expiresIn);
    if (payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      const members = get(grantKey) ?? new Set();
      members.add(key);
      set(grantKey, members);
    }
  }

  async find(id) { return get(this.key(id)); }

  async findByUid(uid) { const id = get(`sessionUid:${uid}`); return id && this.find(id); }

  async findByUserCode(code) { const id = get(`userCode:${code}`); return id && this.find(id); }

  async consume(id) { const p = get(this.key(id)); if (p) p.consumed = Math.floor(now() / 1000); }

  async destroy(id) { store.delete(this.key(id)); }

  async revokeByGrantId(grantId) {
    const grantKey = `grant:${grantId}`;
    for (const key of get(grantKey) ?? []) store.delete(key);
    store.delete(grantKey);
  }
}

// --- accounts ---------------------------------------------------------------------------------
function accountClaims(login) {
  const [local, tenant = TENANT] = login.split('@');
  const [user, ...explicit] = local.split('+');
  const groups = explicit.length ? explicit : (GROUPS[user] ?? []);
  return {
    sub: login,
    email: login.includes('@') ? login : `${user}@example.test`,
    email_verified: true,
    name: user,
    preferred_username: user,
    groups,
    tenant,
  };
}

async function findAccount(_ctx, sub) {
  return { accountId: sub, claims: async () => accountClaims(sub) };
}

// --- configuration (a fresh object each time: Provider consumes parts of it) -------------------
function configuration() {
  return {
    adapter: SharedMemoryAdapter,
    jwks: { keys: publishedKeys.map((k) => ({ ...k })) },
    cookies: { keys: COOKIE_KEYS },
    clients: [
      {
        client_id: 'vigil-ci',
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        client_id: 'vigil-console',
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: REDIRECT_URIS,
        id_token_signed_response_alg: ID_TOKEN_ALG,
      },
    ],
    findAccount,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
      tenant: ['tenant'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups', 'tenant'],
    responseTypes: ['code'],
    pkce: { required: () => true }, // every code flow here is code + PKCE (S256 only, the default)
    ttl: { AccessToken: ACCESS_TOKEN_TTL, ClientCredentials: ACCESS_TOKEN_TTL },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // No `resource=` in the request: use ours, so both flows yield JWT access tokens for AUDIENCE.
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? RESOURCE,
        // The code flow's token request also resolves to the resource granted at /auth.
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator) => {
          if (indicator !== RESOURCE) throw new errors.InvalidTarget(`unknown resource indicator ${indicator}`);
          return {
            scope: RESOURCE_SCOPE,
            audience: AUDIENCE,
            accessTokenFormat: 'jwt',
            accessTokenTTL: ACCESS_TOKEN_TTL,
            jwt: { sign: { alg: accessTokenAlg } },
          };
        },
      },
    },
    // Extra claims of the JWT access tokens (they cannot override iss/sub/aud/exp/iat/jti/client_id/scope).
    extraTokenClaims: async (_ctx, token) => {
      if (token.kind === 'ClientCredentials') {
        return { roles: CI_ROLES, tenant: CI_TENANT };
      }
      if (token.accountId) {
        const { sub, ...claims } = accountClaims(token.accountId);
        return claims;
      }
      return undefined;
    },
  };
}

// --- server -----------------------------------------------------------------------------------
let issuer;
let current; // { provider, callback }

function build() {
  const provider = new Provider(issuer, configuration());
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  current = { provider, callback: provider.callback() };
}

function keyState() {
  return {
    generation,
    at_alg: accessTokenAlg,
    id_token_alg: ID_TOKEN_ALG,
    signing: Object.fromEntries(signingKeys.map((k) => [k.alg, k.kid])),
    published: publishedKeys.map((k) => k.kid),
  };
}

function rotate({ retire = false, atAlg } = {}) {
  if (atAlg) {
    if (!['RS256', 'ES256', 'EdDSA'].includes(atAlg) || !KEY_ALGS.includes(atAlg)) {
      throw new Error(`at_alg ${atAlg} needs a key: KEY_ALGS=${KEY_ALGS.join(',')}`);
    }
    accessTokenAlg = atAlg;
  }
  rotateKeys({ retire });
  build();
  console.error(`rotated: ${JSON.stringify(keyState())}`);
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname === '/__rotate') {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'POST only' });
    try {
      rotate({
        retire: ['1', 'true', 'yes'].includes(url.searchParams.get('retire')),
        atAlg: url.searchParams.get('at_alg') || undefined,
      });
    } catch (e) {
      return sendJson(res, 400, { error: e.message });
    }
    return sendJson(res, 200, keyState());
  }
  if (url.pathname === '/__keys') return sendJson(res, 200, keyState());
  return current.callback(req, res);
});

process.on('SIGUSR2', () => rotate());
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));

server.listen(PORT, '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`;
  rotateKeys();
  build();
  process.stdout.write(`READY ${issuer}\n`);
});
