import { afterAll, describe, expect, it } from '@jest/globals';
import { Client, request } from 'undici';
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

/** One slow request in flight, a drain, then a second request pipelined on the same connection. */
async function lateDuringDrain() {
  const { app, url } = await slowApp(300);
  const client = new Client(url, { pipelining: 2 });
  const first = client.request({ path: '/slow', method: 'GET' });
  await new Promise((r) => setTimeout(r, 50));
  const drained = drain(app, { drainMs: 5_000 });
  const late = await client
    .request({ path: '/slow', method: 'GET', headers: { 'x-correlation-id': 'late-request-1' } })
    .catch(() => undefined);
  if (!late) {
    await Promise.allSettled([first, drained]);
    await client.destroy();
  }
  return { late, first, drained, client };
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
    await new Promise((r) => setTimeout(r, 50));
    await expect(request(`${url}/slow`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const res = await inflight;
    expect(res.statusCode).toBe(200);
    await expect(res.body.json()).resolves.toEqual({ done: true });
    await expect(drained).resolves.toBe(true);
    expect(closed).toBe(true);
  });

  it('answers a request that arrives on an open connection during the drain with 503 problem+json', async () => {
    // Whether the pipelined request is read before the connection closes is up to the scheduler; a
    // request the server never read is refused without an answer (the client retries it), so try a
    // few times until one is read: every answer that does come must be the 503 problem.
    let attempt: Awaited<ReturnType<typeof lateDuringDrain>> | undefined;
    for (let i = 0; i < 5 && !attempt?.late; i++) attempt = await lateDuringDrain();
    const { late, first, drained, client } = attempt ?? {};
    if (!late || !first || !drained || !client) throw new Error('no late request was read in 5 tries');
    expect(late.statusCode).toBe(503);
    expect(late.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(late.headers['retry-after']).toBe('1');
    await expect(late.body.json()).resolves.toMatchObject({
      type: 'urn:axon-orbit:problem:shutting-down',
      correlationId: 'late-request-1',
    });
    expect((await first).statusCode).toBe(200);
    await expect(drained).resolves.toBe(true);
    await client.close();
  });

  it('cuts requests still running at the deadline so the process can exit in time', async () => {
    const { app, url } = await slowApp(10_000);
    const inflight = request(`${url}/slow`).catch((err: unknown) => err);
    pending.push(inflight);
    await new Promise((r) => setTimeout(r, 50));
    await expect(drain(app, { drainMs: 200 })).resolves.toBe(false);
    await expect(inflight).resolves.toBeInstanceOf(Error);
  });
});
