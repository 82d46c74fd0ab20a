import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AdminError } from '../lambdas/governance/admin/errors.js';
import { RoleStore } from '../lambdas/governance/admin/role-store.js';
import { AdminService } from '../lambdas/governance/admin/service.js';
import type { Statement } from '../lambdas/governance/engine/index.js';
import { createPolicyTable } from '../lambdas/governance/seed.js';
import { type PolicyRevision, PolicyStore } from '../lambdas/governance/store/index.js';
import { startDynalite } from '../test/support/dynalite.js';
import { isEntryScript } from './entry.js';
import { type Figure, percentile, printTable } from './report.js';

const TABLE = 'bench-policies';
const EDITOR = 'arn:aws:sts::111111111111:assumed-role/editor/bench';
const PUTS = 200;
const WRITERS = 20;
const RACE_ROUNDS = 10;

function statements(n: number): Statement[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    effect: i % 10 === 0 ? 'deny' : 'allow',
    principals: ['orbit'],
    actions: [i % 2 === 0 ? 'reason:*' : 'reason:deep'],
  }));
}

async function timed(count: number, run: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await run(i);
    samples.push(performance.now() - start);
  }
  return samples.sort((a, b) => a - b);
}

/**
 * Admin writes against dynalite on loopback: put latency through the admin service (validation,
 * tests, conditional put) next to the bare store put, and the outcome of writers racing on one head.
 */
export async function runGovernanceAdminBench(): Promise<void> {
  const dynamo = await startDynalite();
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await createPolicyTable(client, TABLE);
    const store = new PolicyStore({ client, tableName: TABLE });
    const service = new AdminService({
      store,
      roles: new RoleStore(client, TABLE),
      configuredRoles: { admins: [], editors: ['arn:aws:iam::111111111111:role/editor'], viewers: [] },
    });
    const tests = {
      cases: [
        { name: 'deep', request: { service: 'orbit', intent: 'reason:deep' }, expect: { allowed: false } },
      ],
    };
    const put = (set: string, n: number, expectedRevision: number) =>
      service.execute(EDITOR, {
        operation: 'put',
        policySet: set,
        document: { version: 1, statements: statements(n) },
        tests,
        expectedRevision,
        reason: 'bench',
      });

    const bare = await timed(PUTS, (i) =>
      store.putRevision('bare', {
        document: { version: 1, statements: statements(10) },
        expectedRevision: i,
        actor: 'bench',
        reason: 'bench',
      }),
    );
    const admin10 = await timed(PUTS, (i) => put('admin10', 10, i));
    const admin1000 = await timed(50, (i) => put('admin1000', 1000, i));
    const list = await timed(50, () =>
      service.execute(EDITOR, { operation: 'list', policySet: 'admin10', limit: 20 }),
    );
    const p50 = (s: number[]) => percentile(s, 50);
    const p99 = (s: number[]) => percentile(s, 99);
    const figures: Figure[] = [
      { name: 'store put p50 (10 statements)', value: p50(bare), unit: 'ms' },
      { name: 'store put p99 (10 statements)', value: p99(bare), unit: 'ms' },
      {
        name: 'admin put p50 (10 statements + tests)',
        value: p50(admin10),
        unit: 'ms',
        baseline: { name: 'store put', value: p50(bare) },
      },
      { name: 'admin put p99 (10 statements + tests)', value: p99(admin10), unit: 'ms' },
      {
        name: 'admin put p50 (1,000 statements)',
        value: p50(admin1000),
        unit: 'ms',
        baseline: { name: 'store put', value: p50(bare) },
      },
      { name: 'list 20 revisions p50', value: p50(list), unit: 'ms' },
    ];

    // Rounds of WRITERS blind writers on the same head: each round must have exactly one winner.
    let winners = 0;
    let conflicts = 0;
    let otherFailures = 0;
    await put('race', 10, 0);
    for (let round = 0; round < RACE_ROUNDS; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: WRITERS }, (_, w) => put('race', 10 + (w % 5), round + 1)),
      );
      for (const r of results) {
        if (r.status === 'fulfilled') winners++;
        else if (r.reason instanceof AdminError && r.reason.code === 'conflict') conflicts++;
        else otherFailures++;
      }
    }
    // WRITERS read-modify-write writers retrying on conflict: every change must land.
    let attempts = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (;;) {
          attempts++;
          const head = (await service.execute(EDITOR, {
            operation: 'get',
            policySet: 'race',
          })) as PolicyRevision;
          const next = [...head.document.statements, { ...statements(1)[0], id: `writer-${w}` } as Statement];
          try {
            await service.execute(EDITOR, {
              operation: 'put',
              policySet: 'race',
              document: { version: 1, statements: next },
              expectedRevision: head.revision,
              reason: `writer ${w}`,
            });
            return;
          } catch (error) {
            if (!(error instanceof AdminError && error.code === 'conflict')) throw error;
          }
        }
      }),
    );
    const converge = performance.now() - start;
    const head = (await service.execute(EDITOR, { operation: 'get', policySet: 'race' })) as PolicyRevision;
    const landed = head.document.statements.filter((s) => s.id.startsWith('writer-')).length;
    figures.push(
      { name: `race: winners in ${RACE_ROUNDS} rounds of ${WRITERS}`, value: winners, unit: 'puts' },
      { name: 'race: conflicts', value: conflicts, unit: 'puts' },
      { name: 'race: other failures', value: otherFailures, unit: 'puts' },
      { name: `retrying writers: changes landed of ${WRITERS}`, value: landed, unit: 'changes' },
      { name: 'retrying writers: attempts', value: attempts, unit: 'puts' },
      { name: 'retrying writers: time to converge', value: converge, unit: 'ms' },
    );
    printTable('Governance admin against dynalite (loopback)', figures);
  } finally {
    client.destroy();
    await dynamo.close();
  }
}

if (isEntryScript(import.meta.url)) await runGovernanceAdminBench();
