import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type FuzzEnvironment, startFuzzEnvironment } from './fuzz/environment.js';
import { SURFACES } from './fuzz/surfaces.js';

// The same properties `npm run resilience` runs 10,000 times per surface in-process; here fewer cases
// over real loopback HTTP, since Fastify's `inject` cannot load under jest.
const RUNS = 100;

let env: FuzzEnvironment;
beforeAll(async () => {
  env = await startFuzzEnvironment('loopback');
});
afterAll(async () => {
  await env.close();
});

describe('fuzzing every input surface', () => {
  for (const surface of SURFACES) {
    it(surface.name, async () => {
      const report = await surface.run(env, RUNS);
      expect(report.failure).toBeUndefined();
      expect(report.cases).toBe(RUNS);
      expect(Object.keys(report.outcomes).length).toBeGreaterThan(0);
    }, 30_000);
  }
});
