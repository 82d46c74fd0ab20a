import { randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import { CALLER_NAME_PATTERN } from '../contracts/caller.js';
import { type CallerNames, formatCallerNames } from '../contracts/caller-names.js';
import { ORBIT_ENV } from '../contracts/service-env.js';
import { sendJson } from './json-response.js';
import { REPO_ROOT } from './options.js';

/** One OAuth2 client of the local issuer (`local/callers.json`). */
export interface LocalCaller {
  /** What policies, rate limits, logs and metrics call it (a configured caller's name in AWS). */
  readonly name: string;
  /** What its tokens carry in `client_id` and what it authenticates with (Cognito: the generated app client id). */
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tenant?: string;
  readonly scopes: readonly string[];
}

export interface CallersFile {
  readonly audience: string;
  /** The claim carrying the tenant, as Orbit's `AUTH_TENANT_CLAIM` names it. */
  readonly tenantClaim: string;
  readonly callers: readonly LocalCaller[];
}

export const CALLERS_FILE = resolve(REPO_ROOT, 'local/callers.json');
const TOKEN_PATH = '/oauth2/token';
const JWKS_PATH = '/.well-known/jwks.json';

/** Reads and checks the callers file; throws one line naming the bad entry. */
export function readCallersFile(path: string = CALLERS_FILE): CallersFile {
  const file = JSON.parse(readFileSync(path, 'utf8')) as CallersFile;
  if (
    typeof file.audience !== 'string' ||
    typeof file.tenantClaim !== 'string' ||
    !Array.isArray(file.callers)
  ) {
    throw new Error(`${path} must have "audience", "tenantClaim" and "callers"`);
  }
  const names = new Set<string>();
  const clientIds = new Set<string>();
  file.callers.forEach((c, i) => {
    if (
      typeof c.name !== 'string' ||
      typeof c.clientId !== 'string' ||
      typeof c.clientSecret !== 'string' ||
      !Array.isArray(c.scopes)
    ) {
      throw new Error(`${path}: callers[${i}] needs name, clientId, clientSecret and scopes`);
    }
    for (const [key, value, seen] of [
      ['name', c.name, names],
      ['clientId', c.clientId, clientIds],
    ] as const) {
      if (!CALLER_NAME_PATTERN.test(value)) {
        throw new Error(`${path}: callers[${i}].${key} "${value}" must match ${CALLER_NAME_PATTERN.source}`);
      }
      if (seen.has(value)) throw new Error(`${path}: callers[${i}].${key} "${value}" is listed twice`);
      seen.add(value);
    }
  });
  return file;
}

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

interface SigningKey {
  readonly kid: string;
  readonly privateKey: PrivateKey;
  readonly jwk: JWK;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `local-${randomUUID().slice(0, 8)}`;
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface LocalIssuer {
  /** `iss` of every token, and the base of the endpoints: `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly jwksUrl: string;
  readonly tokenUrl: string;
  readonly audience: string;
  readonly tenantClaim: string;
  readonly callers: readonly LocalCaller[];
  /** Client id → caller name, as Orbit's `CALLER_NAMES` gives it. */
  readonly callerNames: CallerNames;
  /** The RSA public key of the current signing key (tests forge HS256 tokens with it). */
  readonly publicJwk: JWK;
  /** JWKS requests served so far (tests count refetches). */
  readonly jwksRequests: number;
  /** A signed access token for the caller named `name`, as the token endpoint issues it; `claims` override. */
  token(name: string, claims?: JWTPayload, options?: { kid?: string; ttlS?: number }): Promise<string>;
  /** Starts signing with a new key; the old one stays published until `retire`. */
  rotate(): Promise<string>;
  retire(kid: string): void;
  /** The JWKS endpoint answers 503 while down (the issuer keeps signing). */
  setJwksDown(down: boolean): void;
  /** Environment for Orbit: `AUTH_*` pointing at this issuer, and `CALLER_NAMES` of its clients. */
  orbitEnv(): Record<string, string>;
  stop(): Promise<void>;
}

/** Token and key answers must not be cached (RFC 6749 §5.1). */
function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, body, { 'cache-control': 'no-store', ...headers });
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16_384) throw new Error('body too large');
  }
  return body;
}

/** client_secret_basic (RFC 6749 §2.3.1), else client_id/client_secret in the form. */
function clientCredentials(
  req: IncomingMessage,
  form: URLSearchParams,
): { id: string; secret: string } | undefined {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (basic) {
    const [id, secret] = Buffer.from(basic, 'base64').toString('utf8').split(':');
    return id && secret ? { id: decodeURIComponent(id), secret: decodeURIComponent(secret) } : undefined;
  }
  const id = form.get('client_id');
  const secret = form.get('client_secret');
  return id && secret ? { id, secret } : undefined;
}

/**
 * The local platform's OAuth2 authorization server, on loopback: an RS256 key pair generated at
 * start, its JWKS, and a client-credentials token endpoint for the callers of `local/callers.json`.
 * Tokens look like Cognito's M2M access tokens plus `aud` and a tenant claim: `iss`, `sub` and
 * `client_id` (the client), `scope`, `token_use: access`, `iat`, `nbf`, `exp`, `jti`.
 */
export async function startLocalIssuer(
  options: { port?: number; file?: CallersFile; ttlS?: number } = {},
): Promise<LocalIssuer> {
  const file = options.file ?? readCallersFile();
  const ttlS = options.ttlS ?? 3600;
  let keys: SigningKey[] = [await newKey()];
  let jwksDown = false;
  let jwksRequests = 0;
  let url = '';

  const sign = async (caller: LocalCaller, claims: JWTPayload = {}, kid?: string, ttl = ttlS) => {
    const key = keys.find((k) => k.kid === (kid ?? keys.at(-1)?.kid));
    if (!key) throw new Error(`no signing key ${kid}`);
    const now = Math.floor(Date.now() / 1000);
    // Defaults first, then the overrides: tests forge expired, future or foreign tokens this way.
    const payload: JWTPayload = {
      iss: url,
      sub: caller.clientId,
      aud: file.audience,
      iat: now,
      nbf: now,
      exp: now + ttl,
      jti: randomUUID(),
      client_id: caller.clientId,
      scope: caller.scopes.join(' '),
      token_use: 'access',
      ...(caller.tenant === undefined ? {} : { [file.tenantClaim]: caller.tenant }),
      ...claims,
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
      .sign(key.privateKey);
  };

  const callerOf = (name: string): LocalCaller => {
    const caller = file.callers.find((c) => c.name === name);
    if (!caller) throw new Error(`no local caller named ${name} in the callers file`);
    return caller;
  };
  const callerNames: CallerNames = new Map(file.callers.map((c) => [c.clientId, c.name]));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === JWKS_PATH) {
      jwksRequests++;
      if (jwksDown) return send(res, 503, { error: 'temporarily_unavailable' });
      return send(res, 200, { keys: keys.map((k) => k.jwk) });
    }
    if (req.method === 'GET' && path === '/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer: url,
        jwks_uri: `${url}${JWKS_PATH}`,
        token_endpoint: `${url}${TOKEN_PATH}`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      });
    }
    if (req.method === 'POST' && path === TOKEN_PATH) {
      const form = new URLSearchParams(await readBody(req));
      if (form.get('grant_type') !== 'client_credentials') {
        return send(res, 400, { error: 'unsupported_grant_type' });
      }
      const presented = clientCredentials(req, form);
      const caller = file.callers.find((c) => c.clientId === presented?.id);
      if (!presented || !caller || !sameSecret(presented.secret, caller.clientSecret)) {
        return send(
          res,
          401,
          { error: 'invalid_client' },
          { 'www-authenticate': 'Basic realm="local-issuer"' },
        );
      }
      const asked = form.get('scope')?.split(' ').filter(Boolean);
      if (asked?.some((s) => !caller.scopes.includes(s))) return send(res, 400, { error: 'invalid_scope' });
      const token = await sign(caller, asked ? { scope: asked.join(' ') } : {});
      return send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: ttlS });
    }
    return send(res, 404, { error: 'not_found' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 400, { error: 'invalid_request' }));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => ok());
  });
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  return {
    url,
    jwksUrl: `${url}${JWKS_PATH}`,
    tokenUrl: `${url}${TOKEN_PATH}`,
    audience: file.audience,
    tenantClaim: file.tenantClaim,
    callers: file.callers,
    callerNames,
    get publicJwk() {
      return (keys.at(-1) as SigningKey).jwk;
    },
    get jwksRequests() {
      return jwksRequests;
    },
    token: (name, claims, opts) => sign(callerOf(name), claims, opts?.kid, opts?.ttlS),
    async rotate() {
      const key = await newKey();
      keys = [...keys, key];
      return key.kid;
    },
    retire(kid) {
      keys = keys.filter((k) => k.kid !== kid);
    },
    setJwksDown(down) {
      jwksDown = down;
    },
    orbitEnv: () => ({
      [ORBIT_ENV.authIssuer]: url,
      [ORBIT_ENV.authJwksUrl]: `${url}${JWKS_PATH}`,
      [ORBIT_ENV.authAudience]: file.audience,
      [ORBIT_ENV.authTenantClaim]: file.tenantClaim,
      [ORBIT_ENV.authRequiredClaims]: 'token_use',
      [ORBIT_ENV.callerNames]: formatCallerNames(callerNames),
    }),
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
