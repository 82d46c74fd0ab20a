import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { WindowImpact } from '../../../contracts/impact.js';
import { type LocalDynamo, startPolicyTable } from '../../../test/support/dynalite.js';
import type { Statement } from '../engine/index.js';
import { storeRevisions } from '../impact/index.js';
import { type PolicyRevision, PolicyStore, type RevisionPage } from '../store/index.js';
import { AdminError } from './errors.js';
import { ImpactGate } from './impact-gate.js';
import { RoleStore } from './role-store.js';
import { type AdminRequest, AdminService, type DryRunReport } from './service.js';

const TABLE = 'governance-admin-impact-test';
const EDITOR = 'arn:aws:sts::111111111111:assumed-role/policy-editor/bob';
const ROLES = {
  admins: ['arn:aws:iam::111111111111:role/policy-admin'],
  editors: ['arn:aws:iam::111111111111:role/policy-editor'],
  viewers: [],
};
const NOW = Date.UTC(2026, 0, 6, 0, 0, 0);
const DAY_MS = 86_400_000;

const orbitReasons: Statement = {
  id: 'orbit-reasons-on-axon',
  effect: 'allow',
  principals: ['orbit'],
  actions: ['reason:*'],
};
const noHeartbeat: Statement = {
  id: 'no-heartbeat',
  effect: 'deny',
  principals: ['orbit'],
  actions: ['reason:heartbeat'],
};
const orbitHeartbeats: Statement = {
  id: 'orbit-heartbeats',
  effect: 'allow',
  principals: ['orbit'],
  actions: ['reason:heartbeat'],
};
const doc = (...statements: Statement[]) => ({ version: 1, statements });

/** A decision line as the decision function writes it, allowed by `orbit-reasons-on-axon` of revision 1. */
function line(id: string, intent: string, minutesAgo: number): string {
  const time = new Date(NOW - minutesAgo * 60_000).toISOString();
  return JSON.stringify({
    level: 'INFO',
    message: 'decision',
    correlationId: `corr-${id}`,
    decisionId: id,
    input: { service: 'orbit', intent, correlationId: `corr-${id}` },
    time,
    environment: 'prod',
    policySet: 'default',
    result: {
      allowed: true,
      reason: 'allowed by statement orbit-reasons-on-axon',
      statementId: 'orbit-reasons-on-axon',
      policyRevision: 1,
      decisionId: id,
    },
  });
}

const LINES = [
  line('d1', 'reason:heartbeat', 90),
  line('d2', 'reason:deep', 60),
  line('d3', 'reason:heartbeat', 5),
];

let dynamo: LocalDynamo;
let client: DynamoDBClient;
let store: PolicyStore;
let service: AdminService;
const windows: { from: number; to: number }[] = [];

async function failure(request: AdminRequest, svc = service): Promise<AdminError> {
  try {
    await svc.execute(EDITOR, request);
  } catch (error) {
    if (error instanceof AdminError) return error;
    throw error;
  }
  throw new Error(`${request.operation} succeeded but was expected to fail`);
}

const put = (statements: Statement[], expectedRevision: number, acceptImpact?: boolean): AdminRequest => ({
  operation: 'put',
  document: doc(...statements),
  expectedRevision,
  reason: 'stop heartbeats',
  ...(acceptImpact === undefined ? {} : { acceptImpact }),
});

beforeAll(async () => {
  ({ dynamo, client } = await startPolicyTable(TABLE));
  store = new PolicyStore({ client, tableName: TABLE });
  await store.putRevision('default', {
    document: doc(orbitReasons),
    expectedRevision: 0,
    actor: 'seed',
    reason: 'baseline',
  });
  service = new AdminService({
    store,
    roles: new RoleStore(client, TABLE),
    configuredRoles: ROLES,
    now: () => NOW,
    impact: new ImpactGate({
      maxFlips: 1,
      windowMs: DAY_MS,
      now: () => NOW,
      revisions: storeRevisions(store),
      decisions: (from, to) => {
        windows.push({ from, to });
        return {
          source: 'recorded decisions (fixture)',
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          async *lines() {
            yield LINES;
          },
          close: () => {},
        };
      },
    }),
  });
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

describe('dry-run impact', () => {
  it('replays the window against the candidate, each decision under its own revision, writing nothing', async () => {
    windows.length = 0;
    const report = (await service.execute(EDITOR, {
      operation: 'dry-run',
      document: doc(orbitReasons, noHeartbeat),
      impact: { since: '2h' },
    })) as DryRunReport;
    const impact = report.impact as WindowImpact;
    expect(windows).toEqual([{ from: NOW - 2 * 3_600_000, to: NOW }]);
    expect(impact).toMatchObject({
      source: 'recorded decisions (fixture)',
      from: '2026-01-05T22:00:00.000Z',
      to: '2026-01-06T00:00:00.000Z',
      totals: {
        lines: 3,
        replayed: 3,
        flips: 2,
        allowToDeny: 2,
        denyToAllow: 0,
        unchanged: 1,
        nonReproducing: 0,
      },
      baseline: { ownRevision: 3, headForUnknownRevision: 0, recordedResult: 0 },
    });
    expect(impact.flips).toEqual([
      {
        caller: 'orbit',
        intent: 'reason:heartbeat',
        from: 'allow',
        to: 'deny',
        fromStatement: 'orbit-reasons-on-axon',
        toStatement: 'no-heartbeat',
        count: 2,
        examples: [
          { decisionId: 'd1', correlationId: 'corr-d1', time: '2026-01-05T22:30:00.000Z' },
          { decisionId: 'd3', correlationId: 'corr-d3', time: '2026-01-05T23:55:00.000Z' },
        ],
      },
    ]);
    expect((await store.getHead('default'))?.revision).toBe(1);
  });

  it('uses the configured window when none is named, and refuses a bad one or an invalid candidate first', async () => {
    windows.length = 0;
    await service.execute(EDITOR, { operation: 'dry-run', document: doc(orbitReasons), impact: {} });
    expect(windows).toEqual([{ from: NOW - DAY_MS, to: NOW }]);
    const bad = await failure({
      operation: 'dry-run',
      document: doc(orbitReasons),
      impact: { since: 'yesterday' },
    });
    expect(bad.code).toBe('bad-request');
    expect(bad.message).toBe(
      'impact.since must be a duration such as 90m, 24h or 7d (at most 400d), got "yesterday"',
    );
    windows.length = 0;
    const invalid = await failure({ operation: 'dry-run', document: { version: 1 }, impact: {} });
    expect(invalid.code).toBe('invalid-policy');
    expect(windows).toEqual([]);
  });

  it('says so when no decision log is configured', async () => {
    const plain = new AdminService({ store, roles: new RoleStore(client, TABLE), configuredRoles: ROLES });
    const error = await failure({ operation: 'dry-run', document: doc(orbitReasons), impact: {} }, plain);
    expect(error.code).toBe('bad-request');
    expect(error.message).toMatch(/^impact is not available here: no decision log is configured/);
  });
});

describe('put gated on impact', () => {
  it('refuses flips above the threshold without acceptance, naming the count, the threshold and the flag', async () => {
    const error = await failure(put([orbitReasons, noHeartbeat], 1));
    expect(error.code).toBe('impact-exceeded');
    expect(error.status).toBe(422);
    expect(error.message).toBe(
      'the candidate flips 2 recorded decisions (2 allow→deny, 0 deny→allow) in recorded decisions (fixture), more than the threshold of 1; nothing was written. Review the flips, then push again with --accept-impact ("acceptImpact": true) to publish anyway',
    );
    expect(error.details).toMatchObject({ flips: 2, maxFlips: 1, impact: { totals: { flips: 2 } } });
    expect((await store.getHead('default'))?.revision).toBe(1);
    const bad = await failure({
      ...put([orbitReasons, noHeartbeat], 1),
      acceptImpact: 'yes',
    } as unknown as AdminRequest);
    expect(bad.message).toBe('acceptImpact must be true or false, got "yes"');
  });

  it('publishes an accepted impact and records it, with who accepted, in the audit entry', async () => {
    const out = (await service.execute(EDITOR, put([orbitReasons, noHeartbeat], 1, true))) as {
      revision: PolicyRevision;
    };
    const recorded = {
      source: 'recorded decisions (fixture)',
      from: '2026-01-05T00:00:00.000Z',
      to: '2026-01-06T00:00:00.000Z',
      flips: 2,
      allowToDeny: 2,
      denyToAllow: 0,
      replayed: 3,
      nonReproducing: 0,
      maxFlips: 1,
      acceptedBy: EDITOR,
    };
    expect(out.revision).toMatchObject({ revision: 2, impact: recorded });
    const listed = (await service.execute(EDITOR, { operation: 'list', limit: 1 })) as RevisionPage;
    expect(listed.revisions[0]?.impact).toEqual(recorded);
    const stored = (await service.execute(EDITOR, { operation: 'get', revision: 2 })) as PolicyRevision;
    expect(stored.impact).toEqual(recorded);
  });

  it('publishes within the threshold without acceptance, recording the impact but no acceptance', async () => {
    // Revision 2 denies heartbeats; the recorded decisions ran under revision 1, which allowed them: this
    // candidate allows heartbeats again, so against their own revision nothing flips.
    const out = (await service.execute(EDITOR, put([orbitReasons, orbitHeartbeats], 2))) as {
      revision: PolicyRevision;
    };
    expect(out.revision.revision).toBe(3);
    expect(out.revision.impact).toMatchObject({ flips: 0, maxFlips: 1 });
    expect(out.revision.impact).not.toHaveProperty('acceptedBy');
  });
});
