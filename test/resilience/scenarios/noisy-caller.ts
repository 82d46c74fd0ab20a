import { type LoadResult, latencies, ms, type RequestRecord, runLoad } from '../harness/load.js';
import { LocalPlatform, UNHURRIED } from '../harness/platform.js';
import { check, type Scenario, timingCheck } from '../harness/scenario.js';

/** The noisy caller's own bucket; everyone else keeps the (unreachable) default. */
const NOISY = 'batch-reports';
const NOISY_LIMIT = { perSecond: 2, burst: 2 };

/** Records of a phase once its load clients are warm (their process start is not what is measured). */
function settled(result: LoadResult, warmupMs: number): RequestRecord[] {
  const first = Math.min(...result.records.map((r) => r.start));
  return result.records.filter((r) => r.start >= first + warmupMs);
}

const successRate = (records: readonly RequestRecord[]) =>
  records.filter((r) => r.status === 200).length / Math.max(1, records.length);

/**
 * One caller far over its limit beside a well-behaved one. The noisy caller gets 429s (with
 * Retry-After) up to what its bucket admits and never a 5xx; the quiet caller's success rate and p99
 * stay what they are alone. "Alone" is measured on the same platform in the same run, in phases that
 * alternate with the noisy ones, so a machine busy with other work weighs on both alike. The noisy
 * caller is paced like the quiet one (4 connections, 20 ms between requests: many times its limit),
 * as a misbehaving client is; a flood is the load balancer's WAF rate rule's to stop, before Orbit
 * spends anything on it.
 */
export const noisyCallerScenario: Scenario = {
  name: 'noisy-caller',
  description: `${NOISY} far over its ${NOISY_LIMIT.perSecond}/s limit; demo-app unaffected`,
  async run(size) {
    const full = size === 'full';
    const cycles = full ? 3 : 1;
    const phaseMs = full ? 6_000 : 2_000;
    const warmupMs = full ? 1_000 : 400;
    const platform = await LocalPlatform.start({
      ...UNHURRIED,
      rateLimits: {
        default: { '*': { perSecond: 1_000_000, burst: 1_000_000 } },
        callers: { [NOISY]: { reason: NOISY_LIMIT } },
      },
    });
    try {
      const quietAuth = await platform.bearer('demo-app');
      const noisyAuth = await platform.bearer(NOISY);
      // Warm both paths first (JIT, connection pools, token and decision caches): a cold first request
      // is not what either phase measures. The noisy caller's bucket refills while the quiet one runs alone.
      for (const authorization of [quietAuth, quietAuth, quietAuth, noisyAuth]) {
        await platform.dispatch('reason:warm-up', authorization);
      }
      const quiet = () =>
        runLoad({
          url: platform.orbit.url,
          authorization: quietAuth,
          connections: 4,
          pauseMs: 20,
          durationMs: phaseMs,
          requestTimeoutMs: 10_000,
        });
      const noisy = () =>
        runLoad({
          url: platform.orbit.url,
          authorization: noisyAuth,
          connections: 4,
          pauseMs: 20,
          durationMs: phaseMs,
          requestTimeoutMs: 10_000,
        });
      const alone: RequestRecord[] = [];
      const beside: RequestRecord[] = [];
      const noisyRuns: LoadResult[] = [];
      for (let cycle = 0; cycle < cycles; cycle++) {
        alone.push(...settled(await quiet(), warmupMs));
        const [quietRun, noisyRun] = await Promise.all([quiet(), noisy()]);
        beside.push(...settled(quietRun, warmupMs));
        noisyRuns.push(noisyRun);
      }
      const noisyRecords = noisyRuns.flatMap((r) => r.records);
      const throttled = noisyRecords.filter((r) => r.status === 429).length;
      const noisyOk = noisyRecords.filter((r) => r.status === 200).length;
      const fiveXx = [...beside, ...noisyRecords].filter((r) => r.status >= 500 || r.status === 0).length;
      // Each noisy phase starts with a full bucket (it refills while the quiet caller runs alone), then
      // its rate over the phase, with a second of slack for timing.
      const admissible = noisyRuns.reduce(
        (n, r) => n + NOISY_LIMIT.burst + NOISY_LIMIT.perSecond * (r.elapsedMs / 1000 + 1),
        0,
      );
      const noisyRate = noisyRecords.length / noisyRuns.reduce((s, r) => s + r.elapsedMs / 1000, 0);
      const p99Alone = latencies(alone.filter((r) => r.status === 200)).p99;
      const p99Beside = latencies(beside.filter((r) => r.status === 200)).p99;
      // "Unchanged" on a small shared machine: within 2× or 50 ms of the quiet caller's own p99 alone.
      const p99Bound = Math.max(2 * p99Alone, p99Alone + 50);
      const byStatus = (records: readonly RequestRecord[]) =>
        JSON.stringify(
          records.reduce<Record<string, number>>((acc, r) => {
            const key = r.status === 0 ? (r.error ?? 'error') : String(r.status);
            acc[key] = (acc[key] ?? 0) + 1;
            return acc;
          }, {}),
        );
      return {
        figures: [
          [
            'quiet alone: requests, success, p99',
            `${alone.length}, ${(100 * successRate(alone)).toFixed(2)} %, ${ms(p99Alone)}`,
          ],
          [
            'quiet beside noisy: requests, success, p99',
            `${beside.length}, ${(100 * successRate(beside)).toFixed(2)} %, ${ms(p99Beside)}`,
          ],
          [
            'noisy: sent, rate, 200, 429',
            `${noisyRecords.length}, ${noisyRate.toFixed(0)}/s, ${noisyOk}, ${throttled}`,
          ],
          ['5xx or no answer', String(fiveXx)],
        ],
        checks: [
          check('the noisy caller was throttled', throttled > 0, byStatus(noisyRecords)),
          check(
            'the noisy caller got no more than its bucket admits',
            noisyOk <= admissible,
            `${noisyOk} admitted, at most ${admissible.toFixed(0)}`,
          ),
          check(
            'every noisy request was answered 200 or 429',
            noisyOk + throttled === noisyRecords.length,
            byStatus(noisyRecords),
          ),
          check('zero 5xx', fiveXx === 0, `${fiveXx}`),
          check('the quiet caller always succeeded alone', successRate(alone) === 1, byStatus(alone)),
          check(
            'the quiet caller always succeeded beside the noisy one',
            successRate(beside) === 1,
            byStatus(beside),
          ),
          timingCheck(
            "the quiet caller's p99 is unchanged",
            p99Beside <= p99Bound,
            `${ms(p99Beside)} beside, ${ms(p99Alone)} alone (bound ${ms(p99Bound)})`,
          ),
        ],
      };
    } finally {
      await platform.close();
    }
  },
};
