import type { ExitInfo } from '../../../local/service-process.js';
import { ms, type RequestRecord, startLoad } from '../harness/load.js';
import { LocalPlatform } from '../harness/platform.js';
import { check, type Scenario, sleep } from '../harness/scenario.js';

/** How long each dispatch waits on governance, so that many requests are mid-flight at the signal. */
const GOVERNANCE_DELAY_MS = 300;

/** Errors that mean "not accepted": nothing was processed, the client may retry elsewhere. */
const REFUSED = new Set(['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/**
 * Orbit gets SIGTERM (an ECS stop or scale-in) under load. Requests it had accepted complete with
 * their normal answer; requests that come after are refused cleanly (503 problem or connection
 * refused, never a hang or a half answer); the process exits 0 inside its drain time.
 */
export const sigtermScenario: Scenario = {
  name: 'sigterm',
  description: 'SIGTERM Orbit under load: in-flight complete, new refused cleanly, exit 0',
  async run(size) {
    const full = size === 'full';
    const connections = full ? 50 : 10;
    // Governance answers every request after a delay so that requests are mid-flight at the signal; its
    // timeout is generous because governance timeouts are another scenario's subject.
    const platform = await LocalPlatform.start({
      orbitDecisionTtlMs: 0,
      shutdownDrainMs: 5_000,
      governanceTimeoutMs: 5_000,
    });
    try {
      platform.governanceMode = { kind: 'slow', delayMs: GOVERNANCE_DELAY_MS };
      const t0 = performance.now();
      let exit: ExitInfo | undefined;
      let exitAt = 0;
      let stopLoad: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => {
        stopLoad = resolve;
      });
      const load = await startLoad({
        url: platform.orbit.url,
        authorization: await platform.bearer(),
        connections,
        durationMs: 60_000,
        requestTimeoutMs: 10_000,
        until: stopped,
        t0,
      });
      await sleep(full ? 3_000 : 1_000);
      const termAt = performance.now() - t0;
      platform.orbit.signal('SIGTERM');
      try {
        exit = await platform.orbit.waitExit(platform.settings.shutdownDrainMs + 5_000);
        exitAt = performance.now() - t0;
      } finally {
        // Keep knocking for a moment after the exit: those must be refused, not hang.
        await sleep(500);
        stopLoad();
      }
      const { records, accounting: a } = await load.result;

      const inFlight = records.filter((r) => r.start < termAt && r.end > termAt);
      const before = records.filter((r) => r.start < termAt);
      // A request whose connection was refused was never accepted, so nothing of it can be lost: it
      // met the listener already closed, its start and the signal being moments apart on two
      // processes' clocks. Each connection can meet that once.
      const accepted = before.filter((r) => r.error !== 'ECONNREFUSED');
      const neverAccepted = before.length - accepted.length;
      const after = records.filter((r) => r.start >= termAt);
      const refusedCleanly = (r: RequestRecord) =>
        (r.status === 503 && r.kind !== 'governance-unavailable') || REFUSED.has(r.error ?? '');
      const afterOutcomes: Record<string, number> = {};
      for (const r of after) {
        const key = r.status === 200 ? '200' : r.status ? `${r.status} ${r.kind}` : (r.error ?? 'error');
        afterOutcomes[key] = (afterOutcomes[key] ?? 0) + 1;
      }
      const badAfter = after.filter((r) => r.status !== 200 && !refusedCleanly(r));
      return {
        figures: [
          ['requests', String(a.sent)],
          ['in flight at SIGTERM', String(inFlight.length)],
          ['in flight completed 200', String(inFlight.filter((r) => r.status === 200).length)],
          ['sent before SIGTERM, connection refused', String(neverAccepted)],
          ['SIGTERM→exit', ms(exitAt - termAt)],
          ['exit code', String(exit?.code)],
          ['after SIGTERM', JSON.stringify(afterOutcomes)],
        ],
        checks: [
          check('requests were in flight at SIGTERM', inFlight.length > 0, `${inFlight.length}`),
          check(
            'every request Orbit accepted before SIGTERM completed with 200',
            accepted.every((r) => r.status === 200),
            JSON.stringify(
              accepted
                .filter((r) => r.status !== 200)
                .slice(0, 3)
                .map((r) => [r.status, r.kind, r.error]),
            ),
          ),
          check(
            'no more requests sent before SIGTERM were refused a connection than there are connections',
            neverAccepted <= connections,
            `${neverAccepted} refused of ${before.length}`,
          ),
          check('exit code 0', exit?.code === 0 && exit.signal === null, JSON.stringify(exit)),
          check(
            'exited within the drain time',
            exitAt - termAt <= platform.settings.shutdownDrainMs,
            `${ms(exitAt - termAt)} vs drain ${platform.settings.shutdownDrainMs} ms`,
          ),
          check(
            'later requests refused cleanly (503 or connection refused)',
            badAfter.length === 0,
            JSON.stringify(afterOutcomes),
          ),
          check(
            'new requests were refused after the exit',
            after.some((r) => r.error === 'ECONNREFUSED'),
            JSON.stringify(afterOutcomes),
          ),
          check('nothing hung', a.hung === 0, `${a.hung} hung`),
          check(
            'no duplicated or mismatched answers',
            a.duplicated === 0 && a.mismatched === 0,
            JSON.stringify({ dup: a.duplicated, mismatched: a.mismatched }),
          ),
        ],
      };
    } finally {
      await platform.close();
    }
  },
};
