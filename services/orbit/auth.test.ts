import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { base64url, createLocalJWKSet, decodeJwt, type JWTVerifyGetKey, SignJWT, UnsecuredJWT } from 'jose';
import { METRICS } from '../../contracts/metrics.js';
import { type LocalIssuer, startLocalIssuer } from '../../local/issuer.js';
import { authSettingsFor } from '../../test/support/callers.js';
import { memoryLogger, serve } from '../../test/support/services.js';
import { EmfMetrics } from '../shared/metrics.js';
import { buildOrbitApp } from './app.js';
import {
  bearerChallenge,
  JWKS_RETRY_AFTER_FAILURE_MS,
  jwksFetchBackingOff,
  MAX_TOKEN_LENGTH,
  TokenVerifier,
} from './auth.js';
import { loadAuthSettings } from './config.js';
import type { GovernanceOutcome } from './governance.js';
import { CallerRateLimiter, parseRateLimits, rateLimitHeaders } from './rate-limit.js';

let issuer: LocalIssuer;
const { logger } = memoryLogger('orbit');
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  issuer = await startLocalIssuer();
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await issuer.stop();
});

const verifier = (overrides = {}, now?: () => number) =>
  new TokenVerifier(authSettingsFor(issuer, overrides), now ? { now } : {});
const bearer = (token: string) => `Bearer ${token}`;
const clientIdOf = (name: string) => issuer.callers.find((c) => c.name === name)?.clientId as string;

describe('TokenVerifier against the local issuer (JWKS over loopback)', () => {
  it('accepts a token from the token endpoint and names the caller by its configured name, with its tenant', async () => {
    const credentials = `${clientIdOf('demo-app')}:demo-app-local-secret`;
    const res = await fetch(issuer.tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
      },
      body: 'grant_type=client_credentials&scope=orbit/reason',
    });
    expect(res.status).toBe(200);
    const { access_token: token, token_type: type } = (await res.json()) as Record<string, string>;
    expect(type).toBe('Bearer');
    // The token carries the generated-looking client id; Orbit hands on the name policies use.
    expect(decodeJwt(token as string)).toMatchObject({ client_id: clientIdOf('demo-app') });
    expect(await verifier().verify(bearer(token as string))).toEqual({
      ok: true,
      caller: { clientId: 'demo-app', tenant: 'acme' },
    });
  });

  it('refuses a signed token whose client id no caller is configured with, once a map is configured (zero trust)', async () => {
    const stranger = bearer(await issuer.token('demo-app', { client_id: 'stranger' }));
    expect(await verifier().verify(stranger)).toEqual({
      ok: false,
      error: 'invalid_token',
      reason: 'unknown-client',
      detail: 'client stranger is not a configured caller of orbit',
    });
    // A caller's name is not its client id: presenting the name in the claim admits nobody.
    expect(
      await verifier().verify(bearer(await issuer.token('demo-app', { client_id: 'demo-app' }))),
    ).toMatchObject({ ok: false, reason: 'unknown-client' });
  });

  it('names the caller by its client id where no map is configured (an external issuer)', async () => {
    const unmapped = verifier({ callerNames: undefined });
    expect(await unmapped.verify(bearer(await issuer.token('batch-reports')))).toEqual({
      ok: true,
      caller: { clientId: clientIdOf('batch-reports'), tenant: 'globex' },
    });
  });

  it('refuses a wrong client secret at the token endpoint', async () => {
    const res = await fetch(issuer.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=demo-app&client_secret=nope',
    });
    expect(res.status).toBe(401);
  });

  it.each([
    ['no header', undefined, 'invalid_request', 'missing'],
    ['a Basic header', 'Basic ZGVtbzp4', 'invalid_request', 'malformed-header'],
    ['a non-JWT bearer', 'Bearer not-a-jwt', 'invalid_request', 'malformed-header'],
    ['an oversized token', `Bearer ${'a'.repeat(MAX_TOKEN_LENGTH)}.b.c`, 'invalid_token', 'oversized'],
    ['garbage segments', 'Bearer aaaa.bbbb.cccc', 'invalid_token', 'malformed'],
  ])('refuses %s', async (_name, header, error, reason) => {
    expect(await verifier().verify(header)).toMatchObject({ ok: false, error, reason });
  });

  it('refuses expired, not-yet-valid, wrong-issuer, wrong-audience and claim-less tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const check = async (claims: Record<string, unknown>) =>
      verifier().verify(bearer(await issuer.token('demo-app', claims)));
    expect(await check({ exp: now - 120 })).toMatchObject({ ok: false, reason: 'expired' });
    expect(await check({ nbf: now + 600 })).toMatchObject({ ok: false, reason: 'not-yet-valid' });
    expect(await check({ iss: 'https://evil.example' })).toMatchObject({ ok: false, reason: 'claim-iss' });
    expect(await check({ aud: 'someone-else' })).toMatchObject({ ok: false, reason: 'claim-aud' });
    expect(await check({ token_use: undefined })).toMatchObject({ ok: false, reason: 'claim-token_use' });
    expect(await check({ client_id: 'has space' })).toMatchObject({ ok: false, reason: 'client-id' });
    // Inside the bounded clock skew (60 s) an expired token still passes.
    expect(await check({ exp: now - 30 })).toMatchObject({ ok: true });
  });

  it('refuses alg none and HS256 signed with the public key', async () => {
    const claims = { client_id: 'demo-app', token_use: 'access', aud: issuer.audience };
    const none = new UnsecuredJWT(claims).setIssuer(issuer.url).setExpirationTime('5m').encode();
    expect(await verifier().verify(bearer(none))).toMatchObject({ ok: false, error: 'invalid_token' });
    const publicKeyAsSecret = new TextEncoder().encode(JSON.stringify(issuer.publicJwk));
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: issuer.publicJwk.kid as string })
      .setIssuer(issuer.url)
      .setExpirationTime('5m')
      .sign(publicKeyAsSecret);
    expect(await verifier().verify(bearer(hs256))).toMatchObject({ ok: false, reason: 'algorithm' });
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await issuer.token('demo-app')).split('.');
    const forged = base64url.encode(JSON.stringify({ client_id: 'batch-reports', exp: 9_999_999_999 }));
    expect(await verifier().verify(bearer(`${header}.${forged}.${signature}`))).toMatchObject({
      ok: false,
      reason: 'signature',
    });
  });

  it('follows a key rotation, refetching the JWKS at most once per cooldown for unknown kids', async () => {
    const tokens = verifier({ jwksCooldownMs: 1_500 });
    expect(await tokens.verify(bearer(await issuer.token('demo-app')))).toMatchObject({ ok: true });
    const kid = await issuer.rotate();
    const rotated = await issuer.token('demo-app', {}, { kid });
    const [, payload, signature] = rotated.split('.');
    const unknownKids = Array.from({ length: 20 }, (_, i) => {
      const header = base64url.encode(JSON.stringify({ alg: 'RS256', kid: `unknown-${i}` }));
      return `${header}.${payload}.${signature}`;
    });
    // Past the cooldown of the first fetch, the first token of the new key (an unknown kid) refetches once.
    await new Promise((r) => setTimeout(r, 1_600));
    const before = issuer.jwksRequests;
    expect(await tokens.verify(bearer(rotated))).toMatchObject({ ok: true });
    expect(issuer.jwksRequests - before).toBe(1);
    // A flood of unknown kids within the cooldown costs no further fetch.
    for (const token of unknownKids) {
      expect(await tokens.verify(bearer(token))).toMatchObject({ ok: false, reason: 'unknown-key' });
    }
    expect(issuer.jwksRequests - before).toBe(1);
  });

  it('fails closed once cached keys expire while the JWKS endpoint is down', async () => {
    const tokens = verifier({ jwksCacheMaxAgeMs: 1_000, jwksCooldownMs: 0 });
    const token = await issuer.token('batch-reports', { jti: 'a' });
    expect(await tokens.verify(bearer(token))).toMatchObject({ ok: true });
    issuer.setJwksDown(true);
    try {
      // Within the cache age the keys still serve.
      expect(await tokens.verify(bearer(await issuer.token('batch-reports', { jti: 'b' })))).toMatchObject({
        ok: true,
      });
      await new Promise((r) => setTimeout(r, 1_100));
      expect(await tokens.verify(bearer(await issuer.token('batch-reports', { jti: 'c' })))).toMatchObject({
        ok: false,
        error: 'invalid_token',
        reason: 'keys-unavailable',
      });
    } finally {
      issuer.setJwksDown(false);
    }
  });

  it('after a failed JWKS fetch, fails closed at once for a while instead of fetching for every token', async () => {
    let now = Date.now();
    const tokens = verifier({}, () => now);
    const token = (jti: string) => issuer.token('batch-reports', { jti });
    const before = issuer.jwksRequests;
    issuer.setJwksDown(true);
    try {
      for (const jti of ['a', 'b', 'c', 'd', 'e']) {
        expect(await tokens.verify(bearer(await token(jti)))).toMatchObject({
          ok: false,
          reason: 'keys-unavailable',
        });
      }
      expect(issuer.jwksRequests - before).toBe(1);
      issuer.setJwksDown(false);
      now += JWKS_RETRY_AFTER_FAILURE_MS;
      expect(await tokens.verify(bearer(await token('f')))).toMatchObject({ ok: true });
      expect(issuer.jwksRequests - before).toBe(2);
    } finally {
      issuer.setJwksDown(false);
    }
  });

  it('backs the JWKS fetch off after a network error as after a refusal', async () => {
    let now = 0;
    let calls = 0;
    const refused = new TypeError('fetch failed');
    const fetchJwks = jwksFetchBackingOff(
      1_000,
      () => now,
      async () => {
        calls++;
        throw refused;
      },
    );
    const get = () => fetchJwks('http://127.0.0.1:1/jwks', {} as Parameters<typeof fetchJwks>[1]);
    await expect(get()).rejects.toBe(refused);
    now = 999;
    await expect(get()).rejects.toThrow('the last JWKS fetch failed; the next one is in 1 ms');
    expect(calls).toBe(1);
    now = 1_000;
    await expect(get()).rejects.toBe(refused);
    expect(calls).toBe(2);
  });

  it('backs the JWKS fetch off after an answer that is not JSON, as jose then fails', async () => {
    let calls = 0;
    const fetchJwks = jwksFetchBackingOff(
      1_000,
      () => 0,
      async () => {
        calls++;
        return new Response('<html>maintenance</html>', { status: 200 });
      },
    );
    const get = () => fetchJwks('http://127.0.0.1:1/jwks', {} as Parameters<typeof fetchJwks>[1]);
    // The answer is handed on, body intact, for jose to refuse; the next fetch waits.
    expect(await (await get()).text()).toBe('<html>maintenance</html>');
    await expect(get()).rejects.toThrow('the last JWKS fetch failed');
    expect(calls).toBe(1);
  });

  it('refuses a token with a critical header it does not know as unsupported, not as a passing fault', async () => {
    const [, payload, signature] = (await issuer.token('demo-app')).split('.');
    const header = base64url.encode(JSON.stringify({ alg: 'RS256', crit: ['x-unknown'], 'x-unknown': 1 }));
    expect(await verifier().verify(bearer(`${header}.${payload}.${signature}`))).toEqual({
      ok: false,
      error: 'invalid_token',
      reason: 'unsupported',
      detail: 'the token uses a JOSE feature this verifier does not support',
    });
  });

  it('remembers a verified token by its exact text until its exp', async () => {
    let now = Date.now();
    const tokens = verifier({}, () => now);
    const token = await issuer.token('demo-app', {}, { ttlS: 120 });
    expect(await tokens.verify(bearer(token))).toMatchObject({ ok: true });
    issuer.setJwksDown(true);
    try {
      expect(await tokens.verify(bearer(token))).toMatchObject({ ok: true });
      now += 200_000;
      expect(await tokens.verify(bearer(token))).toMatchObject({ ok: false, reason: 'expired' });
    } finally {
      issuer.setJwksDown(false);
    }
  });

  it('never throws and never accepts arbitrary Authorization values', async () => {
    const tokens = verifier();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc
            .tuple(fc.base64String(), fc.base64String(), fc.base64String())
            .map((p) => `Bearer ${p.join('.')}`),
        ),
        async (header) => {
          const outcome = await tokens.verify(header);
          expect(outcome.ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes an RFC 6750 challenge without breaking the quoted string', () => {
    expect(bearerChallenge({ error: 'invalid_token', detail: 'the "x" claim' })).toBe(
      `Bearer realm="orbit", error="invalid_token", error_description="the 'x' claim"`,
    );
  });
});

describe("CALLER_NAMES in Orbit's environment", () => {
  it('gives the verifier the map the local issuer writes, so tokens name callers as its file does', async () => {
    const settings = loadAuthSettings(issuer.orbitEnv());
    expect(settings.callerNames).toEqual(issuer.callerNames);
    expect([...(settings.callerNames?.values() ?? [])]).toEqual([
      'demo-app',
      'batch-reports',
      'suspended-app',
    ]);
    const tokens = new TokenVerifier(settings);
    expect(await tokens.verify(bearer(await issuer.token('suspended-app')))).toEqual({
      ok: true,
      caller: { clientId: 'suspended-app', tenant: 'acme' },
    });
  });

  it('stops Orbit at start with a line naming CALLER_NAMES when the map is malformed', () => {
    const env = { ...issuer.orbitEnv(), CALLER_NAMES: '{"4k2q8v1n7d3s9p0x6m5c1h8r2t":"has space"}' };
    expect(() => loadAuthSettings(env)).toThrow(
      /^CALLER_NAMES\["4k2q8v1n7d3s9p0x6m5c1h8r2t"\] must be a caller name .*, got "has space"$/,
    );
  });

  it('leaves the map out when CALLER_NAMES is unset or blank', () => {
    const { CALLER_NAMES: _, ...unset } = issuer.orbitEnv();
    expect(loadAuthSettings(unset).callerNames).toBeUndefined();
    expect(loadAuthSettings({ ...unset, CALLER_NAMES: '  ' }).callerNames).toBeUndefined();
  });
});

describe('verified-token cache (LRU by exact token text)', () => {
  /** The issuer's current key, and how often jose asked for a key: once per full verification. */
  const countedKeys = () => {
    const local = createLocalJWKSet({ keys: [issuer.publicJwk] });
    const counter = { verifications: 0 };
    const keys: JWTVerifyGetKey = (header, token) => {
      counter.verifications++;
      return local(header, token);
    };
    return { keys, counter };
  };
  const cached = (
    now: () => number,
    keys: JWTVerifyGetKey,
    cache: { maxEntries?: number; maxAgeMs?: number } = {},
  ) => new TokenVerifier(authSettingsFor(issuer), { keys, now, cache });

  it('answers a repeated token from the cache, skipping signature verification', async () => {
    const { keys, counter } = countedKeys();
    const now = Date.now();
    const tokens = cached(() => now, keys);
    const token = bearer(await issuer.token('demo-app'));
    for (let i = 0; i < 5; i++) {
      expect(await tokens.verify(token)).toEqual({
        ok: true,
        caller: { clientId: 'demo-app', tenant: 'acme' },
      });
    }
    expect(counter.verifications).toBe(1);
    expect(tokens.cachedTokens).toBe(1);
  });

  it('keeps at most maxEntries tokens, evicting the least recently used', async () => {
    const { keys, counter } = countedKeys();
    const now = Date.now();
    const tokens = cached(() => now, keys, { maxEntries: 2 });
    const [a, b, c] = await Promise.all(
      ['a', 'b', 'c'].map(async (jti) => bearer(await issuer.token('demo-app', { jti }))),
    );
    await tokens.verify(a);
    await tokens.verify(b);
    await tokens.verify(a); // a is now the most recent: c evicts b
    await tokens.verify(c);
    expect(tokens.cachedTokens).toBe(2);
    expect(counter.verifications).toBe(3);
    await tokens.verify(a);
    expect(counter.verifications).toBe(3);
    await tokens.verify(b);
    expect(counter.verifications).toBe(4);
  });

  it('answers cached() only for a header verify has accepted and the cache may still serve', async () => {
    const { keys, counter } = countedKeys();
    let now = Date.now();
    const tokens = cached(() => now, keys);
    const token = bearer(await issuer.token('demo-app', {}, { ttlS: 10 }));
    expect(tokens.cached(token)).toBeUndefined();
    expect(tokens.cached(undefined)).toBeUndefined();
    await tokens.verify(token);
    expect(tokens.cached(token)).toEqual({ clientId: 'demo-app', tenant: 'acme' });
    expect(tokens.cached(`${token} `)).toBeUndefined();
    expect(tokens.cached(token.replace('Bearer', 'bearer'))).toBeUndefined();
    now += 71_000;
    expect(tokens.cached(token)).toBeUndefined();
    expect(tokens.cachedTokens).toBe(0);
    expect(counter.verifications).toBe(1);
  });

  it('evicts a token not served since the last eviction pass before any served one', async () => {
    const { keys, counter } = countedKeys();
    const now = Date.now();
    const tokens = cached(() => now, keys, { maxEntries: 4 });
    const [a, b, c, d, e, f] = await Promise.all(
      ['a', 'b', 'c', 'd', 'e', 'f'].map(async (jti) => bearer(await issuer.token('demo-app', { jti }))),
    );
    for (const token of [a, b, c, d, a, b, d]) await tokens.verify(token);
    await tokens.verify(e); // c is the only one not served again: it goes
    await tokens.verify(f); // a and b were moved unmarked, d (served) moves now: a goes
    expect(tokens.cachedTokens).toBe(4);
    expect(counter.verifications).toBe(6);
    for (const token of [b, d, e, f]) await tokens.verify(token);
    expect(counter.verifications).toBe(6);
    await tokens.verify(c);
    await tokens.verify(a);
    expect(counter.verifications).toBe(8);
  });

  it('verifies the signature again once maxAgeMs has passed, even for a long-lived token', async () => {
    const { keys, counter } = countedKeys();
    let now = Date.now();
    const tokens = cached(() => now, keys, { maxAgeMs: 30_000 });
    const token = bearer(await issuer.token('demo-app', {}, { ttlS: 3_600 }));
    await tokens.verify(token);
    now += 29_999;
    await tokens.verify(token);
    expect(counter.verifications).toBe(1);
    now += 1;
    expect(await tokens.verify(token)).toMatchObject({ ok: true });
    expect(counter.verifications).toBe(2);
  });

  it('never serves an expired token, however recently it was verified', async () => {
    const { keys } = countedKeys();
    let now = Date.now();
    const tokens = cached(() => now, keys);
    // Valid for 10 s more plus the 60 s clock tolerance.
    const token = bearer(await issuer.token('demo-app', {}, { ttlS: 10 }));
    expect(await tokens.verify(token)).toMatchObject({ ok: true });
    now += 69_000;
    expect(await tokens.verify(token)).toMatchObject({ ok: true });
    now += 2_000;
    expect(await tokens.verify(token)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('never serves a token before its nbf (less the tolerance) when the clock steps back', async () => {
    const { keys } = countedKeys();
    let now = Date.now();
    const tokens = cached(() => now, keys);
    // Valid from 30 s ago: nbf 30 s ahead, less the 60 s tolerance.
    const token = bearer(await issuer.token('demo-app', { nbf: Math.floor(now / 1000) + 30 }));
    expect(await tokens.verify(token)).toMatchObject({ ok: true });
    now -= 31_000;
    expect(await tokens.verify(token)).toMatchObject({ ok: false, reason: 'not-yet-valid' });
  });

  it('gives the same answer as a verifier without a cache, whatever the token times and clock jumps', async () => {
    const { keys } = countedKeys();
    const start = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -120, max: 600 }),
        fc.option(fc.integer({ min: -120, max: 200 })),
        fc.array(fc.integer({ min: -90_000, max: 200_000 }), { minLength: 1, maxLength: 8 }),
        async (ttlS, nbfOffsetS, jumps) => {
          const startS = Math.floor(start / 1000);
          const claims = { exp: startS + ttlS, ...(nbfOffsetS === null ? {} : { nbf: startS + nbfOffsetS }) };
          const token = bearer(await issuer.token('demo-app', claims));
          let now = start;
          const withCache = cached(() => now, keys);
          const without = cached(() => now, keys, { maxEntries: 0 });
          for (const jump of jumps) {
            now += jump;
            expect(await withCache.verify(token)).toEqual(await without.verify(token));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never answers a tampered copy of a cached token from the cache', async () => {
    const { keys, counter } = countedKeys();
    const now = Date.now();
    const tokens = cached(() => now, keys);
    const token = await issuer.token('demo-app');
    expect(await tokens.verify(bearer(token))).toMatchObject({ ok: true });
    // Positions whose character carries only signed bits: not a dot, not a segment's last character
    // (whose spare low bits may decode to the same bytes).
    const positions = [...token].flatMap((ch, i) =>
      ch === '.' || token[i + 1] === '.' || i === token.length - 1 ? [] : [i],
    );
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...positions), fc.constantFrom(...ALPHABET), async (at, ch) => {
        fc.pre(token[at] !== ch);
        const tampered = `${token.slice(0, at)}${ch}${token.slice(at + 1)}`;
        const before = counter.verifications;
        expect((await tokens.verify(bearer(tampered))).ok).toBe(false);
        // A refused token reached jose's checks or was refused before them: never the cache.
        expect(counter.verifications - before).toBeLessThanOrEqual(1);
      }),
      { numRuns: 150 },
    );
    expect(tokens.cachedTokens).toBe(1);
  });
});

describe('per-caller token buckets', () => {
  const limits = parseRateLimits(
    '{"default":{"*":{"perSecond":10,"burst":2}},"callers":{"batch-reports":{"reason":{"perSecond":1,"burst":1}}}}',
  );

  it('gives each caller and intent class its own bucket, refilled at its rate', () => {
    let now = 0;
    const limiter = new CallerRateLimiter(limits, () => now);
    expect(limiter.take('demo-app', 'reason').allowed).toBe(true);
    expect(limiter.take('demo-app', 'reason').allowed).toBe(true);
    const third = limiter.take('demo-app', 'reason');
    expect(third).toMatchObject({ allowed: false, retryAfterS: 1, remaining: 0 });
    expect(limiter.take('demo-app', 'summarize').allowed).toBe(true);
    expect(limiter.take('batch-reports', 'reason').allowed).toBe(true);
    expect(limiter.take('batch-reports', 'reason').allowed).toBe(false);
    now += 100;
    expect(limiter.take('demo-app', 'reason').allowed).toBe(true);
    expect(rateLimitHeaders('reason', third)).toEqual({
      'ratelimit-policy': '"reason";q=2;w=1',
      ratelimit: '"reason";r=0;t=1',
    });
  });

  it('never allows more than burst + rate × elapsed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 200 }), (gaps) => {
        let now = 0;
        const limiter = new CallerRateLimiter(limits, () => now);
        let allowed = 0;
        for (const gap of gaps) {
          now += gap;
          if (limiter.take('demo-app', 'reason').allowed) allowed++;
        }
        expect(allowed).toBeLessThanOrEqual(2 + Math.floor((now / 1000) * 10));
      }),
    );
  });

  it.each([
    ['not JSON', '{', /RATE_LIMITS must be JSON/],
    ['no default', '{"default":{}}', /RATE_LIMITS.default must have a "\*" entry/],
    ['a zero rate', '{"default":{"*":{"perSecond":0,"burst":1}}}', /RATE_LIMITS.default.\*.perSecond/],
    [
      'a fractional burst',
      '{"default":{"*":{"perSecond":1,"burst":1}},"callers":{"a":{"reason":{"perSecond":1,"burst":1.5}}}}',
      /RATE_LIMITS.callers.a.reason.burst must be an integer/,
    ],
  ])('refuses a config with %s, naming the field', (_name, text, message) => {
    expect(() => parseRateLimits(text)).toThrow(message);
  });
});

describe('orbit /dispatch answers to who is asking', () => {
  const decided: unknown[] = [];
  let http: Awaited<ReturnType<typeof serve>>;
  const emitted = memoryLogger('orbit');
  const metrics = new EmfMetrics({
    namespace: 'AxonOrbit',
    service: 'orbit',
    environment: 'local',
    logger: emitted.logger,
    flushMs: 60_000,
  });
  /** The EMF documents flushed so far that count `name`. */
  const emf = (name: string) => {
    metrics.flush();
    return emitted.lines().filter((line) => name in line) as Record<string, unknown>[];
  };

  beforeAll(async () => {
    const app = buildOrbitApp({
      logger,
      ready: () => true,
      metrics,
      governance: {
        async decide(intent, correlationId, caller): Promise<GovernanceOutcome> {
          decided.push({ intent, correlationId, caller });
          const suspended = caller.clientId === 'suspended-app';
          return {
            kind: 'decision',
            cached: false,
            allowed: !suspended,
            reason: suspended ? 'denied by statement suspended-callers' : 'allowed by statement x',
            statementId: suspended ? 'suspended-callers' : 'x',
            policyRevision: 1,
            decisionId: 'd-1',
          };
        },
      },
      axon: {
        breakerState: 'closed',
        reason: async () => ({ kind: 'answered', status: 200, body: { status: 'ok' }, attempts: 1 }),
      },
      callers: {
        tokens: verifier(),
        limiter: new CallerRateLimiter(
          parseRateLimits(
            '{"default":{"*":{"perSecond":1000,"burst":1000}},"callers":{"batch-reports":{"reason":{"perSecond":0.5,"burst":2}}}}',
          ),
        ),
      },
    });
    apps.push(app);
    http = await serve(app);
  });

  const dispatch = async (name: string | undefined, intent = 'reason:deep') =>
    http.request({
      method: 'POST',
      url: '/dispatch',
      headers: {
        'content-type': 'application/json',
        ...(name ? { authorization: bearer(await issuer.token(name)) } : {}),
      },
      payload: JSON.stringify({ intent }),
    });

  it('dispatches for a verified caller and tells governance who it is', async () => {
    const res = await dispatch('demo-app');
    expect(res.statusCode).toBe(200);
    expect(res.headers.ratelimit).toBe('"reason";r=999;t=1');
    expect(res.headers['ratelimit-policy']).toBe('"reason";q=1000;w=1');
    expect(decided.at(-1)).toMatchObject({ caller: { clientId: 'demo-app', tenant: 'acme' } });
  });

  it('answers 401 problem+json with a Bearer challenge without a token, and never reaches governance', async () => {
    const before = decided.length;
    const res = await dispatch(undefined);
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="orbit", error="invalid_request"/);
    expect(res.json()).toMatchObject({ type: 'urn:axon-orbit:problem:unauthenticated', reason: 'missing' });
    const expired = await http.request({
      method: 'POST',
      url: '/dispatch',
      headers: {
        'content-type': 'application/json',
        authorization: bearer(await issuer.token('demo-app', { exp: 1 })),
      },
      payload: '{"intent":"reason:deep"}',
    });
    expect(expired.statusCode).toBe(401);
    expect(expired.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(decided.length).toBe(before);
    const byReason = emf(METRICS.orbit.authFailures.name);
    expect(byReason.map((doc) => [doc.Reason, doc.AuthFailures])).toEqual([
      ['missing', 1],
      ['expired', 1],
    ]);
    expect(byReason[0]).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Dimensions: [
              ['Service', 'Environment'],
              ['Service', 'Environment', 'Reason'],
            ],
            Metrics: [{ Name: 'AuthFailures', Unit: 'Count' }],
          },
        ],
      },
      Service: 'orbit',
      Environment: 'local',
    });
  });

  it('answers 401 unknown-client for a signed token of a client no caller is configured with, and never reaches governance', async () => {
    const before = decided.length;
    const res = await http.request({
      method: 'POST',
      url: '/dispatch',
      headers: {
        'content-type': 'application/json',
        authorization: bearer(await issuer.token('demo-app', { client_id: 'stranger' })),
      },
      payload: '{"intent":"reason:deep"}',
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(
      /error="invalid_token", error_description="client stranger is not/,
    );
    expect(res.json()).toMatchObject({ reason: 'unknown-client' });
    expect(decided.length).toBe(before);
    expect(emf(METRICS.orbit.authFailures.name).map((doc) => doc.Reason)).toContain('unknown-client');
  });

  it("answers an oversized token 401 oversized, and headers past Node's 16 KiB limit 431, never a 5xx", async () => {
    const withToken = (token: string) =>
      http.request({
        method: 'POST',
        url: '/dispatch',
        headers: { 'content-type': 'application/json', authorization: bearer(token) },
        payload: '{"intent":"reason:deep"}',
      });
    const oversized = await withToken('a'.repeat(MAX_TOKEN_LENGTH + 1));
    expect(oversized.statusCode).toBe(401);
    expect(oversized.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(oversized.json()).toMatchObject({ reason: 'oversized' });
    expect(emf(METRICS.orbit.authFailures.name).map((doc) => doc.Reason)).toContain('oversized');
    const pastTheParser = await withToken('a'.repeat(17 * 1024));
    expect(pastTheParser.statusCode).toBe(431);
    expect(pastTheParser.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(pastTheParser.json()).toMatchObject({ type: 'urn:axon-orbit:problem:headers-too-large' });
  });

  it('answers 403 naming the deciding statement for a caller the policy denies', async () => {
    const res = await dispatch('suspended-app');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ statementId: 'suspended-callers' });
  });

  it('answers 429 with Retry-After and the RateLimit fields once a caller exceeds its bucket', async () => {
    expect((await dispatch('batch-reports')).statusCode).toBe(200);
    expect((await dispatch('batch-reports')).statusCode).toBe(200);
    const res = await dispatch('batch-reports');
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.headers.ratelimit).toBe('"reason";r=0;t=4');
    expect(res.headers['ratelimit-policy']).toBe('"reason";q=2;w=4');
    expect(res.json()).toMatchObject({
      type: 'urn:axon-orbit:problem:rate-limited',
      caller: 'batch-reports',
      intentClass: 'reason',
      retryAfterSeconds: 2,
    });
    // Another caller is unaffected.
    expect((await dispatch('demo-app')).statusCode).toBe(200);
    expect((await dispatch('batch-reports')).statusCode).toBe(429);
    const throttled = emf(METRICS.orbit.callerThrottled.name);
    expect(throttled).toEqual([
      expect.objectContaining({
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            {
              Namespace: 'AxonOrbit',
              Dimensions: [
                ['Service', 'Environment'],
                ['Service', 'Environment', 'Caller'],
              ],
              Metrics: [{ Name: 'CallerThrottled', Unit: 'Count' }],
            },
          ],
        },
        Service: 'orbit',
        Environment: 'local',
        Caller: 'batch-reports',
        CallerThrottled: 2,
      }),
    ]);
  });
});
