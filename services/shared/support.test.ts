import { describe, expect, it } from '@jest/globals';
import { isWellFormedCorrelationId } from '../../contracts/correlation.js';
import { memoryLogger } from '../../test/support/services.js';
import {
  awsRegion,
  httpUrl,
  integer,
  logLevel,
  optionalString,
  requiredString,
  ServiceConfigError,
} from './config.js';
import { correlationIdFrom } from './correlation.js';
import { EmfMetrics } from './metrics.js';
import { clientErrorResponse, problem } from './problem.js';
import { ReplayCache } from './replay-cache.js';

describe('service config parsing', () => {
  it('reads valid values and defaults', () => {
    expect(integer({ N: '42' }, 'N', 1, 0, 100)).toBe(42);
    expect(integer({}, 'N', 7, 0, 100)).toBe(7);
    expect(requiredString({ S: ' x ' }, 'S')).toBe('x');
    expect(optionalString({}, 'S', 'd')).toBe('d');
    expect(httpUrl({ U: 'http://axon:8081' }, 'U').port).toBe('8081');
    expect(logLevel({ LOG_LEVEL: 'warn' })).toBe('warn');
    expect(awsRegion({ AWS_DEFAULT_REGION: 'us-east-1' })).toBe('us-east-1');
  });

  it.each([
    [() => integer({ N: '4x' }, 'N', 1, 0, 100), 'N: must be an integer between 0 and 100, got "4x"'],
    [() => integer({ N: '101' }, 'N', 1, 0, 100), 'N: must be an integer between 0 and 100, got 101'],
    [() => requiredString({}, 'S'), 'S: is required'],
    [() => httpUrl({ U: 'ftp://x' }, 'U'), 'U: must be an http(s) URL, got "ftp://x"'],
    [() => httpUrl({ U: 'not a url' }, 'U'), 'U: must be an http(s) URL, got "not a url"'],
    [
      () => logLevel({ LOG_LEVEL: 'loud' }),
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    [() => awsRegion({}), 'AWS_REGION: is required'],
    [() => awsRegion({ AWS_REGION: 'Ireland' }), 'AWS_REGION: must look like eu-west-1, got "Ireland"'],
  ])('names the variable and the allowed values (%#)', (fn, message) => {
    expect(fn).toThrow(ServiceConfigError);
    expect(fn).toThrow(message);
  });
});

describe('correlation ids', () => {
  it('keeps a well-formed id and replaces anything else', () => {
    expect(correlationIdFrom('abc-1234.5678:x_y')).toBe('abc-1234.5678:x_y');
    for (const bad of [
      undefined,
      'short',
      'x'.repeat(129),
      'has space 1234',
      'crlf\r\ninjected',
      ['a-12345678', 'b-12345678'],
    ]) {
      expect(isWellFormedCorrelationId(bad)).toBe(false);
      expect(correlationIdFrom(bad)).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('problem details', () => {
  it('builds RFC 9457 documents with a stable type', () => {
    expect(problem(403, 'governance-denied', 'no', { intent: 'x' })).toEqual({
      type: 'urn:axon-orbit:problem:governance-denied',
      title: 'Forbidden',
      status: 403,
      detail: 'no',
      intent: 'x',
    });
  });

  it('writes a complete HTTP response for parser-level errors', () => {
    expect(clientErrorResponse('HPE_HEADER_OVERFLOW')).toMatch(/^HTTP\/1\.1 431 [\s\S]*headers-too-large/);
    const bad = clientErrorResponse('HPE_INVALID_HEADER_TOKEN');
    const [head, body] = bad.split('\r\n\r\n');
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body ?? '')}`);
    expect(JSON.parse(body ?? '')).toMatchObject({
      status: 400,
      type: 'urn:axon-orbit:problem:malformed-request',
    });
  });
});

describe('EMF metrics', () => {
  it('aggregates counters and latency distributions into one EMF document per flush', () => {
    const { logger, lines } = memoryLogger('axon');
    const metrics = new EmfMetrics({
      namespace: 'AxonOrbit',
      service: 'axon',
      environment: 'dev',
      logger,
      flushMs: 60_000,
    });
    expect(metrics.snapshot()).toBeUndefined();
    metrics.count('Requests');
    metrics.count('Requests');
    metrics.timing('Latency', 1.23);
    metrics.timing('Latency', 1.21);
    metrics.timing('Latency', 35.4);
    metrics.flush();
    const [doc] = lines();
    expect(doc).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'AxonOrbit', Dimensions: [['Service', 'Environment']] }] },
      Service: 'axon',
      Environment: 'dev',
      Requests: 2,
      Latency: { Values: [1.2, 35], Counts: [2, 1] },
    });
    metrics.start();
    metrics.stop();
    expect(lines()).toHaveLength(1);
  });
});

describe('replay cache', () => {
  it('forgets signatures once they expire', () => {
    let now = 0;
    const cache = new ReplayCache(10, () => now);
    expect(cache.remember('s1', 100)).toBe('fresh');
    expect(cache.remember('s1', 100)).toBe('replayed');
    now = 101;
    expect(cache.remember('s2', 300)).toBe('fresh');
    expect(cache.size).toBe(1);
    expect(cache.remember('s1', 300)).toBe('fresh');
  });
});
