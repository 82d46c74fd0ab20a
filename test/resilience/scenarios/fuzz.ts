import { startFuzzEnvironment } from '../fuzz/environment.js';
import { SURFACES } from '../fuzz/surfaces.js';
import { type Check, check, type Scenario } from '../harness/scenario.js';

/** Heap growth (after a full GC) a 10,000-case run may show; anything more is a leak to look at. */
const HEAP_BUDGET_MB = 64;

/**
 * fast-check against every input surface, in-process (Fastify `inject`, direct handler calls):
 * no 5xx, no crash, no unexpected acceptance, bounded heap.
 */
export const fuzzScenario: Scenario = {
  name: 'fuzz',
  description:
    'fast-check: dispatch body, headers, signatures, policy documents, governance events, admin operations',
  async run(size) {
    const runs = size === 'full' ? 10_000 : 300;
    const env = await startFuzzEnvironment('inject');
    try {
      const figures: [string, string][] = [];
      const checks: Check[] = [];
      for (const surface of SURFACES) {
        const report = await surface.run(env, runs);
        const heap =
          report.heapGrowthMb === undefined ? 'heap n/a' : `heap ${report.heapGrowthMb.toFixed(1)} MB`;
        figures.push([
          surface.name,
          `${report.cases} cases, ${(report.elapsedMs / 1000).toFixed(1)} s, ${heap}`,
        ]);
        checks.push(
          check(
            `${surface.name}: every case held`,
            report.failure === undefined,
            report.failure ?? JSON.stringify(report.outcomes),
          ),
          check(`${surface.name}: ${runs} cases ran`, report.cases >= runs, `${report.cases}`),
          check(
            `${surface.name}: heap bounded`,
            report.heapGrowthMb === undefined || report.heapGrowthMb < HEAP_BUDGET_MB,
            heap,
          ),
        );
      }
      return { figures, checks };
    } finally {
      await env.close();
    }
  },
};
