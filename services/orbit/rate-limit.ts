import type { BucketLimit, RateLimits } from '../../contracts/rate-limits.js';

export { type BucketLimit, parseRateLimits, type RateLimits } from '../../contracts/rate-limits.js';

export type RateDecision =
  | {
      readonly allowed: true;
      readonly limit: BucketLimit;
      readonly remaining: number;
      readonly resetS: number;
    }
  | {
      readonly allowed: false;
      readonly limit: BucketLimit;
      readonly remaining: 0;
      readonly resetS: number;
      readonly retryAfterS: number;
    };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Buckets are few (configured callers × intent classes); this bounds memory if that ever stops holding. */
const MAX_BUCKETS = 100_000;

/**
 * Per-caller token buckets, one per caller and intent class, in this task's memory: each Orbit task
 * gives every caller its configured share; the WAF rate rule on the load balancer is the fleet-wide
 * backstop.
 */
export class CallerRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;

  constructor(
    private readonly limits: RateLimits,
    now?: () => number,
  ) {
    this.now = now ?? Date.now;
  }

  limitFor(clientId: string, intentClass: string): BucketLimit {
    const own = this.limits.callers[clientId];
    const found =
      own?.[intentClass] ?? own?.['*'] ?? this.limits.default[intentClass] ?? this.limits.default['*'];
    if (!found) throw new Error('rate limits have no default "*" entry');
    return found;
  }

  take(clientId: string, intentClass: string): RateDecision {
    const limit = this.limitFor(clientId, intentClass);
    const key = `${clientId}\n${intentClass}`;
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.clear();
      bucket = { tokens: limit.burst, updatedMs: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(
      limit.burst,
      bucket.tokens + ((now - bucket.updatedMs) / 1000) * limit.perSecond,
    );
    bucket.updatedMs = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return {
        allowed: true,
        limit,
        remaining: Math.floor(bucket.tokens),
        resetS: Math.ceil((limit.burst - bucket.tokens) / limit.perSecond),
      };
    }
    return {
      allowed: false,
      limit,
      remaining: 0,
      resetS: Math.ceil((limit.burst - bucket.tokens) / limit.perSecond),
      retryAfterS: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond)),
    };
  }
}

/**
 * The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers): the policy as quota `q` per
 * window `w` seconds (a full bucket refills in burst / rate seconds), and what is left `r` with `t`
 * seconds until the bucket is full again.
 */
export function rateLimitHeaders(intentClass: string, decision: RateDecision): Record<string, string> {
  const { burst, perSecond } = decision.limit;
  const window = Math.max(1, Math.ceil(burst / perSecond));
  const name = `"${intentClass}"`;
  return {
    'ratelimit-policy': `${name};q=${burst};w=${window}`,
    ratelimit: `${name};r=${decision.remaining};t=${decision.resetS}`,
  };
}
