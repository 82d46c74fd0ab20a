import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { memoryLogger, newKey, REGION, serve, signedReason } from '../../test/support/services.js';
import { EmfMetrics } from '../shared/metrics.js';
import { buildAxonApp } from './app.js';

const current = newKey();
const previous = newKey();
const keys = new Map([
  [current.keyId, current.secret],
  [previous.keyId, previous.secret],
]);
const log = memoryLogger('axon');
let app: FastifyInstance;
let http: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  app = buildAxonApp({
    logger: log.logger,
    region: REGION,
    keys: { get: (id) => keys.get(id), loaded: true },
  });
  http = await serve(app);
});
afterAll(() => app.close());

async function post(signed: Awaited<ReturnType<typeof signedReason>>, extra: Record<string, string> = {}) {
  return http.request({
    method: 'POST',
    url: signed.url,
    headers: { ...signed.headers, ...extra },
    payload: signed.payload,
  });
}

describe('axon /reason', () => {
  it('answers a signed request with a heartbeat carrying the correlation id', async () => {
    const res = await post(
      await signedReason(current, '{"intent":"reason:summarize","payload":{"text":"hi"}}', {
        headers: { 'x-correlation-id': 'corr-12345678' },
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-correlation-id']).toBe('corr-12345678');
    expect(res.json()).toMatchObject({
      status: 'ok',
      service: 'axon',
      correlationId: 'corr-12345678',
      intent: 'reason:summarize',
      keyId: current.keyId,
      payloadKeys: 1,
    });
  });

  it('accepts the previous key during rotation', async () => {
    const res = await post(await signedReason(previous, '{"intent":"reason:x"}'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ keyId: previous.keyId });
  });

  it('refuses an unsigned request with 401 problem+json and logs which check failed', async () => {
    const res = await http.request({
      method: 'POST',
      url: '/reason',
      headers: { 'content-type': 'application/json' },
      payload: '{"intent":"reason:x"}',
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ type: 'urn:axon-orbit:problem:signature-missing', status: 401 });
    expect(log.lines().some((l) => l.check === 'signature-missing' && l.msg === 'signature rejected')).toBe(
      true,
    );
  });

  it('refuses a replayed request with 403 and never logs the key or the signature', async () => {
    const signed = await signedReason(current, '{"intent":"reason:x"}');
    expect((await post(signed)).statusCode).toBe(200);
    const replay = await post(signed);
    expect(replay.statusCode).toBe(403);
    expect(replay.json().type).toBe('urn:axon-orbit:problem:replayed-request');
    const all = JSON.stringify(log.lines());
    expect(all).not.toContain(current.secret);
    expect(all).not.toContain(String(signed.headers.authorization).slice(-64));
  });

  it('refuses an expired signature and a key it does not know', async () => {
    const old = await post(
      await signedReason(current, '{"intent":"reason:x"}', { at: new Date(Date.now() - 600_000) }),
    );
    expect(old.json().type).toBe('urn:axon-orbit:problem:signature-expired');
    const unknown = await post(await signedReason(newKey(), '{"intent":"reason:x"}'));
    expect(unknown.statusCode).toBe(403);
    expect(unknown.json().type).toBe('urn:axon-orbit:problem:unknown-key');
  });

  it('checks the signature before the body, then rejects malformed JSON and schema violations with 400', async () => {
    const garbled = await post(await signedReason(current, '{"intent":'));
    expect(garbled.statusCode).toBe(400);
    expect(garbled.json().type).toBe('urn:axon-orbit:problem:malformed-json');
    const invalid = await post(await signedReason(current, '{"intent":"bad intent!"}'));
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().type).toBe('urn:axon-orbit:problem:validation-failed');
    const proto = await post(await signedReason(current, '{"intent":"x","__proto__":{"a":1}}'));
    expect(proto.statusCode).toBe(400);
  });

  it('refuses the wrong content type with 415 and an oversized body with 413 naming the limit', async () => {
    const wrongType = await http.request({
      method: 'POST',
      url: '/reason',
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json().type).toBe('urn:axon-orbit:problem:unsupported-media-type');
    const big = await http.request({
      method: 'POST',
      url: '/reason',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ intent: 'x', payload: { pad: 'x'.repeat(70_000) } }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ type: 'urn:axon-orbit:problem:body-too-large', limitBytes: 65536 });
  });

  it('refuses a malformed correlation id instead of echoing it', async () => {
    const res = await http.request({
      method: 'GET',
      url: '/health',
      headers: { 'x-correlation-id': 'a b<script>' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('urn:axon-orbit:problem:invalid-correlation-id');
    expect(res.headers['x-correlation-id']).not.toContain('<');
  });

  it('answers unknown routes with 404 problem+json', async () => {
    const res = await http.request({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().type).toBe('urn:axon-orbit:problem:not-found');
  });
});

describe('axon /health', () => {
  it('is live, and reports readiness from the key set', async () => {
    const res = await http.request({ method: 'GET', url: '/health?ready=1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', ready: true, checks: { verificationKeys: 'loaded' } });
  });

  it('says not ready (503 on ?ready=1, 200 for liveness) before keys are loaded', async () => {
    const cold = buildAxonApp({
      logger: log.logger,
      region: REGION,
      keys: { get: () => undefined, loaded: false },
    });
    const coldHttp = await serve(cold);
    expect((await coldHttp.request({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const ready = await coldHttp.request({ method: 'GET', url: '/health?ready=1' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ ready: false, checks: { verificationKeys: 'missing' } });
    await cold.close();
  });
});

describe('axon replay store', () => {
  it('refuses a correctly signed request with 503 and counts it when the replay store does not answer', async () => {
    const metricsLog = memoryLogger('axon');
    const metrics = new EmfMetrics({
      namespace: 'AxonOrbit',
      service: 'axon',
      environment: 'local',
      logger: metricsLog.logger,
      flushMs: 60_000,
    });
    const down = buildAxonApp({
      logger: log.logger,
      region: REGION,
      keys: { get: (id) => keys.get(id), loaded: true },
      replay: { remember: async () => 'unavailable' as const },
      metrics,
    });
    const downHttp = await serve(down);
    try {
      const signed = await signedReason(current, '{"intent":"reason:x"}');
      const res = await downHttp.request({
        method: 'POST',
        url: signed.url,
        headers: signed.headers,
        payload: signed.payload,
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().type).toBe('urn:axon-orbit:problem:replay-store-unavailable');
      const emitted = metrics.snapshot();
      expect(emitted).toMatchObject({ ReplayStoreUnavailable: 1 });
      expect(emitted).not.toHaveProperty('SignatureRejects');
    } finally {
      await down.close();
    }
  });
});
