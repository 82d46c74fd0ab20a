import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { CALLER_NAME_PATTERN, type CallerIdentity } from '../../contracts/caller.js';

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
const CACHE_LIMIT = 10_000;
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
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSENotSupported) {
    return refuse('invalid_token', 'unverifiable', 'the token cannot be verified now');
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
 * Verifies `Authorization: Bearer <JWT>` access tokens with jose: RS256 only, issuer, audience and
 * required claims from settings, bounded clock skew. Keys come from the issuer's JWKS, cached for
 * `jwksCacheMaxAgeMs` and refetched at most once per `jwksCooldownMs` (an unknown `kid` — a
 * rotation — triggers the refetch). A verified token is remembered by its exact text until its
 * `exp`, so a caller reusing its token (as client-credentials callers do) costs one map lookup.
 */
export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly now: () => number;
  private readonly verified = new Map<string, { readonly caller: CallerIdentity; readonly expMs: number }>();

  constructor(
    private readonly settings: AuthSettings,
    options: { readonly keys?: JWTVerifyGetKey; readonly now?: () => number } = {},
  ) {
    this.keys =
      options.keys ??
      createRemoteJWKSet(settings.jwksUrl, {
        cacheMaxAge: settings.jwksCacheMaxAgeMs,
        cooldownDuration: settings.jwksCooldownMs,
        timeoutDuration: 2_000,
      });
    this.now = options.now ?? Date.now;
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
    const token = BEARER.exec(authorization)?.[1];
    if (token === undefined) {
      return refuse('invalid_request', 'malformed-header', 'the Authorization header must be "Bearer <JWT>"');
    }
    const remembered = this.verified.get(token);
    if (remembered && remembered.expMs > this.now()) return { ok: true, caller: remembered.caller };

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: this.settings.issuer,
        ...(this.settings.audience === undefined ? {} : { audience: this.settings.audience }),
        algorithms: ALGORITHMS,
        clockTolerance: this.settings.clockToleranceS,
        requiredClaims: ['exp', this.settings.clientIdClaim, ...this.settings.requiredClaims],
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      return explain(error);
    }
    const caller = this.callerOf(payload);
    if (!caller.ok) return caller;
    if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
    this.verified.set(token, { caller: caller.caller, expMs: (payload.exp as number) * 1000 });
    return caller;
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
    const claim = this.settings.tenantClaim;
    const tenant = claim === undefined ? undefined : payload[claim];
    if (tenant !== undefined && (typeof tenant !== 'string' || !CALLER_NAME_PATTERN.test(tenant))) {
      return refuse('invalid_token', 'tenant', `the ${claim} claim is not a tenant name`);
    }
    return { ok: true, caller: { clientId, ...(tenant === undefined ? {} : { tenant }) } };
  }
}

/** The `WWW-Authenticate` value for a refusal (RFC 6750 §3). */
export function bearerChallenge(outcome: { readonly error: BearerError; readonly detail: string }): string {
  const description = outcome.detail.replaceAll('"', "'");
  return `Bearer realm="orbit", error="${outcome.error}", error_description="${description}"`;
}
