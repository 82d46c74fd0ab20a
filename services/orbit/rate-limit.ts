/** A token bucket: `burst` requests at once, refilled at `perSecond`. */
export interface BucketLimit {
  readonly perSecond: number;
  readonly burst: number;
}

/**
 * Limits per caller and intent class (an intent's first segment, `reason` in `reason:deep`): a
 * caller's own entry for the class, else its `*` entry, else the default's entry for the class,
 * else the default's `*`.
 */
export interface RateLimits {
  readonly default: Readonly<Record<string, BucketLimit>>;
  readonly callers: Readonly<Record<string, Readonly<Record<string, BucketLimit>>>>;
}

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

/** Parses and checks the `RATE_LIMITS` JSON; throws one line naming the bad field. */
export function parseRateLimits(text: string, name = 'RATE_LIMITS'): RateLimits {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(
      `${name} must be JSON such as {"default":{"*":{"perSecond":50,"burst":100}},"callers":{}}`,
    );
  }
  const record = (v: unknown, where: string): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      throw new Error(`${name}${where} must be an object`);
    return v as Record<string, unknown>;
  };
  const classes = (v: unknown, where: string): Record<string, BucketLimit> => {
    const out: Record<string, BucketLimit> = {};
    for (const [intentClass, raw] of Object.entries(record(v, where))) {
      const at = `${where}.${intentClass}`;
      const { perSecond, burst } = record(raw, at);
      if (typeof perSecond !== 'number' || !(perSecond > 0) || perSecond > 1_000_000)
        throw new Error(`${name}${at}.perSecond must be a number above 0 (at most 1000000)`);
      if (!Number.isInteger(burst) || (burst as number) < 1 || (burst as number) > 1_000_000)
        throw new Error(`${name}${at}.burst must be an integer from 1 to 1000000`);
      out[intentClass] = { perSecond, burst: burst as number };
    }
    return out;
  };
  const top = record(value, '');
  const defaults = classes(top.default, '.default');
  if (!defaults['*'])
    throw new Error(`${name}.default must have a "*" entry (the limit of any caller, any intent)`);
  const callers: Record<string, Record<string, BucketLimit>> = {};
  for (const [clientId, limits] of Object.entries(record(top.callers ?? {}, '.callers'))) {
    callers[clientId] = classes(limits, `.callers.${clientId}`);
  }
  return { default: defaults, callers };
}
