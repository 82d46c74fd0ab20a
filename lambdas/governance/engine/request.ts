import { CALLER_NAME_PATTERN } from '../../../contracts/caller.js';
import {
  INTENT_GRAMMAR_HINT,
  isIntent,
  isServiceName,
  SERVICE_NAME_PATTERN,
} from '../../../contracts/intent.js';

/**
 * Checks the names a request carries; returns what is wrong, or undefined when the request may be
 * evaluated. The engine itself trusts its input, so every caller runs this first.
 */
export function requestProblem(request: {
  readonly principal: unknown;
  readonly action: unknown;
  readonly resource?: unknown;
  readonly caller?: unknown;
  readonly tenant?: unknown;
}): string | undefined {
  if (!isServiceName(request.principal)) {
    return `service must be a service name such as "orbit" (${SERVICE_NAME_PATTERN.source})`;
  }
  if (!isIntent(request.action)) return `intent must be ${INTENT_GRAMMAR_HINT}`;
  if (request.resource !== undefined && !isIntent(request.resource)) {
    return `context.resource must be ${INTENT_GRAMMAR_HINT}`;
  }
  for (const kind of ['caller', 'tenant'] as const) {
    const value = request[kind];
    if (value !== undefined && (typeof value !== 'string' || !CALLER_NAME_PATTERN.test(value))) {
      return `${kind} must be 1-128 of A-Z a-z 0-9 _ . @ - starting with a letter or digit (${CALLER_NAME_PATTERN.source})`;
    }
  }
  return undefined;
}
