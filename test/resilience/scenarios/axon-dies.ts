import { request } from 'undici';
import { latencies, ms, startLoad } from '../harness/load.js';
import { LocalPlatform, UNHURRIED } from '../harness/platform.js';
import { check, type Scenario, sleep, timingCheck } from '../harness/scenario.js';

async function breakerState(orbitUrl: string): Promise<string> {
  const res = await request(`${orbitUrl}/health`);
  const body = (await res.body.json()) as { checks?: { axonCircuit?: string } };
  return body.checks?.axonCircuit ?? 'unknown';
}

/**
 * Axon is killed (SIGKILL) under load: Orbit's retries give up, the breaker opens and Orbit answers
 * 503 + Retry-After at once instead of waiting on a dead upstream. Axon is restarted: after the
 * half-open delay a probe goes through and the breaker closes. No request may wait longer than
 * Orbit's own bound (every attempt timed out, plus backoff).
 */
export const axonDiesScenario: Scenario = {
  name: 'axon-dies',
  description: 'Axon killed mid-load, then restarted: breaker opens, fails fast, closes again',
  async run(size) {
    const connections = size === 'full' ? 50 : 10;
    const upBeforeMs = size === 'full' ? 3_000 : 600;
    const downMs = size === 'full' ? 4_000 : 1_200;
    const afterMs = size === 'full' ? 4_000 : 1_200;
    // The full run keeps Orbit's production timeouts (its figures are the point); the short run inside
    // `npm test` shares the CPU with every other suite, so it gets the unhurried ones.
    const platform = await LocalPlatform.start({
      ...(size === 'short' ? UNHURRIED : {}),
      orbitLogLevel: 'info',
      breakerHalfOpenMs: 1_000,
    });
    const s = platform.settings;
    // The longest Orbit may legitimately take: every attempt times out, with the longest backoffs.
    const boundMs = (s.axonRetries + 1) * s.axonTimeoutMs + s.axonRetries * 1_000 + s.governanceTimeoutMs;
    try {
      const t0 = performance.now();
      const at = () => performance.now() - t0;
      const timeline = { killAt: 0, restartAt: 0, readyAt: 0 };
      const statesWhileDown: string[] = [];
      let stop: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      // Runs until `afterMs` past Axon being ready again, however long its restart takes.
      const load = await startLoad({
        url: platform.orbit.url,
        authorization: await platform.bearer(),
        connections,
        durationMs: 120_000,
        requestTimeoutMs: boundMs + 1_000,
        until: stopped,
        t0,
      });
      await sleep(upBeforeMs);
      timeline.killAt = at();
      platform.axon.signal('SIGKILL');
      await platform.axon.waitExit(5_000);
      const downUntil = performance.now() + downMs;
      while (performance.now() < downUntil) {
        statesWhileDown.push(await breakerState(platform.orbit.url));
        await sleep(200);
      }
      timeline.restartAt = at();
      try {
        await platform.axon.start();
      } finally {
        timeline.readyAt = at();
        // The breaker half-opens at most `breakerHalfOpenMs` after Axon is back; then `afterMs` of 200s.
        await sleep(s.breakerHalfOpenMs + afterMs);
        stop();
      }
      const result = await load.result;
      const finalState = await breakerState(platform.orbit.url);

      const { records, accounting: a } = result;
      const afterKill = records.filter((r) => r.start >= timeline.killAt);
      const open = afterKill.filter((r) => r.kind === 'circuit-open');
      const firstOpen = open.reduce((min, r) => Math.min(min, r.end), Number.POSITIVE_INFINITY);
      const recovered = records.filter((r) => r.start >= timeline.readyAt && r.status === 200);
      const firstRecovered = recovered.reduce((min, r) => Math.min(min, r.end), Number.POSITIVE_INFINITY);
      const tail = records.filter((r) => r.start >= firstRecovered);
      const unexpected = records.filter(
        (r) =>
          r.status !== 200 && !(r.status === 503 && ['circuit-open', 'axon-unavailable'].includes(r.kind)),
      );
      const openLatency = latencies(open);
      const all = latencies(records);
      const opened = platform.orbit.logCount('axon circuit opened');
      const halfOpened = platform.orbit.logCount('axon circuit half-open: probing');
      const closed = platform.orbit.logCount('axon circuit closed');
      return {
        figures: [
          ['requests', String(a.sent)],
          ['kill→first fast 503', ms(firstOpen - timeline.killAt)],
          ['fast 503 p50', ms(openLatency.p50)],
          ['fast 503 p99', ms(openLatency.p99)],
          ['fast 503s', String(open.length)],
          ['Axon ready→first 200', ms(firstRecovered - timeline.readyAt)],
          ['slowest request', ms(all.max)],
          ['bound', ms(boundMs)],
          ['breaker opened/half-open/closed', `${opened}/${halfOpened}/${closed}`],
        ],
        checks: [
          check(
            'breaker opened',
            opened >= 1 && statesWhileDown.includes('open'),
            `states ${[...new Set(statesWhileDown)].join(',')}`,
          ),
          check(
            'Orbit failed fast with circuit-open 503s',
            open.length > 0,
            `${open.length} circuit-open answers`,
          ),
          timingCheck(
            'fast failures are faster than one Axon attempt',
            openLatency.p99 < s.axonTimeoutMs,
            `p99 ${ms(openLatency.p99)} vs attempt timeout ${s.axonTimeoutMs} ms`,
          ),
          check(
            'breaker half-opened and closed',
            halfOpened >= 1 && closed >= 1,
            `${halfOpened} probes, ${closed} closes`,
          ),
          check('breaker closed at the end', finalState === 'closed', finalState),
          check(
            'dispatches succeed again after restart',
            recovered.length > 0,
            `${recovered.length} after restart`,
          ),
          check(
            'after recovery every answer is 200',
            tail.every((r) => r.status === 200),
            `${tail.filter((r) => r.status !== 200).length} non-200 of ${tail.length}`,
          ),
          check(
            'only 200 or 503 (circuit-open / axon-unavailable)',
            unexpected.length === 0,
            JSON.stringify(a.byStatus),
          ),
          check(
            'no request hung beyond its bound',
            a.hung === 0 && all.max <= boundMs + 1_000,
            `max ${ms(all.max)}, ${a.hung} hung`,
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
