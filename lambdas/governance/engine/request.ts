import { CALLER_NAME_PATTERN } from '../../../contracts/caller.js';
import { MAX_NAME_LENGTH, NAME_PATTERN, SERVICE_PATTERN } from './validate.js';

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
  if (typeof request.principal !== 'string' || !SERVICE_PATTERN.test(request.principal)) {
    return `service must be a service name such as "orbit" (${SERVICE_PATTERN.source})`;
  }
  if (!isName(request.action)) {
    return `intent must be colon-separated lowercase segments such as "reason:deep" (at most ${MAX_NAME_LENGTH} characters)`;
  }
  if (request.resource !== undefined && !isName(request.resource)) {
    return `context.resource must be colon-separated lowercase segments such as "axon" (at most ${MAX_NAME_LENGTH} characters)`;
  }
  for (const kind of ['caller', 'tenant'] as const) {
    const value = request[kind];
    if (value !== undefined && (typeof value !== 'string' || !CALLER_NAME_PATTERN.test(value))) {
      return `${kind} must be 1-128 of A-Z a-z 0-9 _ . @ - starting with a letter or digit (${CALLER_NAME_PATTERN.source})`;
    }
  }
  return undefined;
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_NAME_LENGTH && NAME_PATTERN.test(value);
}
