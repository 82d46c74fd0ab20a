import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { memoryLogger } from '../../test/support/services.js';
import { createServiceApp } from './http.js';
import { drain } from './shutdown.js';

const { logger } = memoryLogger('test');
const pending: Promise<unknown>[] = [];
afterAll(() => Promise.allSettled(pending));

/** An app with one slow route, standing in for a dispatch that is waiting on Axon. */
async function slowApp(delayMs: number) {
  const app = createServiceApp({ logger, bodyLimit: 1024 });
  let entered: () => void = () => undefined;
  /** Resolves when the first /slow request is being handled: a request in flight, not a sleep's guess. */
  const inHandler = new Promise<void>((resolve) => {
    entered = resolve;
  });
  app.get('/slow', async () => {
    entered();
    await new Promise((r) => setTimeout(r, delayMs).unref());
    return { done: true };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, inHandler };
}

/** Resolves once the drain has closed the listening socket: the state, not a sleep's guess. */
async function listenerClosed(app: { server: { listening: boolean } }): Promise<void> {
  while (app.server.listening) await new Promise((r) => setImmediate(r));
}

/** Everything the server writes on one raw connection until it closes it. */
function readUntilClosed(socket: Socket): Promise<string> {
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return new Promise((resolve) => socket.on('close', () => resolve(text)));
}

describe('graceful drain', () => {
  it('lets an in-flight request finish, refuses new connections, and reports a complete drain', async () => {
    const { app, url, inHandler } = await slowApp(300);
    const inflight = request(`${url}/slow`);
    await inHandler;
    let closed = false;
    const drained = drain(app, {
      drainMs: 5_000,
      onClosed: () => {
        closed = true;
      },
    });
    await listenerClosed(app);
    await expect(request(`${url}/slow`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const res = await inflight;
    expect(res.statusCode).toBe(200);
    await expect(res.body.json()).resolves.toEqual({ done: true });
    await expect(drained).resolves.toBe(true);
    expect(closed).toBe(true);
  });

  it('answers a request that arrives on an open connection during the drain with 503 problem+json', async () => {
    // A raw connection, so the second request is written exactly while the first is in the handler
    // and the drain has begun: Node reads it at once (pipelining) and Fastify must refuse it.
    const { app, url, inHandler } = await slowApp(300);
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    const answers = readUntilClosed(socket);
    socket.write('GET /slow HTTP/1.1\r\nhost: localhost\r\n\r\n');
    await inHandler;
    const drained = drain(app, { drainMs: 5_000 });
    socket.write('GET /slow HTTP/1.1\r\nhost: localhost\r\nx-correlation-id: late-request-1\r\n\r\n');
    await expect(drained).resolves.toBe(true);
    const [first, late] = (await answers).split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(late).toMatch(/^HTTP\/1\.1 503 /);
    expect(late).toMatch(/\r\ncontent-type: application\/problem\+json; charset=utf-8\r\n/i);
    expect(late).toMatch(/\r\nretry-after: 1\r\n/i);
    const body = JSON.parse(late?.slice(late.indexOf('\r\n\r\n') + 4) ?? '') as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'urn:axon-orbit:problem:shutting-down',
      correlationId: 'late-request-1',
    });
  });

  it('cuts requests still running at the deadline so the process can exit in time', async () => {
    const { app, url, inHandler } = await slowApp(10_000);
    const inflight = request(`${url}/slow`).catch((err: unknown) => err);
    pending.push(inflight);
    await inHandler;
    await expect(drain(app, { drainMs: 200 })).resolves.toBe(false);
    await expect(inflight).resolves.toBeInstanceOf(Error);
  });
});
