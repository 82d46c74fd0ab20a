import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LocalDynamo, startDynalite } from '../../../test/support/dynalite.js';
import type { PolicyDocument, Statement } from '../engine/index.js';
import { PolicyValidationError } from '../engine/index.js';
import { createPolicyTable, seedPolicyTable } from '../seed.js';
import { CorruptRevisionError, canonicalJson, PolicyStore, RevisionConflictError } from './index.js';

const TABLE = 'policies';
let dynamo: LocalDynamo;
let client: DynamoDBClient;
let store: PolicyStore;

const allow = (id: string, actions = ['reason:*']): Statement => ({
  id,
  effect: 'allow',
  principals: ['orbit'],
  actions,
});
const doc = (...statements: Statement[]): PolicyDocument => ({ version: 1, statements });

beforeAll(async () => {
  dynamo = await startDynalite();
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createPolicyTable(client, TABLE);
  let tick = 0;
  store = new PolicyStore({
    client,
    tableName: TABLE,
    now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, tick++)),
  });
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

describe('policy store', () => {
  it('has no head for an unknown policy set', async () => {
    expect(await store.getHead('nothing')).toBeUndefined();
    expect(await store.getHeadRevision('nothing')).toBeUndefined();
    expect(await store.getRevision('nothing', 1)).toBeUndefined();
    expect(await store.listRevisions('nothing')).toEqual({ revisions: [] });
  });

  it('appends revisions with audit records and a statement diff', async () => {
    const first = await store.putRevision('audit', {
      document: doc(allow('a'), allow('b')),
      expectedRevision: 0,
      actor: 'alice',
      reason: 'initial',
    });
    expect(first).toMatchObject({ revision: 1, parentRevision: null, statementCount: 2 });
    expect(first.diff).toEqual({ added: ['a', 'b'], removed: [], changed: [] });

    const second = await store.putRevision('audit', {
      document: JSON.stringify(doc(allow('a', ['reason:deep']), allow('c'))),
      expectedRevision: 1,
      actor: 'bob',
      reason: 'narrow a, replace b by c',
    });
    expect(second).toMatchObject({ revision: 2, parentRevision: 1, actor: 'bob' });
    expect(second.diff).toEqual({ added: ['c'], removed: ['b'], changed: ['a'] });

    const head = await store.getHead('audit');
    expect(head).toEqual(second);
    expect(await store.getRevision('audit', 1)).toEqual(first);
    expect(await store.getHeadRevision('audit')).toBe(2);
  });

  it('rejects a write based on a stale head and leaves the log unchanged', async () => {
    await store.putRevision('race', {
      document: doc(allow('a')),
      expectedRevision: 0,
      actor: 'a',
      reason: 'r1',
    });
    await store.putRevision('race', {
      document: doc(allow('b')),
      expectedRevision: 1,
      actor: 'b',
      reason: 'r2',
    });
    const stale = store.putRevision('race', {
      document: doc(allow('c')),
      expectedRevision: 1,
      actor: 'c',
      reason: 'r',
    });
    await expect(stale).rejects.toThrow(RevisionConflictError);
    await expect(stale).rejects.toMatchObject({ expectedRevision: 1, headRevision: 2 });
    const ahead = store.putRevision('race', {
      document: doc(allow('c')),
      expectedRevision: 5,
      actor: 'c',
      reason: 'r',
    });
    await expect(ahead).rejects.toThrow('expected head revision 5, but the head is 2');
    expect(await store.getHeadRevision('race')).toBe(2);
  });

  it('lets exactly one of two concurrent writers win', async () => {
    await store.putRevision('concurrent', {
      document: doc(allow('a')),
      expectedRevision: 0,
      actor: 'a',
      reason: 'r',
    });
    const writes = await Promise.allSettled(
      ['x', 'y', 'z'].map((id) =>
        store.putRevision('concurrent', {
          document: doc(allow(id)),
          expectedRevision: 1,
          actor: id,
          reason: 'r',
        }),
      ),
    );
    expect(writes.filter((w) => w.status === 'fulfilled')).toHaveLength(1);
    expect(
      writes.filter((w) => w.status === 'rejected').map((w) => (w as PromiseRejectedResult).reason),
    ).toEqual([expect.any(RevisionConflictError), expect.any(RevisionConflictError)]);
  });

  it('validates before writing anything', async () => {
    const bad = store.putRevision('invalid', {
      document: { version: 1, statements: [{ id: 'x', effect: 'permit' }] },
      expectedRevision: 0,
      actor: 'a',
      reason: 'r',
    });
    await expect(bad).rejects.toThrow(PolicyValidationError);
    expect(await store.getHeadRevision('invalid')).toBeUndefined();
    await expect(
      store.putRevision('invalid', { document: doc(), expectedRevision: -1, actor: 'a', reason: 'r' }),
    ).rejects.toThrow('expectedRevision must be an integer from 0');
    await expect(
      store.putRevision('invalid', { document: doc(), expectedRevision: 0, actor: ' ', reason: 'r' }),
    ).rejects.toThrow('actor must be a non-empty string');
    await expect(store.getHead('Bad Name')).rejects.toThrow('policy set name must match');
  });

  it('lists audit records newest first, page by page', async () => {
    for (let i = 0; i < 5; i++) {
      await store.putRevision('paged', {
        document: doc(allow(`s${i}`)),
        expectedRevision: i,
        actor: 'pager',
        reason: `change ${i + 1}`,
      });
    }
    const first = await store.listRevisions('paged', { limit: 2 });
    expect(first.revisions.map((r) => r.revision)).toEqual([5, 4]);
    expect(first.revisions[0]).not.toHaveProperty('document');
    expect(first.revisions[0]).toMatchObject({ reason: 'change 5', actor: 'pager', parentRevision: 4 });
    const second = await store.listRevisions('paged', { limit: 2, before: first.nextBefore });
    expect(second.revisions.map((r) => r.revision)).toEqual([3, 2]);
    const last = await store.listRevisions('paged', { limit: 2, before: second.nextBefore });
    expect(last.revisions.map((r) => r.revision)).toEqual([1]);
    await expect(store.listRevisions('paged', { limit: 0 })).rejects.toThrow('limit must be an integer');
  });

  it('gives equal content an equal digest, so a rollback is recognisable', async () => {
    const original = doc(allow('a'), allow('b'));
    const r1 = await store.putRevision('rollback', {
      document: original,
      expectedRevision: 0,
      actor: 'a',
      reason: 'v1',
    });
    await store.putRevision('rollback', {
      document: doc(allow('a')),
      expectedRevision: 1,
      actor: 'a',
      reason: 'v2',
    });
    const reordered = JSON.parse(canonicalJson(original)) as PolicyDocument;
    const r3 = await store.putRevision('rollback', {
      document: reordered,
      expectedRevision: 2,
      actor: 'a',
      reason: 'rollback to 1',
    });
    expect(r3.digest).toBe(r1.digest);
    expect(r3.diff).toEqual({ added: ['b'], removed: [], changed: [] });
  });

  it('reports a stored document that no longer validates', async () => {
    const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          PK: { S: 'POLICYSET#corrupt' },
          SK: { S: 'REV#0000000001' },
          revision: { N: '1' },
          actor: { S: 'x' },
          reason: { S: 'x' },
          createdAt: { S: 'x' },
          digest: { S: 'x' },
          statementCount: { N: '0' },
          diff: { S: '{}' },
          document: { S: '{"version":1}' },
        },
      }),
    );
    await expect(store.getHead('corrupt')).rejects.toThrow(CorruptRevisionError);
    await expect(store.getRevision('corrupt', 1)).rejects.toMatchObject({ revision: 1 });
  });
});

describe('seedPolicyTable', () => {
  it('creates the table and writes revision 1 once, however often it runs', async () => {
    const options = { endpoint: dynamo.endpoint, tableName: 'seeded' };
    expect(await seedPolicyTable(options)).toEqual({ tableCreated: true, headRevision: 1, seeded: true });
    expect(await seedPolicyTable(options)).toEqual({ tableCreated: false, headRevision: 1, seeded: false });
    const head = await new PolicyStore({ client, tableName: 'seeded' }).getHead('default');
    expect(head).toMatchObject({ revision: 1, actor: 'seed' });
    expect(head?.document.statements.map((s) => s.id)).toEqual([
      'suspended-callers',
      'orbit-reasons-on-axon',
    ]);
  });

  it('lets concurrent seeders agree on one revision 1', async () => {
    const options = { endpoint: dynamo.endpoint, tableName: 'raced', policySet: 'raced' };
    const results = await Promise.all([
      seedPolicyTable(options),
      seedPolicyTable(options),
      seedPolicyTable(options),
    ]);
    expect(results.map((r) => r.headRevision)).toEqual([1, 1, 1]);
    expect(results.filter((r) => r.seeded)).toHaveLength(1);
    expect(results.filter((r) => r.tableCreated)).toHaveLength(1);
  });
});
