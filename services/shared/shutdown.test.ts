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
  app.get('/slow', async () => {
    await new Promise((r) => setTimeout(r, delayMs).unref());
    return { done: true };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

describe('graceful drain', () => {
  it('lets an in-flight request finish, refuses new connections, and reports a complete drain', async () => {
    const { app, url } = await slowApp(300);
    const inflight = request(`${url}/slow`);
    await new Promise((r) => setTimeout(r, 50));
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

  it('cuts requests still running at the deadline so the process can exit in time', async () => {
    const { app, url } = await slowApp(10_000);
    const inflight = request(`${url}/slow`).catch((err: unknown) => err);
    pending.push(inflight);
    await new Promise((r) => setTimeout(r, 50));
    await expect(drain(app, { drainMs: 200 })).resolves.toBe(false);
    await expect(inflight).resolves.toBeInstanceOf(Error);
  });
});
