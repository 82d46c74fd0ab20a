import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import Fastify from 'fastify';
import {
  CORRELATION_ATTRIBUTE,
  inClientSpan,
  propagateTraceOnAwsCalls,
  Tracing,
  traceHeaders,
  traceRequests,
} from './tracing.js';

const CALLER_TRACE = '1-67891233-abcdef012345678912345678';
const CALLER_PARENT = '463ac35c9f6413ad';

describe('tracing off (no collector endpoint)', () => {
  it('records nothing and propagates nothing', async () => {
    const tracing = Tracing.start({ serviceName: 'orbit', environment: 'local' });
    const headers = await inClientSpan('noop', {}, async (h) => h);
    expect(headers).toEqual({});
    expect(traceHeaders()).toEqual({});
    await tracing.shutdown();
  });
});

describe('tracing on', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let seen: IncomingHttpHeaders | undefined;
  const lambdaServer = createServer((req, res) => {
    seen = req.headers;
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
  });

  beforeAll(async () => {
    tracing = Tracing.start({
      serviceName: 'orbit',
      environment: 'dev',
      processor: new SimpleSpanProcessor(exporter),
    });
    await new Promise<void>((resolve) => lambdaServer.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await tracing.shutdown();
    await new Promise((resolve) => lambdaServer.close(resolve));
  });

  it('continues the caller trace in a server span with the correlation id, and carries it to downstream calls', async () => {
    const app = Fastify({ genReqId: (req) => String(req.headers['x-correlation-id']) });
    traceRequests(app, tracing.tracer, (request) => request.id);
    const port = (lambdaServer.address() as AddressInfo).port;
    const lambda = new LambdaClient({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${port}`,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    propagateTraceOnAwsCalls(lambda);
    let downstream: Record<string, string> = {};
    app.post('/dispatch', async () => {
      await inClientSpan('governance.invoke', { 'rpc.service': 'Lambda' }, () =>
        lambda.send(new InvokeCommand({ FunctionName: 'governance', Payload: Buffer.from('{}') })),
      );
      downstream = await inClientSpan('axon.reason', {}, async (headers) => headers);
      return { ok: true };
    });

    await app.listen({ port: 0, host: '127.0.0.1' });
    const response = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/dispatch`, {
      method: 'POST',
      headers: {
        'x-correlation-id': 'corr-12345678',
        'x-amzn-trace-id': `Root=${CALLER_TRACE};Parent=${CALLER_PARENT};Sampled=1`,
      },
    });
    await app.close();
    expect(response.status).toBe(200);
    lambda.destroy();

    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.name === 'POST /dispatch');
    const invoke = spans.find((s) => s.name === 'governance.invoke');
    const axon = spans.find((s) => s.name === 'axon.reason');
    if (!server || !invoke || !axon) throw new Error(`missing spans: ${spans.map((s) => s.name).join(', ')}`);

    const xrayTraceId = CALLER_TRACE.replace(/-/g, '').slice(1);
    expect(server.spanContext().traceId).toBe(xrayTraceId);
    expect(server.parentSpanContext?.spanId).toBe(CALLER_PARENT);
    expect(server.attributes[CORRELATION_ATTRIBUTE]).toBe('corr-12345678');
    expect(server.attributes['http.response.status_code']).toBe(200);
    for (const child of [invoke, axon]) {
      expect(child.spanContext().traceId).toBe(xrayTraceId);
      expect(child.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    }
    expect(seen?.['x-amzn-trace-id']).toBe(
      `Root=${CALLER_TRACE};Parent=${invoke.spanContext().spanId};Sampled=1`,
    );
    expect(downstream['x-amzn-trace-id']).toBe(
      `Root=${CALLER_TRACE};Parent=${axon.spanContext().spanId};Sampled=1`,
    );
  });

  it('marks a client span failed when the call throws, and rethrows', async () => {
    await expect(
      inClientSpan('axon.reason', {}, async () => {
        throw new Error('connection refused');
      }),
    ).rejects.toThrow('connection refused');
    const failed = exporter.getFinishedSpans().at(-1);
    expect(failed?.status).toEqual({ code: 2, message: 'connection refused' });
  });
});
