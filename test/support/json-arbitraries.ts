import fc from 'fast-check';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../../contracts/json-depth.js';

/** `{"k":` and `}`: six bytes a level, so 10,000 levels (60 KB) still fit a 64 KiB body with a wrapper. */
const MOST_LEVELS = 10_000;

/**
 * JSON text nested from just around `MAX_JSON_DEPTH` to far past where a recursive walk overflows
 * Node's default stack (JSON.stringify of nested arrays does between 3,000 and 5,000 levels):
 * `[[[…]]]` or `{"k":{"k":…}}`, the deepest still fitting the services' 64 KiB bodies.
 */
export const deepJsonText = fc
  .tuple(
    fc.oneof(
      fc.integer({ min: MAX_JSON_DEPTH - 3, max: MAX_JSON_DEPTH + 3 }),
      fc.integer({ min: 1_000, max: MOST_LEVELS }),
    ),
    fc.constantFrom('array', 'object'),
  )
  .map(([levels, kind]) =>
    kind === 'array'
      ? `${'['.repeat(levels)}${']'.repeat(levels)}`
      : `${'{"k":'.repeat(levels)}0${'}'.repeat(levels)}`,
  );

/** A dispatch body (`POST /dispatch`, `POST /reason`) carrying `deepJsonText` in its payload. */
export const deepDispatchBody = deepJsonText.map(
  (deep) => `{"intent":"reason:deep","payload":{"x":${deep}}}`,
);

/** Whether `text` is JSON nested deeper than `MAX_JSON_DEPTH` (false for text that is not JSON). */
export function isTooDeepJson(text: string): boolean {
  try {
    return exceedsJsonDepth(JSON.parse(text));
  } catch {
    return false;
  }
}
