import { latencies, ms, runLoad } from '../harness/load.js';
import { LocalPlatform, UNHURRIED } from '../harness/platform.js';
import { check, type Scenario, timingCheck } from '../harness/scenario.js';

/** The noisy caller's own bucket; everyone else keeps the (unreachable) default. */
const NOISY = 'batch-reports';
const NOISY_LIMIT = { perSecond: 2, burst: 2 };

/**
 * One caller far over its limit beside a well-behaved one: the noisy caller gets 429s (with
 * Retry-After) and never a 5xx, and the quiet caller's success rate and p99 stay what they were
 * alone, measured on the same platform just before.
 */
export const noisyCallerScenario: Scenario = {
  name: 'noisy-caller',
  description: `${NOISY} over its ${NOISY_LIMIT.perSecond}/s limit; demo-app unaffected`,
  async run(size) {
    const full = size === 'full';
    const durationMs = full ? 20_000 : 2_000;
    const platform = await LocalPlatform.start({
      ...UNHURRIED,
      rateLimits: {
        default: { '*': { perSecond: 1_000_000, burst: 1_000_000 } },
        callers: { [NOISY]: { reason: NOISY_LIMIT } },
      },
    });
    try {
      const quiet = async () =>
        runLoad({
          url: platform.orbit.url,
          authorization: await platform.bearer('demo-app'),
          connections: 4,
          pauseMs: 20,
          durationMs,
          requestTimeoutMs: 10_000,
        });
      const alone = await quiet();
      const [beside, noisy] = await Promise.all([
        quiet(),
        runLoad({
          url: platform.orbit.url,
          authorization: await platform.bearer(NOISY),
          connections: full ? 40 : 10,
          durationMs,
          requestTimeoutMs: 10_000,
        }),
      ]);
      const success = (r: typeof alone) =>
        r.records.filter((x) => x.status === 200).length / r.records.length;
      const p99 = (r: typeof alone) => latencies(r.records.filter((x) => x.status === 200)).p99;
      const throttled = noisy.records.filter((r) => r.status === 429).length;
      const noisyOk = noisy.records.filter((r) => r.status === 200).length;
      const fiveXx = [...beside.records, ...noisy.records].filter((r) => r.status >= 500).length;
      // The bucket admits its burst plus its rate over the run, with a second of slack for timing.
      const admissible = NOISY_LIMIT.burst + NOISY_LIMIT.perSecond * (noisy.elapsedMs / 1000 + 1);
      // "Unchanged" on a shared 2-core machine: within 2× and 50 ms of the quiet caller's own p99 alone.
      const p99Bound = Math.max(2 * p99(alone), p99(alone) + 50);
      return {
        figures: [
          ['quiet alone: success, p99', `${(100 * success(alone)).toFixed(2)} %, ${ms(p99(alone))}`],
          ['quiet beside noisy: success, p99', `${(100 * success(beside)).toFixed(2)} %, ${ms(p99(beside))}`],
          ['noisy: sent, 200, 429', `${noisy.records.length}, ${noisyOk}, ${throttled}`],
          ['5xx', String(fiveXx)],
        ],
        checks: [
          check('the noisy caller was throttled', throttled > 0, JSON.stringify(noisy.accounting.byStatus)),
          check(
            'the noisy caller got no more than its bucket admits',
            noisyOk <= admissible,
            `${noisyOk} admitted, at most ${admissible.toFixed(0)}`,
          ),
          check('zero 5xx', fiveXx === 0, `${fiveXx}`),
          check(
            'the quiet caller always succeeded',
            success(beside) === 1,
            JSON.stringify(beside.accounting.byStatus),
          ),
          timingCheck(
            "the quiet caller's p99 is unchanged",
            p99(beside) <= p99Bound,
            `${ms(p99(beside))} beside, ${ms(p99(alone))} alone (bound ${ms(p99Bound)})`,
          ),
        ],
      };
    } finally {
      await platform.close();
    }
  },
};
