import { latencies, ms, type RequestRecord, startLoad } from '../harness/load.js';
import { LocalPlatform } from '../harness/platform.js';
import { check, type Scenario, sleep, timingCheck } from '../harness/scenario.js';

/** Requests wholly inside a phase: sent after it began and answered before it ended. */
const between = (records: readonly RequestRecord[], from: number, to: number) =>
  records.filter((r) => r.start >= from && r.end <= to);
const firstEnd = (records: readonly RequestRecord[], predicate: (r: RequestRecord) => boolean) =>
  records.filter(predicate).reduce((min, r) => Math.min(min, r.end), Number.POSITIVE_INFINITY);
const lastStart = (records: readonly RequestRecord[], predicate: (r: RequestRecord) => boolean) =>
  records.filter(predicate).reduce((max, r) => Math.max(max, r.start), Number.NEGATIVE_INFINITY);

/**
 * Governance becomes slow (answers after 3× Orbit's timeout), then unreachable, then fails, then
 * recovers, while load runs. Orbit keeps serving allows it already has for at most its decision-cache
 * TTL, then denies (503 governance-unavailable, fail closed) no later than its governance timeout;
 * when governance is back, dispatches succeed again.
 */
export const governanceFaultsScenario: Scenario = {
  name: 'governance-faults',
  description: 'governance slow, down, failing, back: fail closed within the timeout, cache expiry, recovery',
  async run(size) {
    const full = size === 'full';
    const ttl = full ? 2_000 : 600;
    const timeout = 1_000;
    const phase = full
      ? { warm: 1_500, slow: ttl + 2_500, down: 2_000, error: 1_500, up: 3_000 }
      : { warm: 500, slow: ttl + timeout + 600, down: 500, error: 400, up: 1_500 };
    const platform = await LocalPlatform.start({ orbitDecisionTtlMs: ttl, governanceTimeoutMs: timeout });
    // Fail-closed answers may take the timeout plus scheduling on a busy 2-core machine, never more.
    const slack = Math.max(300, timeout / 2);
    try {
      const t0 = performance.now();
      const at = () => performance.now() - t0;
      let stop: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      // Each phase is timed from the moment the load is under way, up to the end of the last one.
      const load = await startLoad({
        url: platform.orbit.url,
        authorization: await platform.bearer(),
        connections: full ? 20 : 8,
        durationMs: 120_000,
        requestTimeoutMs: 5_000,
        until: stopped,
        t0,
      });
      await sleep(phase.warm);
      const slowAt = at();
      platform.governanceMode = { kind: 'slow', delayMs: 3 * timeout };
      await sleep(phase.slow);
      const downAt = at();
      await platform.takeGovernanceOffline();
      platform.governanceMode = { kind: 'up' };
      await sleep(phase.down);
      const errorAt = at();
      platform.governanceMode = { kind: 'error' };
      await platform.bringGovernanceOnline();
      await sleep(phase.error);
      const upAt = at();
      platform.governanceMode = { kind: 'up' };
      await sleep(phase.up);
      stop();
      const { records, accounting: a } = await load.result;

      const denied = (r: RequestRecord) => r.status === 503 && r.kind === 'governance-unavailable';
      const warm = between(records, 0, slowAt);
      const slow = between(records, slowAt, downAt);
      const down = between(records, downAt, errorAt);
      const failing = between(records, errorAt, upAt);
      const up = between(records, upAt, Number.POSITIVE_INFINITY);
      const cachedAllowsAfterFault = slow.filter((r) => r.status === 200);
      const lastCachedAllow = lastStart(slow, (r) => r.status === 200) - slowAt;
      const firstDenial = firstEnd(slow, denied) - slowAt;
      const slowDenials = latencies(slow.filter(denied));
      const downDenials = latencies(down.filter(denied));
      const recovery = firstEnd(up, (r) => r.status === 200) - upAt;
      const recoveredTail = up.filter((r) => r.start > recovery + upAt + slack);
      const unexpected = records.filter((r) => r.status !== 200 && !denied(r));
      return {
        figures: [
          ['requests', String(a.sent)],
          ['cache TTL', ms(ttl)],
          ['timeout', ms(timeout)],
          [
            'cached allows served',
            `${cachedAllowsAfterFault.length} (last ${ms(lastCachedAllow)} after fault)`,
          ],
          ['fault→first denial', ms(firstDenial)],
          ['slow: denial p50/max', `${ms(slowDenials.p50)}/${ms(slowDenials.max)}`],
          ['down: denial p50/max', `${ms(downDenials.p50)}/${ms(downDenials.max)}`],
          ['recovery', ms(recovery)],
        ],
        checks: [
          // Fails only if governance missed its timeout on a stalled CPU before any fault was injected.
          timingCheck(
            'all allowed before the fault',
            warm.length > 0 && warm.every((r) => r.status === 200),
            JSON.stringify(a.byStatus),
          ),
          timingCheck(
            'cached allows stop within the TTL',
            lastCachedAllow <= ttl + slack,
            `last allow started ${ms(lastCachedAllow)} after the fault, TTL ${ttl} ms`,
          ),
          timingCheck(
            'slow governance: denied (fail closed) within the timeout',
            slowDenials.count > 0 && slowDenials.max <= timeout + slack,
            `${slowDenials.count} denials, slowest ${ms(slowDenials.max)}, timeout ${timeout} ms`,
          ),
          check(
            'slow governance: nothing allowed after the cache expired',
            slow.filter((r) => r.start > lastCachedAllow + slowAt).every(denied),
            `${slow.length} requests while slow`,
          ),
          check(
            'unreachable governance: every request denied',
            down.length > 0 && down.every(denied),
            `${down.filter(denied).length}/${down.length} denied`,
          ),
          timingCheck(
            'unreachable governance: no denial waits past the timeout',
            downDenials.max <= timeout + slack,
            `slowest ${ms(downDenials.max)}, timeout ${timeout} ms`,
          ),
          check(
            'failing governance: every request denied',
            failing.length > 0 && failing.every(denied),
            `${failing.filter(denied).length}/${failing.length}`,
          ),
          check(
            'recovers when governance is back',
            Number.isFinite(recovery) && recoveredTail.every((r) => r.status === 200),
            `${recoveredTail.length} after recovery, ${recoveredTail.filter((r) => r.status !== 200).length} not 200`,
          ),
          check(
            'only 200 or 503 governance-unavailable',
            unexpected.length === 0,
            JSON.stringify(a.byStatus),
          ),
          check(
            'every id answered exactly once',
            a.lost === 0 && a.duplicated === 0 && a.mismatched === 0,
            JSON.stringify({ lost: a.lost, dup: a.duplicated, mismatched: a.mismatched }),
          ),
        ],
      };
    } finally {
      await platform.close();
    }
  },
};
