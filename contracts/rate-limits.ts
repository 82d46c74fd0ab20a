/**
 * Orbit's per-caller rate limits: the `RATE_LIMITS` document the CDK writes from lib/config, the
 * local platform sets, and Orbit parses. One shape and one parser, so a limit the CDK accepts is one
 * Orbit starts with.
 */

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
