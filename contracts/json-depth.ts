/**
 * The deepest nesting of arrays and objects any JSON entry point accepts: Orbit's /dispatch body,
 * Axon's /reason body, the governance decision event and the admin API's body. Real documents need
 * fewer than 10 levels; the limit keeps every later recursive step (JSON.stringify, schema checks,
 * logging) far from the stack limit that a 64 KiB body of 30,000 nested brackets would reach.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether `value` nests arrays or objects more than `limit` levels deep (a top-level object or array
 * is level 1, a scalar level 0). Iterative, and stops at the first path past the limit, so it is
 * safe on values too deep for any recursive walk.
 */
export function exceedsJsonDepth(value: unknown, limit: number = MAX_JSON_DEPTH): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const pending: object[] = [value];
  const depths: number[] = [1];
  while (pending.length > 0) {
    const node = pending.pop() as object;
    const depth = depths.pop() as number;
    if (depth > limit) return true;
    const children = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) {
        pending.push(child);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}

/** The one sentence every entry point answers a too-deep body with. */
export function jsonDepthProblem(what: string, limit: number = MAX_JSON_DEPTH): string {
  return `${what} nests arrays or objects more than ${limit} levels deep; the limit is ${limit}`;
}
