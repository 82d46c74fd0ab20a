import { describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { memoryLogger } from '../../test/support/services.js';
import { createServiceApp } from './http.js';

/** A service app whose one route logs at debug, info and warn, with its logger at `level`. */
async function appLoggingAt(level: 'debug' | 'warn') {
  const { logger, lines } = memoryLogger('lazy');
  logger.level = level;
  const app = createServiceApp({ logger, bodyLimit: 1024 });
  app.get('/x', async (request) => {
    request.log.debug({ step: 1 }, 'debug line');
    request.log.info({ step: 2 }, 'info line');
    request.log.warn({ step: 3 }, 'warn line');
    request.log.child({ part: 'inner' }).warn('child line');
    return { ok: true };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const res = await request(`${url}/x`, { headers: { 'x-correlation-id': 'corr-lazy-1' } });
  await res.body.dump();
  await app.close();
  expect(res.statusCode).toBe(200);
  return lines().filter((line) => line.correlationId === 'corr-lazy-1');
}

describe('per-request loggers made on first enabled line', () => {
  it('writes every enabled line with the request correlation id, as an eager child would', async () => {
    const written = await appLoggingAt('debug');
    expect(written.map((line) => line.msg)).toEqual([
      'debug line',
      'info line',
      'warn line',
      'child line',
      'request completed',
    ]);
    expect(written.find((line) => line.msg === 'child line')).toMatchObject({ part: 'inner', level: 'warn' });
  });

  it('writes nothing below the logger level, and the lines above it unchanged', async () => {
    const written = await appLoggingAt('warn');
    expect(written.map((line) => [line.msg, line.level, line.step])).toEqual([
      ['warn line', 'warn', 3],
      ['child line', 'warn', undefined],
    ]);
  });
});
