import { connect } from 'node:net';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { MAX_JSON_DEPTH } from '../contracts/json-depth.js';
import { type InvokeEndpoint, startInvokeEndpoint } from '../local/invoke-endpoint.js';
import { buildAxonApp } from '../services/axon/app.js';
import { buildOrbitApp } from '../services/orbit/app.js';
import { AxonClient } from '../services/orbit/axon-client.js';
import { GovernanceClient } from '../services/orbit/governance.js';
import { testCallers } from './support/callers.js';
import { governanceDouble, localLambdaClient } from './support/fakes.js';
import { deepDispatchBody, deepJsonText, isTooDeepJson } from './support/json-arbitraries.js';
import { memoryLogger, newKey, REGION, serve, signedReason } from './support/services.js';

/**
 * Property tests of the HTTP surface: whatever arrives (method, path, content type, body, correlation
 * id, signature), the answer is a 2xx or a 4xx problem+json — never a 5xx, never a crash.
 */
const key = newKey();
const { logger } = memoryLogger('fuzz');
let endpoint: InvokeEndpoint;
let lambda: LambdaClient;
let axonApp: FastifyInstance;
let orbitApp: FastifyInstance;
let axonClient: AxonClient;
let axon: Awaited<ReturnType<typeof serve>>;
let orbit: Awaited<ReturnType<typeof serve>>;

let callers: Awaited<ReturnType<typeof testCallers>>;
let token: Record<string, string>;
beforeAll(async () => {
  callers = await testCallers();
  token = await callers.bearer();
  endpoint = await startInvokeEndpoint({ governance: governanceDouble() });
  lambda = localLambdaClient(endpoint.url);
  axonApp = buildAxonApp({
    logger,
    region: REGION,
    keys: { get: (id) => (id === key.keyId ? key.secret : undefined), loaded: true },
  });
  axon = await serve(axonApp);
  axonClient = new AxonClient({
    baseUrl: new URL(axon.url),
    region: REGION,
    keys: { current: () => key },
    attemptTimeoutMs: 2_000,
    retries: 0,
    breakerThreshold: 1_000,
    halfOpenAfterMs: 1_000,
    logger,
  });
  orbitApp = buildOrbitApp({
    logger,
    governance: new GovernanceClient({
      lambda,
      functionName: 'governance',
      timeoutMs: 2_000,
      cacheTtlMs: 1_000,
      logger,
    }),
    axon: axonClient,
    callers: callers.guard,
    ready: () => true,
  });
  orbit = await serve(orbitApp);
});

afterAll(async () => {
  await orbitApp.close();
  await callers.issuer.stop();
  await axonClient.close();
  await axonApp.close();
  lambda.destroy();
  await endpoint.close();
});

const printable = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/xml',
  'multipart/form-data',
  '',
);
const jsonish = fc.oneof(
  fc.json(),
  fc.string(),
  fc
    .record({
      intent: fc.oneof(fc.string(), fc.constantFrom('reason:a', 'admin:x', '')),
      payload: fc.anything(),
    })
    .map((v) => JSON.stringify(v)),
  fc.constant('{"intent":"reason:x","__proto__":{"polluted":true}}'),
  deepJsonText,
  deepDispatchBody,
);

/** A JSON body nested too deep is refused for its depth, by name, once the request gets that far. */
function expectDepthRefusal(res: { statusCode: number; body: string }) {
  expect(res.statusCode).toBe(400);
  expect(JSON.parse(res.body)).toMatchObject({
    type: 'urn:axon-orbit:problem:json-too-deep',
    maxDepth: MAX_JSON_DEPTH,
  });
}

function expectClean(res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  expect(res.statusCode).toBeLessThan(500);
  if (res.statusCode >= 400) {
    expect(String(res.headers['content-type'])).toContain('application/problem+json');
    const problem = JSON.parse(res.body) as { type: string; status: number };
    expect(problem.type).toMatch(/^urn:axon-orbit:problem:[a-z-]+$/);
    expect(problem.status).toBe(res.statusCode);
  }
}

describe('HTTP surface fuzz (fast-check)', () => {
  it('orbit answers any request with 2xx or a 4xx problem', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.constantFrom('/dispatch', '/health', '/dispatch?x=1', '/nope', '/dispatch/../health'),
        contentType,
        jsonish,
        fc.option(printable),
        fc.boolean(),
        async (method, url, ct, payload, correlation, authenticated) => {
          const headers: Record<string, string> = authenticated ? { ...token } : {};
          if (ct) headers['content-type'] = ct;
          if (correlation !== null) headers['x-correlation-id'] = correlation;
          const res = await orbit.request({ method, url, headers, ...(method === 'GET' ? {} : { payload }) });
          expectClean(res);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('orbit refuses a dispatch body nested too deep by its depth, however deep', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(deepJsonText, deepDispatchBody), async (payload) => {
        const res = await orbit.request({
          method: 'POST',
          url: '/dispatch',
          headers: { ...token, 'content-type': 'application/json' },
          payload,
        });
        expectClean(res);
        if (isTooDeepJson(payload)) expectDepthRefusal(res);
      }),
      { numRuns: 40 },
    );
  });

  it('axon refuses anything unsigned, garbled or tampered with a 4xx problem', async () => {
    let nonce = 0;
    await fc.assert(
      fc.asyncProperty(
        jsonish,
        fc.constantFrom('none', 'garbled', 'tampered', 'valid'),
        printable,
        async (payload, mode, garbage) => {
          // A nonce per request: an identical payload signed in the same second would be a replay.
          const signed = await signedReason(key, payload, { headers: { 'x-axon-nonce': String(nonce++) } });
          const headers: Record<string, string> = { ...signed.headers };
          if (mode === 'none') delete headers.authorization;
          if (mode === 'garbled') headers.authorization = `AWS4-HMAC-SHA256 ${garbage}`;
          const body = mode === 'tampered' ? `${payload} ` : payload;
          const res = await axon.request({ method: 'POST', url: '/reason', headers, payload: body });
          expectClean(res);
          if (mode !== 'valid') expect([401, 403, 415]).toContain(res.statusCode);
          else if (isTooDeepJson(payload)) expectDepthRefusal(res);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers header injection and unparseable requests at the socket with a 400 problem', async () => {
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const { port } = new URL(orbit.url);
        const socket = connect(Number(port), '127.0.0.1', () => socket.write(text));
        let data = '';
        socket.on('data', (chunk) => {
          data += chunk.toString('utf8');
        });
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
    const injected = await raw(
      'GET /health HTTP/1.1\r\nHost: x\r\nx-correlation-id: abc\rSet-Cookie: a=1\r\n\r\n',
    );
    expect(injected).toMatch(/^HTTP\/1\.1 400 /);
    expect(injected).toContain('application/problem+json');
    expect(injected).toContain('urn:axon-orbit:problem:malformed-request');
    const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
  });
});
