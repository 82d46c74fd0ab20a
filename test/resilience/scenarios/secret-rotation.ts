import { latencies, ms, startLoad } from '../harness/load.js';
import { LocalPlatform, UNHURRIED } from '../harness/platform.js';
import { check, type Scenario, sleep, waitFor } from '../harness/scenario.js';

/**
 * Orbit's signing key is rotated while load runs, by the real rotation Lambda code (createSecret,
 * setSecret, testSecret, finishSecret) against the secret files both running services read. Axon
 * learns each key before Orbit signs with it, so no request may fail its signature check.
 */
export const secretRotationScenario: Scenario = {
  name: 'secret-rotation',
  description: 'rotate the signing secret under load: zero signature failures',
  async run(size) {
    const full = size === 'full';
    const rotations = full ? 3 : 1;
    const gapMs = full ? 3_000 : 1_000;
    const platform = await LocalPlatform.start({ ...UNHURRIED, keyRefreshMs: 1_000 });
    try {
      const t0 = performance.now();
      let latestKey = '';
      let stop: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      const load = await startLoad({
        url: platform.orbit.url,
        authorization: await platform.bearer(),
        connections: full ? 50 : 10,
        durationMs: 120_000,
        requestTimeoutMs: 10_000,
        until: stopped,
        t0,
        onKeyId: (keyId) => {
          latestKey = keyId;
        },
      });
      const keyIds: string[] = [];
      const finishedAt: number[] = [];
      for (let i = 0; i < rotations; i++) {
        await sleep(gapMs);
        keyIds.push(await platform.rotateSigningKey());
        finishedAt.push(performance.now() - t0);
      }
      // Load continues until Orbit signs with the last key (its refresh timer) and a little after.
      const last = keyIds.at(-1) ?? '';
      await waitFor(() => latestKey === last, 10_000);
      await sleep(gapMs);
      stop();
      const { records, accounting: a } = await load.result;

      const signed = new Map<string, number>();
      for (const r of records) if (r.keyId) signed.set(r.keyId, (signed.get(r.keyId) ?? 0) + 1);
      const switchDelays = keyIds.map((id, i) => {
        const first = records
          .filter((r) => r.keyId === id)
          .reduce((min, r) => Math.min(min, r.end), Number.POSITIVE_INFINITY);
        return first - (finishedAt[i] ?? 0);
      });
      const rejected = platform.axon.logCount('signature rejected');
      const failures = records.filter((r) => r.status !== 200);
      const lat = latencies(records.filter((r) => r.status === 200));
      return {
        figures: [
          ['rotations', String(rotations)],
          ['requests', String(a.sent)],
          ['signature failures', String(rejected)],
          ['non-200', String(failures.length)],
          ['keys used', String(signed.size)],
          ['finish→first use of new key', switchDelays.map(ms).join(', ')],
          ['p99', ms(lat.p99)],
        ],
        checks: [
          check(
            'Axon rejected no signature',
            rejected === 0,
            `${rejected} rejections logged by Axon, e.g. ${JSON.stringify(
              platform.axon.logSamples('signature rejected').map((l) => [l.check, l.keyId]),
            )}`,
          ),
          check('every request dispatched', failures.length === 0, JSON.stringify(a.byStatus)),
          check(
            'Orbit moved to every new key',
            keyIds.every((id) => (signed.get(id) ?? 0) > 0),
            `requests per key ${JSON.stringify(Object.fromEntries(signed))}`,
          ),
          check(
            'the last key signs the last requests',
            records.filter((r) => r.status === 200).at(-1)?.keyId === last,
            `last key ${last}`,
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
