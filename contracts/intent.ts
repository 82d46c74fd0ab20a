/**
 * The intent grammar: what a caller may ask for (`reason:summarize`), what Orbit's route accepts,
 * what a policy's `actions` and `resources` name, and what the engine decides on. One grammar, so
 * Orbit never accepts an intent governance would then refuse as malformed.
 *
 * Colon-separated segments of lowercase letters, digits, `_`, `.` and `-`, each starting with a
 * letter or digit; no wildcards (policies add `*` globs on top of this, see the policy schema).
 */
const SEGMENT = '[a-z0-9][a-z0-9_.-]*';
export const INTENT_PATTERN = new RegExp(`^${SEGMENT}(:${SEGMENT})*$`);
/** What a policy's `actions` and `resources` may name: the intent grammar with `*` as a whole segment. */
export const INTENT_GLOB_PATTERN = new RegExp(`^(\\*|${SEGMENT})(:(\\*|${SEGMENT}))*$`);
export const INTENT_MAX_LENGTH = 256;

/** A service name as policies list it in `principals` and governance requests carry it in `service`. */
export const SERVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

export function isIntent(value: unknown): value is string {
  return typeof value === 'string' && value.length <= INTENT_MAX_LENGTH && INTENT_PATTERN.test(value);
}

export function isServiceName(value: unknown): value is string {
  return typeof value === 'string' && SERVICE_NAME_PATTERN.test(value);
}

/** The JSON Schema of an intent, for route and event schemas (Fastify, ajv). */
export const intentSchema = {
  type: 'string',
  minLength: 1,
  maxLength: INTENT_MAX_LENGTH,
  pattern: INTENT_PATTERN.source,
} as const;

/** The message every entry point gives for a malformed intent. */
export const INTENT_GRAMMAR_HINT = `colon-separated lowercase segments such as "reason:summarize" (at most ${INTENT_MAX_LENGTH} characters)`;
