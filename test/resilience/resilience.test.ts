import { describe, expect, it } from '@jest/globals';
import { SCENARIOS } from './scenarios/index.js';

// The short variants of `npm run resilience` against the same loopback platform (Axon and Orbit as
// processes). Checks whose bound is a configured time are printed by `npm run resilience`, not
// enforced here: a shared CI core may stall longer than a timeout without anything being wrong.
describe('resilience scenarios (short variants)', () => {
  for (const scenario of SCENARIOS.filter((s) => s.name !== 'fuzz')) {
    it(`${scenario.name}: ${scenario.description}`, async () => {
      const result = await scenario.run('short');
      const failed = result.checks.filter((c) => !c.ok && !c.timing).map((c) => `${c.name}: ${c.detail}`);
      expect(failed).toEqual([]);
      expect(result.checks.filter((c) => !c.timing).length).toBeGreaterThan(2);
    }, 60_000);
  }
});
