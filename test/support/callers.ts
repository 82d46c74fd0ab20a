import { type LocalIssuer, startLocalIssuer } from '../../local/issuer.js';
import type { AuthSettings } from '../../services/orbit/auth.js';
import { TokenVerifier } from '../../services/orbit/auth.js';
import type { CallerGuardDeps } from '../../services/orbit/caller-guard.js';
import { CallerRateLimiter, type RateLimits } from '../../services/orbit/rate-limit.js';

/** Limits no functional test reaches: rate limiting is tested on its own. */
export const GENEROUS_LIMITS: RateLimits = {
  default: { '*': { perSecond: 100_000, burst: 100_000 } },
  callers: {},
};

/** Orbit's auth settings for tokens of `issuer`, as `AUTH_*` of `issuer.orbitEnv()` give them. */
export function authSettingsFor(issuer: LocalIssuer, overrides: Partial<AuthSettings> = {}): AuthSettings {
  return {
    issuer: issuer.url,
    jwksUrl: new URL(issuer.jwksUrl),
    audience: issuer.audience,
    clientIdClaim: 'client_id',
    tenantClaim: issuer.tenantClaim,
    requiredClaims: ['token_use'],
    clockToleranceS: 60,
    jwksCacheMaxAgeMs: 600_000,
    jwksCooldownMs: 30_000,
    callerNames: issuer.callerNames,
    ...overrides,
  };
}

/** The local issuer, and Orbit's caller checks (token verification, rate limits) trusting it. */
export async function testCallers(limits: RateLimits = GENEROUS_LIMITS): Promise<{
  issuer: LocalIssuer;
  guard: CallerGuardDeps;
  /** `{ authorization: 'Bearer …' }` for the caller of local/callers.json named `name` (default demo-app). */
  bearer(name?: string): Promise<Record<string, string>>;
}> {
  const issuer = await startLocalIssuer();
  return {
    issuer,
    guard: { tokens: new TokenVerifier(authSettingsFor(issuer)), limiter: new CallerRateLimiter(limits) },
    bearer: async (name = 'demo-app') => ({ authorization: `Bearer ${await issuer.token(name)}` }),
  };
}
