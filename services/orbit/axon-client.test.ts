import { afterEach, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { json, scriptedServer } from '../../test/support/fakes.js';
import { memoryLogger, newKey, REGION } from '../../test/support/services.js';
import { Tracing } from '../shared/tracing.js';
import { AxonClient, isRetryable } from './axon-client.js';

const key = newKey();
const { logger } = memoryLogger('orbit');
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

function client(url: URL, overrides: Partial<ConstructorParameters<typeof AxonClient>[0]> = {}) {
  const c = new AxonClient({
    baseUrl: url,
    region: REGION,
    keys: { current: () => key },
    attemptTimeoutMs: 500,
    retries: 2,
    breakerThreshold: 5,
    halfOpenAfterMs: 200,
    backoffInitialMs: 5,
    backoffMaxMs: 20,
    logger,
    ...overrides,
  });
  cleanup.push(() => c.close());
  return c;
}

async function server(handle: Parameters<typeof scriptedServer>[0]) {
  const s = await scriptedServer(handle);
  cleanup.push(s.close);
  return s;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('axon client decision proof', () => {
  it('sends the decision token and the caller it was issued for inside the signature', async () => {
    const seen: Record<string, unknown>[] = [];
    const axon = await server((req, res) => {
      seen.push(req.headers);
      json(res, 200, { status: 'ok' });
    });
    await client(axon.url).reason({ intent: 'reason:x' }, 'corr-12345678', {
      token: 'h.p.s',
      caller: 'demo-app',
    });
    expect(seen[0]).toMatchObject({ 'txn-token': 'h.p.s', 'x-caller-id': 'demo-app' });
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(seen[0]?.authorization))?.[1]?.split(';');
    expect(signedHeaders).toEqual(expect.arrayContaining(['txn-token', 'x-caller-id']));
  });
});

describe('axon client retry', () => {
  it('retries 503s with backoff and succeeds, signing every attempt afresh', async () => {
    const signatures = new Set<string>();
    const axon = await server((req, res, n) => {
      signatures.add(String(req.headers.authorization));
      if (n <= 2) return json(res, 503, { type: 'busy' });
      json(res, 200, { status: 'ok' });
    });
    const outcome = await client(axon.url).reason({ intent: 'reason:x' }, 'corr-12345678');
    expect(outcome).toEqual({ kind: 'answered', status: 200, body: { status: 'ok' }, attempts: 3 });
    expect(signatures.size).toBe(3);
  });

  it('retries an attempt that times out', async () => {
    const axon = await server((_req, res, n) => {
      if (n === 1) return; // never answers: the per-attempt timeout must cut it
      json(res, 200, { status: 'ok' });
    });
    const outcome = await client(axon.url, { attemptTimeoutMs: 300 }).reason({}, 'corr-12345678');
    expect(outcome).toMatchObject({ kind: 'answered', status: 200, attempts: 2 });
  });

  it('bounds the body too: headers at once and a body that never ends is a timed-out attempt', async () => {
    const axon = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":');
    });
    const outcome = await client(axon.url, { attemptTimeoutMs: 200, retries: 1 }).reason({}, 'corr-12345678');
    expect(outcome).toEqual({
      kind: 'unavailable',
      reason: 'axon did not answer within 200 ms',
      breakerOpen: false,
      retryAfterSeconds: 1,
      attempts: 2,
    });
    expect(axon.hits()).toBe(2);
  });

  it('bounds the wait for a connection too: an attempt still queued when its time is up is never sent', async () => {
    let firstArrived!: () => void;
    const arrived = new Promise<void>((resolve) => {
      firstArrived = resolve;
    });
    const axon = await server(() => firstArrived()); // never answers: holds the only connection
    const c = client(axon.url, { attemptTimeoutMs: 200, retries: 0, connections: 1 });
    const calls = Promise.all([c.reason({}, 'corr-12345678'), c.reason({}, 'corr-87654321')]);
    await arrived;
    // Freeze the event loop past both deadlines. No socket event runs meanwhile, so the second
    // attempt is still queued when its timer fires; left to the clock, whether the first one's
    // abort frees the connection before the second's deadline depends on the two calls starting
    // in the same millisecond (a loaded CI runner sent the second with 1 ms to spare).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    for (const outcome of await calls) {
      expect(outcome).toMatchObject({ kind: 'unavailable', reason: 'axon did not answer within 200 ms' });
    }
    await wait(100);
    expect(axon.hits()).toBe(1);
  });

  it('does not retry a 4xx answer: it is not going to change', async () => {
    const axon = await server((_req, res) => json(res, 403, { type: 'urn:axon-orbit:problem:unknown-key' }));
    const outcome = await client(axon.url).reason({}, 'corr-12345678');
    expect(outcome).toMatchObject({ kind: 'answered', status: 403, attempts: 1 });
    expect(axon.hits()).toBe(1);
  });

  it('gives up after the configured retries with the last reason', async () => {
    const axon = await server((_req, res) => json(res, 502, {}));
    const outcome = await client(axon.url, { retries: 2 }).reason({}, 'corr-12345678');
    expect(outcome).toEqual({
      kind: 'unavailable',
      reason: 'axon answered 502',
      breakerOpen: false,
      retryAfterSeconds: 1,
      attempts: 3,
    });
    expect(axon.hits()).toBe(3);
  });

  it('treats refused connections as retryable', async () => {
    const outcome = await client(new URL('http://127.0.0.1:9'), { retries: 1 }).reason({}, 'corr-12345678');
    expect(outcome).toMatchObject({ kind: 'unavailable', reason: 'axon unreachable', attempts: 2 });
    expect(isRetryable(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetryable(new Error('no signing key loaded'))).toBe(false);
  });
});

describe('axon client circuit breaker', () => {
  it('opens after consecutive failures, fails fast with Retry-After, probes half-open and closes on success', async () => {
    let healthy = false;
    const axon = await server((_req, res) =>
      healthy ? json(res, 200, { status: 'ok' }) : json(res, 503, {}),
    );
    const c = client(axon.url, { retries: 0, breakerThreshold: 3, halfOpenAfterMs: 1_500 });

    for (let i = 0; i < 3; i++) await c.reason({}, 'corr-12345678');
    expect(c.breakerState).toBe('open');
    const hitsWhenOpened = axon.hits();

    const fast = await c.reason({}, 'corr-12345678');
    expect(fast).toMatchObject({
      kind: 'unavailable',
      breakerOpen: true,
      reason: 'axon circuit is open',
      attempts: 0,
    });
    // Whole seconds until the half-open probe: 1.5 s after opening, so 2 (or 1 on a slow machine).
    expect([1, 2]).toContain(fast.kind === 'unavailable' ? fast.retryAfterSeconds : 0);
    expect(axon.hits()).toBe(hitsWhenOpened);

    await wait(1_600);
    healthy = true;
    const probe = await c.reason({}, 'corr-12345678');
    expect(probe).toMatchObject({ kind: 'answered', status: 200 });
    expect(c.breakerState).toBe('closed');
    expect(axon.hits()).toBe(hitsWhenOpened + 1);
  });

  it('re-opens when the half-open probe fails', async () => {
    const axon = await server((_req, res) => json(res, 503, {}));
    const c = client(axon.url, { retries: 0, breakerThreshold: 2, halfOpenAfterMs: 100 });
    await c.reason({}, 'corr-12345678');
    await c.reason({}, 'corr-12345678');
    expect(c.breakerState).toBe('open');
    await wait(150);
    const hits = axon.hits();
    await expect(c.reason({}, 'corr-12345678')).resolves.toMatchObject({
      kind: 'unavailable',
      breakerOpen: false,
    });
    expect(axon.hits()).toBe(hits + 1);
    expect(c.breakerState).toBe('open');
    await expect(c.reason({}, 'corr-12345678')).resolves.toMatchObject({ breakerOpen: true });
  });

  it('stops retrying as soon as the breaker opens mid-retry', async () => {
    const axon = await server((_req, res) => json(res, 503, {}));
    const c = client(axon.url, { retries: 5, breakerThreshold: 2, halfOpenAfterMs: 10_000 });
    const outcome = await c.reason({}, 'corr-12345678');
    expect(outcome).toMatchObject({ kind: 'unavailable', breakerOpen: true, attempts: 2 });
    expect(axon.hits()).toBe(2);
  });
});

describe('axon client tracing', () => {
  it('runs each call in an axon.reason client span carrying the trace header only when traced', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = Tracing.start({
      serviceName: 'orbit',
      environment: 'dev',
      processor: new SimpleSpanProcessor(exporter),
    });
    cleanup.push(() => tracing.shutdown());
    const seen: Record<string, unknown>[] = [];
    const axon = await server((req, res) => {
      seen.push(req.headers);
      json(res, 200, { status: 'ok' });
    });

    await client(axon.url, { traced: true }).reason({ intent: 'reason:x' }, 'corr-12345678');
    await client(axon.url).reason({ intent: 'reason:x' }, 'corr-12345678');

    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'axon.reason');
    expect(spans).toHaveLength(1);
    const traceId = spans[0]?.spanContext().traceId ?? '';
    expect(String(seen[0]?.['x-amzn-trace-id'])).toContain(
      `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)}`,
    );
    expect(seen[1]?.['x-amzn-trace-id']).toBeUndefined();
    // The trace header is not signed: a collector may rewrite it.
    expect(String(seen[0]?.authorization)).not.toContain('x-amzn-trace-id');
  });
});
