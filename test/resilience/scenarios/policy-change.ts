import defaultPolicy from '../../../governance/policies/default.json' with { type: 'json' };
import { ms, type RequestRecord, startLoad } from '../harness/load.js';
import { LocalPlatform, UNHURRIED } from '../harness/platform.js';
import { check, type Scenario, sleep, timingCheck } from '../harness/scenario.js';

const SWITCHED = 'reason:switch';
const STEADY = 'reason:steady';

/** The default policy plus an explicit deny of one intent: revision 2 of the policy set. */
const revision2 = {
  ...defaultPolicy,
  description: 'Default policy, and reason:switch is withdrawn.',
  statements: [
    ...defaultPolicy.statements,
    {
      id: 'withdraw-switch',
      description: 'Resilience suite: withdraws one intent while load runs.',
      effect: 'deny',
      principals: ['orbit'],
      actions: [SWITCHED],
    },
  ],
};

/**
 * A new policy revision is published while load runs on two intents. The one it denies switches from
 * 200 to 403 within the two caches' TTLs (Orbit's decision cache, then the governance Lambda's
 * compiled-policy cache) and never flips back; the other keeps dispatching; nothing fails.
 */
export const policyChangeScenario: Scenario = {
  name: 'policy-change',
  description: 'publish a new policy revision under load: decisions switch within the cache TTL',
  async run(size) {
    const full = size === 'full';
    const ttl = full ? 1_000 : 500;
    const platform = await LocalPlatform.start({
      ...UNHURRIED,
      orbitDecisionTtlMs: ttl,
      policyCacheTtlMs: ttl,
    });
    const bound = platform.settings.orbitDecisionTtlMs + platform.settings.policyCacheTtlMs;
    const slack = 500;
    try {
      // Each intent is dispatched once before the load: "allowed before the change" is then a fact,
      // not a race between the publish and a loaded machine's first answers.
      const authorization = await platform.bearer();
      const before = await Promise.all(
        [SWITCHED, STEADY].map((intent) => platform.dispatch(intent, authorization)),
      );
      const t0 = performance.now();
      let stop: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      const load = await startLoad({
        url: platform.orbit.url,
        authorization,
        connections: full ? 50 : 10,
        durationMs: 120_000,
        requestTimeoutMs: 10_000,
        intents: [SWITCHED, STEADY],
        until: stopped,
        t0,
      });
      await sleep(full ? 3_000 : 800);
      const publishedAt = performance.now() - t0;
      let revision = 0;
      try {
        revision = await platform.publishPolicy(revision2, 'resilience: withdraw reason:switch');
      } finally {
        // Both caches expire within `bound` of the write; then a settled stretch to check.
        await sleep(bound + slack + (full ? 3_000 : 1_000));
        stop();
      }
      const { records, accounting: a } = await load.result;

      const intentOf = (r: RequestRecord) => (Number(r.id.split('-').at(-1)) % 2 === 0 ? SWITCHED : STEADY);
      const switched = records.filter((r) => intentOf(r) === SWITCHED);
      const steady = records.filter((r) => intentOf(r) === STEADY);
      const firstDeny = switched
        .filter((r) => r.status === 403)
        .reduce((min, r) => Math.min(min, r.end), Number.POSITIVE_INFINITY);
      const allowedAfterDeny = switched.filter((r) => r.status === 200 && r.start > firstDeny);
      // Only a request answered before the write began is sure to have been decided under the old
      // revision; one in flight at that moment may be decided under either.
      const deniesBeforePublish = switched.filter((r) => r.status === 403 && r.end < publishedAt);
      const settled = switched.filter((r) => r.start > publishedAt + bound + slack);
      const failed = records.filter((r) => r.status !== 200 && r.status !== 403);
      const steadyRevisions = new Set(steady.map((r) => r.policyRevision));
      // Orbit caches decisions per intent, so each intent moves to the new revision on its own.
      const staleAfterNew = [switched, steady].flatMap((group) => {
        const firstNew = group
          .filter((r) => r.policyRevision === revision)
          .reduce((min, r) => Math.min(min, r.end), Number.POSITIVE_INFINITY);
        return group.filter((r) => r.policyRevision !== revision && r.start > firstNew);
      });
      return {
        figures: [
          ['requests', String(a.sent)],
          ['new revision', String(revision)],
          ['publish→first deny', ms(firstDeny - publishedAt)],
          ['TTL bound', ms(bound)],
          ['allowed after first deny', String(allowedAfterDeny.length)],
          ['failed', String(failed.length)],
        ],
        checks: [
          check('a new revision was written', revision === 2, `revision ${revision}`),
          check(
            'the intent was allowed before the change',
            before.every((status) => status === 200) && deniesBeforePublish.length === 0,
            `warm-up answered ${before.join(', ')}; ${deniesBeforePublish.length} denied under load before`,
          ),
          timingCheck(
            'decisions switched within the cache TTLs',
            firstDeny - publishedAt <= bound + slack,
            `${ms(firstDeny - publishedAt)} vs ${bound} ms`,
          ),
          check(
            'no mixed answers after the switch',
            allowedAfterDeny.length === 0,
            `${allowedAfterDeny.length} allowed after the first deny`,
          ),
          check(
            'denied for good once the TTLs passed',
            settled.length > 0 && settled.every((r) => r.status === 403),
            `${settled.filter((r) => r.status !== 403).length} of ${settled.length} not denied`,
          ),
          check(
            'the other intent kept dispatching',
            steady.length > 0 && steady.every((r) => r.status === 200),
            JSON.stringify(a.byStatus),
          ),
          check(
            'each intent moved to the new revision and stayed',
            steadyRevisions.has(revision) && staleAfterNew.length === 0,
            `revisions ${[...steadyRevisions].join(',')}, ${staleAfterNew.length} old after new`,
          ),
          check('no failed answers', failed.length === 0, JSON.stringify(a.byStatus)),
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
