import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type FetchImplementation,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { CALLER_NAME_PATTERN, type CallerIdentity } from '../../contracts/caller.js';
import type { CallerNames } from '../../contracts/caller-names.js';

/** Who may call Orbit: the token issuer and what its access tokens must say. */
export interface AuthSettings {
  /** Expected `iss`, exactly. */
  readonly issuer: string;
  readonly jwksUrl: URL;
  /** Expected `aud`; undefined skips the check (Cognito access tokens carry no `aud`). */
  readonly audience: string | undefined;
  /** The claim naming the OAuth client (`client_id` for Cognito and RFC 9068 tokens). */
  readonly clientIdClaim: string;
  /** The claim naming the caller's tenant; undefined: callers have no tenant. */
  readonly tenantClaim: string | undefined;
  /** Claims every token must carry besides `exp` and the client id claim (e.g. `token_use`). */
  readonly requiredClaims: readonly string[];
  /** Accepted clock difference for `exp`, `nbf` and `iat`, in seconds. */
  readonly clockToleranceS: number;
  /** How long fetched keys serve before the JWKS is fetched again; past it, a failed fetch fails closed. */
  readonly jwksCacheMaxAgeMs: number;
  /** At most one JWKS fetch per this interval, however many unknown `kid`s arrive. */
  readonly jwksCooldownMs: number;
  /**
   * Client id → configured caller name (`CALLER_NAMES`). Set: the caller is named by the map and a
   * client id missing from it is refused (`unknown-client`), since a client the configuration does
   * not know is nobody's caller. Unset: the client id is the caller's name.
   */
  readonly callerNames?: CallerNames;
}

/** How the verified-token cache is sized; the defaults suit production. */
export interface VerifiedTokenCacheOptions {
  /** Most tokens remembered; one not served lately goes first (second chance, close to LRU). */
  readonly maxEntries?: number;
  /**
   * Longest a verification is reused, whatever the token's `exp`: bounds how long a token signed by
   * a key the issuer has since withdrawn keeps passing without its signature being checked again.
   */
  readonly maxAgeMs?: number;
}

/** RFC 6750 error codes, as `WWW-Authenticate` carries them. */
export type BearerError = 'invalid_request' | 'invalid_token';

export type AuthOutcome =
  | { readonly ok: true; readonly caller: CallerIdentity }
  | {
      readonly ok: false;
      readonly error: BearerError;
      /** Short stable reason for the log and tests, e.g. `expired`, `unknown-key`. */
      readonly reason: string;
      /** What the caller is told (never key material or the token). */
      readonly detail: string;
    };

/** Longer than any access token an issuer sends (Cognito's are ~1 KB); bigger is refused unparsed. */
export const MAX_TOKEN_LENGTH = 4096;
const ALGORITHMS = ['RS256'];
const CACHE_MAX_ENTRIES = 10_000;
const CACHE_MAX_AGE_MS = 60_000;
// The signature part may be empty (`alg: none`): such a token is refused as a token, not as a header.
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

function refuse(error: BearerError, reason: string, detail: string): AuthOutcome {
  return { ok: false, error, reason, detail };
}

/** jose's error for a token it refused, as a reason the caller can act on. */
function explain(error: unknown): AuthOutcome {
  if (error instanceof errors.JWTExpired) return refuse('invalid_token', 'expired', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = error.claim;
    if (claim === 'nbf') return refuse('invalid_token', 'not-yet-valid', 'the token is not valid yet (nbf)');
    return refuse('invalid_token', `claim-${claim}`, `the token's ${claim} claim is not accepted`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return refuse('invalid_token', 'algorithm', `the token must be signed with ${ALGORITHMS.join(', ')}`);
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return refuse(
      'invalid_token',
      'unknown-key',
      'the token is signed with a key the issuer does not publish',
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return refuse('invalid_token', 'signature', 'the token signature does not verify');
  }
  if (error instanceof errors.JWKSTimeout) {
    return refuse('invalid_token', 'unverifiable', 'the token cannot be verified now');
  }
  // An unknown `crit` header parameter, or a key or algorithm jose cannot use: not a passing fault,
  // retrying the same token will not help.
  if (error instanceof errors.JOSENotSupported) {
    return refuse(
      'invalid_token',
      'unsupported',
      'the token uses a JOSE feature this verifier does not support',
    );
  }
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
    return refuse('invalid_token', 'malformed', 'the token is not a well-formed JWT');
  }
  // Anything else is the key set being unreachable or invalid: no key, no entry (fail closed).
  return refuse(
    'invalid_token',
    'keys-unavailable',
    'the issuer keys are unavailable; the token cannot be verified',
  );
}

/**
 * Wait after a failed JWKS fetch before the next one (at most `jwksCooldownMs`): while the issuer is
 * down Orbit asks it once a second instead of once per new token, and uses it again within a second
 * of its return.
 */
export const JWKS_RETRY_AFTER_FAILURE_MS = 1_000;

/** What a verification meets within the retry interval after a failed JWKS fetch. */
class JwksFetchBackingOff extends Error {
  constructor(retryInMs: number) {
    super(`the last JWKS fetch failed; the next one is in ${retryInMs} ms`);
  }
}

/** Whether a response's body parses as JSON; this reads the body, so pass a clone to keep it. */
async function isJson(response: Response): Promise<boolean> {
  try {
    await response.json();
    return true;
  } catch {
    return false;
  }
}

/**
 * The JWKS fetch, backing off after a failure. jose fetches a missing or stale key set again on
 * every verification that needs one, so while the issuer is down each token not in the verified
 * cache would cost a fetch: a request storm at the issuer, and a wait of up to the fetch timeout per
 * token. Within `retryMs` of a fetch that failed (no answer, not 200, or a body that is not JSON)
 * this throws at once, and the verification fails closed (`keys-unavailable`) as it would have after
 * the fetch.
 */
export function jwksFetchBackingOff(
  retryMs: number,
  now: () => number,
  fetchJwks: FetchImplementation = fetch,
): FetchImplementation {
  let failedAt = Number.NEGATIVE_INFINITY;
  return async (url, options) => {
    const since = now() - failedAt;
    if (since < retryMs) throw new JwksFetchBackingOff(retryMs - since);
    try {
      const response = await fetchJwks(url, options);
      // jose reads the body itself; a body that is no JSON is a failed fetch all the same.
      if (response.status !== 200 || !(await isJson(response.clone()))) failedAt = now();
      return response;
    } catch (error) {
      failedAt = now();
      throw error;
    }
  };
}

/** A verified token's answer and the instants between which jose would accept the token again. */
interface VerifiedToken {
  readonly caller: CallerIdentity;
  /** `nbf` less the clock tolerance (ms); before it jose says "not yet valid". */
  readonly validFromMs: number;
  /** The earlier of `exp` plus the clock tolerance and the cache's age cap (ms). */
  readonly validUntilMs: number;
  /** Served since it last reached the front of the eviction order (see `evictOne`). */
  used: boolean;
}

/**
 * Verifies `Authorization: Bearer <JWT>` access tokens with jose: RS256 only, issuer, audience and
 * required claims from settings, bounded clock skew. Keys come from the issuer's JWKS, cached for
 * `jwksCacheMaxAgeMs` and refetched at most once per `jwksCooldownMs` (an unknown `kid` — a
 * rotation — triggers the refetch); after a failed fetch the next waits `JWKS_RETRY_AFTER_FAILURE_MS`
 * (see `jwksFetchBackingOff`). The client id is translated to the configured caller name
 * (`callerNames`) before anyone downstream sees it.
 *
 * A verified token is remembered by the exact text of its Authorization header (any altered byte is
 * another key, verified afresh) in a bounded cache evicting the least recently used, so a caller
 * reusing its token — as client-credentials callers do — skips the signature check, and the header
 * check too: only a header that passed it is ever remembered. An entry serves only while jose itself
 * would accept the token's `exp` and `nbf` under the same clock tolerance, and never longer than
 * `maxAgeMs` after it was verified; outside that window the token is verified again, so the cache
 * never changes an answer.
 */
export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly now: () => number;
  private readonly verified = new Map<string, VerifiedToken>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;

  constructor(
    private readonly settings: AuthSettings,
    options: {
      readonly keys?: JWTVerifyGetKey;
      readonly now?: () => number;
      readonly cache?: VerifiedTokenCacheOptions;
    } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.keys =
      options.keys ??
      createRemoteJWKSet(settings.jwksUrl, {
        cacheMaxAge: settings.jwksCacheMaxAgeMs,
        cooldownDuration: settings.jwksCooldownMs,
        timeoutDuration: 2_000,
        [customFetch]: jwksFetchBackingOff(
          Math.min(JWKS_RETRY_AFTER_FAILURE_MS, settings.jwksCooldownMs),
          this.now,
        ),
      });
    this.maxEntries = Math.max(0, options.cache?.maxEntries ?? CACHE_MAX_ENTRIES);
    this.maxAgeMs = Math.max(0, options.cache?.maxAgeMs ?? CACHE_MAX_AGE_MS);
  }

  /** Tokens remembered now (tests and metrics). */
  get cachedTokens(): number {
    return this.verified.size;
  }

  async verify(authorization: string | undefined): Promise<AuthOutcome> {
    if (authorization === undefined || authorization === '') {
      return refuse(
        'invalid_request',
        'missing',
        'an Authorization: Bearer <access token> header is required',
      );
    }
    if (authorization.length > MAX_TOKEN_LENGTH + 7) {
      return refuse('invalid_token', 'oversized', `the token exceeds ${MAX_TOKEN_LENGTH} characters`);
    }
    const now = this.now();
    const remembered = this.recall(authorization, now);
    if (remembered !== undefined) return { ok: true, caller: remembered };
    const token = BEARER.exec(authorization)?.[1];
    if (token === undefined) {
      return refuse('invalid_request', 'malformed-header', 'the Authorization header must be "Bearer <JWT>"');
    }

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.settings.issuer,
        ...(this.settings.audience === undefined ? {} : { audience: this.settings.audience }),
        algorithms: ALGORITHMS,
        clockTolerance: this.settings.clockToleranceS,
        requiredClaims: ['exp', this.settings.clientIdClaim, ...this.settings.requiredClaims],
        currentDate: new Date(now),
      }));
    } catch (error) {
      return explain(error);
    }
    const caller = this.callerOf(payload);
    if (caller.ok) this.remember(authorization, caller.caller, payload, now);
    return caller;
  }

  /**
   * The caller of an Authorization header verified before, if the cache may still answer for it at
   * this instant; undefined means "call `verify`". Synchronous, so a hit costs no promise or tick.
   */
  cached(authorization: string | undefined): CallerIdentity | undefined {
    if (authorization === undefined || this.verified.size === 0) return undefined;
    return this.recall(authorization, this.now());
  }

  /**
   * The cached caller of `authorization` if jose would still accept its token at `now`. A hit only
   * marks the entry used: moving it to the back of the Map on every request costs a delete and a
   * set keyed by a ~1 KB string, while eviction can move the few used entries it meets instead.
   */
  private recall(authorization: string, now: number): CallerIdentity | undefined {
    const entry = this.verified.get(authorization);
    if (entry === undefined) return undefined;
    if (now < entry.validFromMs || now >= entry.validUntilMs) {
      this.verified.delete(authorization);
      return undefined;
    }
    entry.used = true;
    return entry.caller;
  }

  /**
   * Drops the least recently used entry (second chance): entries are in the order they were
   * inserted or last moved; one served since then goes to the back, unmarked, and the first
   * unserved one goes. Each entry is moved at most once per call, so this ends.
   */
  private evictOne(): void {
    for (const [key, entry] of this.verified) {
      this.verified.delete(key);
      if (!entry.used) return;
      entry.used = false;
      this.verified.set(key, entry);
    }
  }

  private remember(authorization: string, caller: CallerIdentity, payload: JWTPayload, now: number): void {
    const tolerance = this.settings.clockToleranceS;
    // jose compares whole seconds, floor(now/1000) against exp + tolerance and nbf - tolerance; in
    // milliseconds that is now < ceil(exp + tolerance)·1000 and now >= ceil(nbf - tolerance)·1000.
    const expiresMs = Math.ceil((payload.exp as number) + tolerance) * 1000;
    const validUntilMs = Math.min(expiresMs, now + this.maxAgeMs);
    const validFromMs =
      typeof payload.nbf === 'number' ? Math.ceil(payload.nbf - tolerance) * 1000 : Number.NEGATIVE_INFINITY;
    if (validUntilMs <= now || this.maxEntries === 0) return;
    if (this.verified.size >= this.maxEntries) this.evictOne();
    this.verified.set(authorization, { caller, validFromMs, validUntilMs, used: false });
  }

  private callerOf(payload: JWTPayload): AuthOutcome {
    const clientId = payload[this.settings.clientIdClaim];
    if (typeof clientId !== 'string' || !CALLER_NAME_PATTERN.test(clientId)) {
      return refuse(
        'invalid_token',
        'client-id',
        `the ${this.settings.clientIdClaim} claim is not a client id`,
      );
    }
    const { callerNames } = this.settings;
    const name = callerNames === undefined ? clientId : callerNames.get(clientId);
    if (name === undefined) {
      return refuse(
        'invalid_token',
        'unknown-client',
        `client ${clientId} is not a configured caller of orbit`,
      );
    }
    const claim = this.settings.tenantClaim;
    const tenant = claim === undefined ? undefined : payload[claim];
    if (tenant !== undefined && (typeof tenant !== 'string' || !CALLER_NAME_PATTERN.test(tenant))) {
      return refuse('invalid_token', 'tenant', `the ${claim} claim is not a tenant name`);
    }
    return { ok: true, caller: { clientId: name, ...(tenant === undefined ? {} : { tenant }) } };
  }
}

/** The `WWW-Authenticate` value for a refusal (RFC 6750 §3). */
export function bearerChallenge(outcome: { readonly error: BearerError; readonly detail: string }): string {
  const description = outcome.detail.replaceAll('"', "'");
  return `Bearer realm="orbit", error="${outcome.error}", error_description="${description}"`;
}
