/**
 * Orbit's `CALLER_NAMES`: which configured caller each OAuth client id stands for, as JSON
 * `{"<client id>": "<caller name>"}`. Cognito generates app client ids at deploy time and they differ
 * per environment, so policies, rate limits, logs and metrics name callers by their configured name
 * (lib/config callers, local/callers.json) and Orbit translates the verified client id once. The CDK
 * writes the document from the app clients it creates, the local platform from its callers file, and
 * Orbit parses it with `parseCallerNames`. Several client ids may name one caller (a replacement app
 * client beside the one it retires); a client id maps to exactly one caller.
 */
import { CALLER_NAME_PATTERN } from './caller.js';
import { ORBIT_ENV } from './service-env.js';

/** Client id → caller name. */
export type CallerNames = ReadonlyMap<string, string>;

/** Far more app clients than a user pool holds by default (1,000); bigger is a mistake, not a fleet. */
export const MAX_CALLER_NAMES = 10_000;

const EXAMPLE = '{"<client id>":"<caller name>"}';

/** Parses and checks a `CALLER_NAMES` document; throws one line naming what is wrong. */
export function parseCallerNames(text: string, variable: string = ORBIT_ENV.callerNames): CallerNames {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${variable} must be JSON such as ${EXAMPLE}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${variable} must be a JSON object ${EXAMPLE}`);
  }
  const entries = Object.entries(value);
  if (entries.length === 0) {
    throw new Error(
      `${variable} must map at least one client id; unset it to use client ids as caller names`,
    );
  }
  if (entries.length > MAX_CALLER_NAMES) {
    throw new Error(`${variable} maps ${entries.length} client ids; at most ${MAX_CALLER_NAMES} are allowed`);
  }
  const names = new Map<string, string>();
  for (const [clientId, name] of entries) {
    if (!CALLER_NAME_PATTERN.test(clientId)) {
      throw new Error(
        `${variable} key ${JSON.stringify(clientId.slice(0, 140))} is not a client id (${CALLER_NAME_PATTERN.source})`,
      );
    }
    if (typeof name !== 'string' || !CALLER_NAME_PATTERN.test(name)) {
      throw new Error(
        `${variable}[${JSON.stringify(clientId)}] must be a caller name (${CALLER_NAME_PATTERN.source}), got ${JSON.stringify(name)?.slice(0, 140)}`,
      );
    }
    names.set(clientId, name);
  }
  return names;
}

/** The `CALLER_NAMES` document of `names`, as `parseCallerNames` reads it back. */
export function formatCallerNames(names: CallerNames): string {
  return JSON.stringify(Object.fromEntries(names));
}
