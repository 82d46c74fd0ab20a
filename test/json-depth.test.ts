import { afterAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../contracts/json-depth.js';
import { buildAxonApp } from '../services/axon/app.js';
import { memoryLogger, newKey, REGION, serve, signedReason } from './support/services.js';

/** `levels` nested arrays around `inner`, built from text so no recursive walk is needed to make it. */
function nested(levels: number, inner = '1'): unknown {
  return JSON.parse(`${'['.repeat(levels)}${inner}${']'.repeat(levels)}`);
}

describe('exceedsJsonDepth', () => {
  it('counts a top-level container as level 1 and scalars as level 0', () => {
    expect(exceedsJsonDepth(7, 0)).toBe(false);
    expect(exceedsJsonDepth(null, 0)).toBe(false);
    expect(exceedsJsonDepth({}, 0)).toBe(true);
    expect(exceedsJsonDepth({ a: [{}] }, 3)).toBe(false);
    expect(exceedsJsonDepth({ a: [{ b: [] }] }, 3)).toBe(true);
  });

  it('holds exactly the limit and refuses one level more, for arrays and objects', () => {
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    const objects = JSON.parse(`${'{"a":'.repeat(MAX_JSON_DEPTH)}1${'}'.repeat(MAX_JSON_DEPTH)}`);
    expect(exceedsJsonDepth(objects)).toBe(false);
    expect(exceedsJsonDepth({ wrap: objects })).toBe(true);
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    expect(exceedsJsonDepth(nested(100_000))).toBe(true);
  });

  it('agrees with a recursive depth count on arbitrary JSON', () => {
    const depth = (v: unknown): number =>
      typeof v === 'object' && v !== null
        ? 1 + Math.max(0, ...(Array.isArray(v) ? v : Object.values(v)).map(depth))
        : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, limit) => {
        expect(exceedsJsonDepth(value, limit)).toBe(depth(value) > limit);
      }),
    );
  });
});

describe('Axon /reason refuses a signed body nested too deep', () => {
  const apps: FastifyInstance[] = [];
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('answers 400 json-too-deep naming the limit (after the signature check)', async () => {
    const key = newKey();
    const app = buildAxonApp({
      logger: memoryLogger('axon').logger,
      region: REGION,
      keys: { get: (id) => (id === key.keyId ? key.secret : undefined), loaded: true },
    });
    apps.push(app);
    const http = await serve(app);
    const body = `{"intent":"reason:deep","payload":{"x":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
    const res = await http.request({ method: 'POST', ...(await signedReason(key, body)) });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({
      type: 'urn:axon-orbit:problem:json-too-deep',
      detail: 'the body nests arrays or objects more than 32 levels deep; the limit is 32',
      maxDepth: 32,
    });
    const fine = `{"intent":"reason:deep","payload":{"x":${'['.repeat(30)}${']'.repeat(30)}}}`;
    expect((await http.request({ method: 'POST', ...(await signedReason(key, fine)) })).statusCode).toBe(200);
  });
});
