import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { type InvokeEndpoint, startInvokeEndpoint } from '../../local/invoke-endpoint.js';
import { testCallers } from '../../test/support/callers.js';
import { governanceDouble, json, localLambdaClient, scriptedServer } from '../../test/support/fakes.js';
import { memoryLogger, newKey, REGION, serve } from '../../test/support/services.js';
import { buildAxonApp } from '../axon/app.js';
import { buildOrbitApp } from './app.js';
import { AxonClient } from './axon-client.js';
import { GovernanceClient } from './governance.js';

const key = newKey();
const governanceCalls: unknown[] = [];
const { logger } = memoryLogger('orbit');
let endpoint: InvokeEndpoint;
let axonApp: FastifyInstance;
const apps: FastifyInstance[] = [];
const clients: AxonClient[] = [];
const lambdas: LambdaClient[] = [];

async function orbit(options: {
  axonUrl: URL;
  functionName?: string;
  breakerThreshold?: number;
  signingKey?: typeof key;
}) {
  const axon = new AxonClient({
    baseUrl: options.axonUrl,
    region: REGION,
    keys: { current: () => options.signingKey ?? key },
    attemptTimeoutMs: 1_000,
    retries: 1,
    breakerThreshold: options.breakerThreshold ?? 5,
    halfOpenAfterMs: 30_000,
    backoffInitialMs: 5,
    logger,
  });
  clients.push(axon);
  const lambda = localLambdaClient(endpoint.url);
  lambdas.push(lambda);
  const governance = new GovernanceClient({
    lambda,
    functionName: options.functionName ?? 'governance',
    timeoutMs: 500,
    cacheTtlMs: 0,
    logger,
  });
  const app = buildOrbitApp({ logger, governance, axon, callers: callers.guard, ready: () => true });
  apps.push(app);
  return serve(app);
}

let axonUrl: URL;
let callers: Awaited<ReturnType<typeof testCallers>>;
let auth: Record<string, string>;
beforeAll(async () => {
  callers = await testCallers();
  auth = await callers.bearer();
  endpoint = await startInvokeEndpoint({
    governance: governanceDouble({ calls: governanceCalls }),
    'broken-governance': governanceDouble({ fail: true }),
  });
  axonApp = buildAxonApp({
    logger,
    region: REGION,
    keys: { get: (id) => (id === key.keyId ? key.secret : undefined), loaded: true },
  });
  axonUrl = new URL(await axonApp.listen({ port: 0, host: '127.0.0.1' }));
});
afterAll(async () => {
  for (const c of clients) await c.close();
  for (const l of lambdas) l.destroy();
  for (const a of apps) await a.close();
  await axonApp.close();
  await endpoint.close();
  await callers.issuer.stop();
});

const dispatch = (payload: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  url: '/dispatch',
  headers: { 'content-type': 'application/json', ...auth, ...headers },
  payload: JSON.stringify(payload),
});

describe('orbit /dispatch', () => {
  it('asks governance, signs, calls axon and returns the answer with the correlation id throughout', async () => {
    const http = await orbit({ axonUrl });
    const res = await http.request(
      dispatch(
        { intent: 'reason:summarize', payload: { text: 'hi' } },
        { 'x-correlation-id': 'corr-allowed-1' },
      ),
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-correlation-id']).toBe('corr-allowed-1');
    expect(res.json()).toMatchObject({
      status: 'dispatched',
      correlationId: 'corr-allowed-1',
      intent: 'reason:summarize',
      decision: { statementId: 'orbit-reasons-on-axon', policyRevision: 1, cached: false },
      attempts: 1,
      result: {
        status: 'ok',
        service: 'axon',
        correlationId: 'corr-allowed-1',
        keyId: key.keyId,
        payloadKeys: 1,
      },
    });
    expect(governanceCalls.at(-1)).toEqual({
      service: 'orbit',
      caller: { clientId: 'demo-app', tenant: 'acme' },
      intent: 'reason:summarize',
      correlationId: 'corr-allowed-1',
    });
  });

  it('generates a correlation id when none is given', async () => {
    const http = await orbit({ axonUrl });
    const res = await http.request(dispatch({ intent: 'reason:x' }));
    expect(res.json().correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json().result.correlationId).toBe(res.json().correlationId);
  });

  it('refuses a denied intent with 403 and the governance reason, without calling axon', async () => {
    const http = await orbit({ axonUrl: new URL('http://127.0.0.1:9') });
    const res = await http.request(dispatch({ intent: 'admin:drop-tables' }));
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      type: 'urn:axon-orbit:problem:governance-denied',
      detail: 'no statement allows orbit:admin:drop-tables',
      intent: 'admin:drop-tables',
      policyRevision: 1,
    });
  });

  it('fails closed with 503 when governance errors', async () => {
    const http = await orbit({ axonUrl, functionName: 'broken-governance' });
    const res = await http.request(dispatch({ intent: 'reason:x' }));
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      type: 'urn:axon-orbit:problem:governance-unavailable',
      detail: 'denied: governance function error',
    });
  });

  it('answers 502 when axon refuses the signature (a key axon does not know)', async () => {
    const http = await orbit({ axonUrl, signingKey: newKey() });
    const res = await http.request(dispatch({ intent: 'reason:x' }));
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({
      type: 'urn:axon-orbit:problem:axon-rejected',
      upstreamStatus: 403,
      upstreamType: 'urn:axon-orbit:problem:unknown-key',
    });
  });

  it('answers 503 with Retry-After once the breaker is open', async () => {
    const down = await scriptedServer((_req, res) => json(res, 503, {}));
    const http = await orbit({ axonUrl: down.url, breakerThreshold: 2 });
    // Two failed attempts (first try + one retry) reach the threshold: this call reports the failure...
    const first = await http.request(dispatch({ intent: 'reason:x' }));
    expect(first.statusCode).toBe(503);
    expect(first.json()).toMatchObject({ type: 'urn:axon-orbit:problem:axon-unavailable', attempts: 2 });
    // ...and the next one is refused by the open breaker without touching axon.
    const again = await http.request(dispatch({ intent: 'reason:x' }));
    expect(again.statusCode).toBe(503);
    expect(Number(again.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(again.json()).toMatchObject({ type: 'urn:axon-orbit:problem:circuit-open', attempts: 0 });
    expect(down.hits()).toBe(2);
    await down.close();
  });

  it.each([
    ['malformed JSON', { payload: '{"intent":', ct: 'application/json' }, 400, 'malformed-json'],
    ['an empty body', { payload: '', ct: 'application/json' }, 400, 'malformed-json'],
    [
      'the wrong content type',
      { payload: 'intent=x', ct: 'application/x-www-form-urlencoded' },
      415,
      'unsupported-media-type',
    ],
    ['a text body', { payload: 'reason:x', ct: 'text/plain' }, 415, 'unsupported-media-type'],
    ['a missing intent', { payload: '{"payload":{}}', ct: 'application/json' }, 400, 'validation-failed'],
    [
      'an unknown field',
      { payload: '{"intent":"reason:x","extra":1}', ct: 'application/json' },
      400,
      'validation-failed',
    ],
    [
      'an intent with spaces',
      { payload: '{"intent":"reason x"}', ct: 'application/json' },
      400,
      'validation-failed',
    ],
    [
      'a payload that is not an object',
      { payload: '{"intent":"reason:x","payload":[1]}', ct: 'application/json' },
      400,
      'validation-failed',
    ],
    [
      'a prototype-poisoning body',
      { payload: '{"intent":"reason:x","__proto__":{"a":1}}', ct: 'application/json' },
      400,
      'malformed-json',
    ],
    [
      'a payload nested 5,000 levels deep (64 KiB of brackets)',
      {
        payload: `{"intent":"reason:x","payload":{"x":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
        ct: 'application/json',
      },
      400,
      'json-too-deep',
    ],
    [
      'an oversized body',
      {
        payload: JSON.stringify({ intent: 'reason:x', payload: { p: 'x'.repeat(70_000) } }),
        ct: 'application/json',
      },
      413,
      'body-too-large',
    ],
  ])('refuses %s with a specific problem', async (_name, input, status, slug) => {
    const http = await orbit({ axonUrl });
    const res = await http.request({
      method: 'POST',
      url: '/dispatch',
      headers: { 'content-type': input.ct, ...auth },
      payload: input.payload,
    });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().type).toBe(`urn:axon-orbit:problem:${slug}`);
  });

  it('refuses a correlation id carrying an injection attempt', async () => {
    const http = await orbit({ axonUrl });
    const res = await http.request(
      dispatch({ intent: 'reason:x' }, { 'x-correlation-id': 'abc%0d%0aSet-Cookie:x=1' }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('urn:axon-orbit:problem:invalid-correlation-id');
  });

  it('reports health and the circuit state', async () => {
    const http = await orbit({ axonUrl });
    const res = await http.request({ method: 'GET', url: '/health?ready=1' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      service: 'orbit',
      ready: true,
      checks: { signingKey: 'loaded', axonCircuit: 'closed' },
    });
  });
});
