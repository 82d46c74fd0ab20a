/** The correlation id every hop carries: the header, its grammar, and its trace annotation. */
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
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9._:-]{8,128}$/;

export function isWellFormedCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && CORRELATION_ID_PATTERN.test(value);
}
