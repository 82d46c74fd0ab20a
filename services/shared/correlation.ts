import { randomUUID } from 'node:crypto';

export const CORRELATION_ID_HEADER = 'x-correlation-id';

/**
 * Span attribute holding the correlation id. The ADOT collector's X-Ray exporter lists it under
 * `indexed_attributes`, so it becomes an X-Ray annotation that traces can be searched by.
 */
export const CORRELATION_ATTRIBUTE = 'correlation_id';

/**
 * A caller-supplied correlation id is echoed into logs, headers and downstream calls, so only a
 * bounded, header- and log-safe token is accepted: letters, digits and `-_.:`, 8–128 characters.
 */
const WELL_FORMED = /^[A-Za-z0-9._:-]{8,128}$/;

export function isWellFormedCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && WELL_FORMED.test(value);
}

export function newCorrelationId(): string {
  return randomUUID();
}

/** The id to use for a request: the caller's when well-formed, a fresh one when absent or malformed. */
export function correlationIdFrom(header: string | string[] | undefined): string {
  return isWellFormedCorrelationId(header) ? header : newCorrelationId();
}
