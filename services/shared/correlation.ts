import { randomUUID } from 'node:crypto';

import { isWellFormedCorrelationId } from '../../contracts/correlation.js';

export function newCorrelationId(): string {
  return randomUUID();
}

/** The id to use for a request: the caller's when well-formed, a fresh one when absent or malformed. */
export function correlationIdFrom(header: string | string[] | undefined): string {
  return isWellFormedCorrelationId(header) ? header : newCorrelationId();
}
