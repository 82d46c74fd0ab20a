import { latencies, ms, runLoad } from '../harness/load.js';
import { LocalPlatform, UNHURRIED } from '../harness/platform.js';
import { check, type Scenario } from '../harness/scenario.js';

/**
 * Sustained load on `/dispatch` through the whole path (governance decision, signed call to Axon):
 * every request id answered exactly once, no 5xx; latency percentiles are reported, not judged.
 */
export const loadScenario: Scenario = {
  name: 'load',
  description: '200 connections × 30 s on /dispatch',
  async run(size) {
    const connections = size === 'full' ? 200 : 20;
    const durationMs = size === 'full' ? 30_000 : 1_500;
    // About answers under concurrency; timeout behaviour is axon-dies' and governance-faults' subject.
    const platform = await LocalPlatform.start(UNHURRIED);
    try {
      const result = await runLoad({
        url: platform.orbit.url,
        authorization: await platform.bearer(),
        connections,
        durationMs,
        requestTimeoutMs: 10_000,
      });
      const a = result.accounting;
      const fiveXx = result.records.filter((r) => r.status >= 500).length;
      const ok = result.records.filter((r) => r.status === 200);
      const lat = latencies(ok);
      return {
        figures: [
          ['connections', String(connections)],
          ['requests', String(a.sent)],
          ['rps', (a.sent / (result.elapsedMs / 1000)).toFixed(0)],
          ['p50', ms(lat.p50)],
          ['p95', ms(lat.p95)],
          ['p99', ms(lat.p99)],
          ['max', ms(lat.max)],
          ['5xx', String(fiveXx)],
          ['lost', String(a.lost)],
          ['dup', String(a.duplicated)],
        ],
        checks: [
          check('requests were made', a.sent > connections, `${a.sent} sent`),
          check('zero 5xx', fiveXx === 0, JSON.stringify(a.byStatus)),
          check('every request answered', a.lost === 0, `${a.lost} lost, ${a.hung} hung`),
          check('no duplicated answers', a.duplicated === 0, `${a.duplicated} duplicated`),
          check('every answer carries its own id', a.mismatched === 0, `${a.mismatched} mismatched`),
          check('every answer is a dispatch', ok.length === a.sent, JSON.stringify(a.byStatus)),
        ],
      };
    } finally {
      await platform.close();
    }
  },
};
