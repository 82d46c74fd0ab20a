import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RoleMapping } from '../../../contracts/admin-roles.js';
import { type LocalDynamo, startPolicyTable } from '../../../test/support/dynalite.js';
import type { Statement } from '../engine/index.js';
import {
  type PolicyRevision,
  PolicyStore,
  policySetKey,
  type RevisionPage,
  revisionKey,
} from '../store/index.js';
import { AdminError } from './errors.js';
import { createAdminHandler, type FunctionUrlEvent } from './http.js';
import { RoleStore } from './role-store.js';
import { type AdminRequest, AdminService } from './service.js';

const TABLE = 'governance-admin-test';
const ACCOUNT = '111111111111';
const ADMIN = `arn:aws:sts::${ACCOUNT}:assumed-role/policy-admin/alice`;
const EDITOR = `arn:aws:sts::${ACCOUNT}:assumed-role/policy-editor/bob`;
const VIEWER = `arn:aws:iam::${ACCOUNT}:user/carol`;
const STRANGER = `arn:aws:iam::${ACCOUNT}:user/mallory`;
const ROLES: RoleMapping = {
  admins: [`arn:aws:iam::${ACCOUNT}:role/policy-admin`],
  editors: [`arn:aws:iam::${ACCOUNT}:role/policy-editor`],
  viewers: [`arn:aws:iam::${ACCOUNT}:user/*`],
};

const orbitReasons: Statement = {
  id: 'orbit-reasons-on-axon',
  effect: 'allow',
  principals: ['orbit'],
  actions: ['reason:*'],
};
const noHeartbeatInProd: Statement = {
  id: 'no-heartbeat-in-prod',
  effect: 'deny',
  principals: ['orbit'],
  actions: ['reason:heartbeat'],
  conditions: { environments: ['prod'] },
};

function doc(...statements: Statement[]) {
  return { version: 1, statements };
}

let dynamo: LocalDynamo;
let client: DynamoDBClient;
let store: PolicyStore;
let service: AdminService;
let setCounter = 0;

function newPolicySet(): string {
  setCounter += 1;
  return `set-${setCounter}`;
}

/** Runs an operation and returns the admin error it fails with. */
async function failure(caller: string, request: AdminRequest): Promise<AdminError> {
  try {
    await service.execute(caller, request);
  } catch (error) {
    if (error instanceof AdminError) return error;
    throw error;
  }
  throw new Error(`${request.operation} succeeded but was expected to fail`);
}

async function put(policySet: string, statements: Statement[], expectedRevision: number, caller = EDITOR) {
  return (await service.execute(caller, {
    operation: 'put',
    policySet,
    document: doc(...statements),
    expectedRevision,
    reason: `change ${expectedRevision + 1}`,
  })) as { revision: PolicyRevision };
}

async function rawItem(policySet: string, revision: number) {
  const result = await client.send(
    new GetItemCommand({
      TableName: TABLE,
      Key: { PK: { S: policySetKey(policySet) }, SK: { S: revisionKey(revision) } },
      ConsistentRead: true,
    }),
  );
  return result.Item;
}

beforeAll(async () => {
  ({ dynamo, client } = await startPolicyTable(TABLE));
  store = new PolicyStore({ client, tableName: TABLE });
  service = new AdminService({ store, roles: new RoleStore(client, TABLE), configuredRoles: ROLES });
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

describe('admin operations against dynalite', () => {
  it('puts, gets, lists, diffs and rolls back, recording the audit trail of every revision', async () => {
    const set = newPolicySet();
    await put(set, [orbitReasons], 0);
    const second = await put(set, [orbitReasons, noHeartbeatInProd], 1);
    expect(second.revision).toMatchObject({
      revision: 2,
      parentRevision: 1,
      actor: EDITOR,
      reason: 'change 2',
      diff: { added: ['no-heartbeat-in-prod'], removed: [], changed: [] },
    });

    const head = (await service.execute(VIEWER, { operation: 'get', policySet: set })) as PolicyRevision;
    expect(head.revision).toBe(2);
    expect(head.document.statements.map((s) => s.id)).toEqual([
      'orbit-reasons-on-axon',
      'no-heartbeat-in-prod',
    ]);
    const first = (await service.execute(VIEWER, {
      operation: 'get',
      policySet: set,
      revision: 1,
    })) as PolicyRevision;
    expect(first.document.statements).toHaveLength(1);

    const page1 = (await service.execute(VIEWER, {
      operation: 'list',
      policySet: set,
      limit: 1,
    })) as RevisionPage;
    expect(page1.revisions.map((r) => r.revision)).toEqual([2]);
    expect(page1.nextBefore).toBe(2);
    const page2 = (await service.execute(VIEWER, {
      operation: 'list',
      policySet: set,
      limit: 1,
      before: page1.nextBefore,
    })) as RevisionPage;
    expect(page2.revisions.map((r) => r.revision)).toEqual([1]);

    const widened = { ...noHeartbeatInProd, conditions: { environments: ['prod', 'staging'] } } as Statement;
    await put(set, [widened], 2);
    expect(
      await service.execute(VIEWER, { operation: 'diff', policySet: set, from: 2, to: 3 }),
    ).toMatchObject({
      from: 2,
      to: 3,
      identical: false,
      added: [],
      removed: ['orbit-reasons-on-axon'],
      changed: ['no-heartbeat-in-prod'],
      fields: { 'no-heartbeat-in-prod': ['conditions'] },
    });

    const rolledBack = (await service.execute(ADMIN, {
      operation: 'rollback',
      policySet: set,
      toRevision: 2,
      expectedRevision: 3,
      reason: 'staging heartbeats are needed',
    })) as { revision: PolicyRevision; restored: number };
    expect(rolledBack.restored).toBe(2);
    expect(rolledBack.revision).toMatchObject({
      revision: 4,
      parentRevision: 3,
      actor: ADMIN,
      reason: 'rollback to revision 2: staging heartbeats are needed',
      digest: second.revision.digest,
      diff: { added: ['orbit-reasons-on-axon'], removed: [], changed: ['no-heartbeat-in-prod'] },
    });
    expect(
      await service.execute(VIEWER, { operation: 'diff', policySet: set, from: 2, to: 4 }),
    ).toMatchObject({
      identical: true,
      added: [],
      removed: [],
      changed: [],
    });
    const history = (await service.execute(VIEWER, { operation: 'list', policySet: set })) as RevisionPage;
    expect(history.revisions.map((r) => [r.revision, r.parentRevision, r.actor])).toEqual([
      [4, 3, ADMIN],
      [3, 2, EDITOR],
      [2, 1, EDITOR],
      [1, null, EDITOR],
    ]);
    expect(
      history.revisions.every((r) => r.reason.length > 0 && !Number.isNaN(Date.parse(r.createdAt))),
    ).toBe(true);
  });

  it('refuses a stale expectedRevision with a conflict naming the head, and overwrites nothing', async () => {
    const set = newPolicySet();
    await put(set, [orbitReasons], 0);
    await put(set, [orbitReasons, noHeartbeatInProd], 1);
    const before = await rawItem(set, 2);
    const error = await failure(EDITOR, {
      operation: 'put',
      policySet: set,
      document: doc(noHeartbeatInProd),
      expectedRevision: 1,
      reason: 'based on an old head',
    });
    expect(error.code).toBe('conflict');
    expect(error.status).toBe(409);
    expect(error.details).toMatchObject({ headRevision: 2, expectedRevision: 1 });
    expect(error.message).toContain('the head is 2');
    expect(error.message).toContain('nothing was written');
    expect(await rawItem(set, 2)).toEqual(before);
    expect(await rawItem(set, 3)).toBeUndefined();
  });

  it('lets exactly one of 20 parallel writers win each revision, and loses no update', async () => {
    const set = newPolicySet();
    await put(set, [orbitReasons], 0);
    const writers = Array.from({ length: 20 }, (_, i) => i);

    const race = await Promise.allSettled(
      writers.map((i) => put(set, [orbitReasons, { ...noHeartbeatInProd, id: `racer-${i}` }], 1, EDITOR)),
    );
    const winners = race.filter((r) => r.status === 'fulfilled');
    const losers = race.flatMap((r) => (r.status === 'rejected' ? [r.reason as AdminError] : []));
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    expect(losers.every((e) => e.code === 'conflict' && e.details.headRevision === 2)).toBe(true);

    // Read-modify-write with retry on conflict: every writer's statement must survive.
    const attempts = await Promise.all(
      writers.map(async (i) => {
        for (let attempt = 1; ; attempt++) {
          const head = (await service.execute(VIEWER, {
            operation: 'get',
            policySet: set,
          })) as PolicyRevision;
          const statements = [...head.document.statements, { ...orbitReasons, id: `writer-${i}` }];
          try {
            await put(set, statements, head.revision);
            return attempt;
          } catch (error) {
            if (!(error instanceof AdminError && error.code === 'conflict')) throw error;
          }
        }
      }),
    );
    const head = (await service.execute(VIEWER, { operation: 'get', policySet: set })) as PolicyRevision;
    expect(head.revision).toBe(22);
    const ids = head.document.statements.map((s) => s.id);
    for (const i of writers) expect(ids.filter((id) => id === `writer-${i}`)).toHaveLength(1);
    const history = (await service.execute(VIEWER, {
      operation: 'list',
      policySet: set,
      limit: 100,
    })) as RevisionPage;
    expect(history.revisions.map((r) => r.revision)).toEqual(Array.from({ length: 22 }, (_, i) => 22 - i));
    expect(
      history.revisions.every((r) => r.parentRevision === (r.revision === 1 ? null : r.revision - 1)),
    ).toBe(true);
    expect(history.revisions.filter((r) => r.diff.added.some((id) => id.startsWith('writer-')))).toHaveLength(
      20,
    );
    expect(attempts.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(20);
  });
});

describe('role enforcement', () => {
  it('lets viewers read, editors put, and only admins roll back', async () => {
    const set = newPolicySet();
    await put(set, [orbitReasons], 0);
    await expect(service.execute(VIEWER, { operation: 'get', policySet: set })).resolves.toMatchObject({
      revision: 1,
    });
    const viewerPut = await failure(VIEWER, {
      operation: 'put',
      policySet: set,
      document: doc(orbitReasons),
      expectedRevision: 1,
      reason: 'x',
    });
    expect(viewerPut).toMatchObject({ code: 'forbidden', status: 403 });
    expect(viewerPut.message).toBe(`put needs the editor role; ${VIEWER} has only viewer`);

    const rollback: AdminRequest = {
      operation: 'rollback',
      policySet: set,
      toRevision: 1,
      expectedRevision: 1,
      reason: 'undo',
    };
    expect((await failure(EDITOR, rollback)).message).toBe(
      `rollback needs the admin role; ${EDITOR} has only editor`,
    );
    const stranger = await failure(STRANGER.replace(':user/', ':role/'), {
      operation: 'list',
      policySet: set,
    });
    expect(stranger.message).toContain('has no role');
    await expect(service.execute(ADMIN, rollback)).resolves.toMatchObject({ restored: 1 });
    await expect(
      service.execute(STRANGER.replace(':user/', ':group/'), { operation: 'whoami' }),
    ).resolves.toEqual({
      principal: `arn:aws:iam::${ACCOUNT}:group/mallory`,
      role: null,
    });
  });

  it('lets only admins change role mappings, versioned like policies', async () => {
    const roles: RoleMapping = {
      ...ROLES,
      editors: [...ROLES.editors, `arn:aws:iam::${ACCOUNT}:role/release-bot`],
    };
    const change: AdminRequest = {
      operation: 'put-roles',
      roles,
      expectedRevision: 0,
      reason: 'release bot',
    };
    expect((await failure(EDITOR, change)).code).toBe('forbidden');
    await expect(service.execute(VIEWER, { operation: 'get-roles' })).resolves.toMatchObject({ revision: 0 });
    const lockout = await failure(ADMIN, {
      ...change,
      roles: { ...roles, admins: [`arn:aws:iam::${ACCOUNT}:role/x`] },
    });
    expect(lockout.message).toContain('would remove your own admin role');
    const invalid = await failure(ADMIN, {
      ...change,
      roles: { admins: ['root'], editors: [], operators: [] },
    });
    expect(invalid.details.errors).toEqual([
      'roles.operators is not allowed (allowed: admins, editors, viewers)',
      'roles.admins[0] must be an IAM or STS ARN pattern such as arn:aws:iam::123456789012:role/ops, got "root"',
      'roles.viewers must be an array of at most 100 IAM ARN patterns',
    ]);

    await expect(service.execute(ADMIN, change)).resolves.toMatchObject({ revision: 1, actor: ADMIN });
    const bot = `arn:aws:sts::${ACCOUNT}:assumed-role/release-bot/run-7`;
    await expect(service.execute(bot, { operation: 'whoami' })).resolves.toEqual({
      principal: bot,
      role: 'editor',
    });
    expect((await failure(ADMIN, change)).message).toContain('the head is 1');
  });
});

describe('audit immutability', () => {
  it('offers no operation that updates or deletes a revision, and a re-put never replaces one', async () => {
    const set = newPolicySet();
    await put(set, [orbitReasons], 0);
    const original = await rawItem(set, 1);
    for (const operation of ['delete', 'update', 'delete-revision']) {
      const error = await failure(ADMIN, {
        operation,
        policySet: set,
        revision: 1,
      } as unknown as AdminRequest);
      expect(error.code).toBe('bad-request');
      expect(error.message).toMatch(/^operation must be one of whoami, validate, dry-run, get, list, diff/);
    }
    const rewrite = await failure(ADMIN, {
      operation: 'put',
      policySet: set,
      document: doc(noHeartbeatInProd),
      expectedRevision: 0,
      reason: 'rewrite history',
    });
    expect(rewrite.code).toBe('conflict');
    // The store's own write path cannot replace an existing revision either.
    await expect(
      store.putRevision(set, {
        document: doc(noHeartbeatInProd),
        expectedRevision: 0,
        actor: ADMIN,
        reason: 'x',
      }),
    ).rejects.toThrow('expected head revision 0, but the head is 1');
    expect(await rawItem(set, 1)).toEqual(original);
  });
});

describe('put-time checks and dry runs', () => {
  const failingTests = {
    cases: [
      {
        name: 'heartbeats stay allowed in prod',
        request: { service: 'orbit', intent: 'reason:heartbeat' },
        expect: { allowed: true },
      },
    ],
  };

  it('rejects a candidate whose own tests fail, writing nothing', async () => {
    const set = newPolicySet();
    await put(set, [orbitReasons], 0);
    const error = await failure(EDITOR, {
      operation: 'put',
      policySet: set,
      document: doc(orbitReasons, noHeartbeatInProd),
      tests: failingTests,
      expectedRevision: 1,
      reason: 'block heartbeats',
    });
    expect(error).toMatchObject({ code: 'tests-failed', status: 422, message: '1 of 1 policy tests failed' });
    expect(error.details.tests).toMatchObject({
      failed: 1,
      results: [
        {
          name: 'heartbeats stay allowed in prod',
          passed: false,
          message: 'expected allowed=true, got allowed=false: denied by statement no-heartbeat-in-prod',
        },
      ],
    });
    expect(await rawItem(set, 2)).toBeUndefined();
  });

  it('rejects an invalid candidate with every error, and a change without a reason', async () => {
    const set = newPolicySet();
    const invalid = await failure(EDITOR, {
      operation: 'put',
      policySet: set,
      document: { version: 1, statements: [{ ...orbitReasons, principals: [] }, orbitReasons] },
      expectedRevision: 0,
      reason: 'x',
    });
    expect(invalid).toMatchObject({ code: 'invalid-policy', message: 'the policy document has 2 errors' });
    expect(invalid.details.errors).toEqual([
      '/statements/0/principals must NOT have fewer than 1 items',
      '/statements/1/id "orbit-reasons-on-axon" repeats the id of /statements/0',
    ]);
    const unexplained = await failure(EDITOR, {
      operation: 'put',
      policySet: set,
      document: doc(orbitReasons),
      expectedRevision: 0,
      reason: '  ',
    });
    expect(unexplained.message).toMatch(/^reason is required/);
    expect(await rawItem(set, 1)).toBeUndefined();
  });

  it('evaluates requests against a candidate or the head without publishing anything', async () => {
    const set = newPolicySet();
    await put(set, [orbitReasons], 0);
    const candidate = (await service.execute(VIEWER, {
      operation: 'dry-run',
      policySet: set,
      document: doc(orbitReasons, noHeartbeatInProd),
      requests: [{ service: 'orbit', intent: 'reason:heartbeat', environment: 'prod' }],
    })) as { basedOn: number | null; decisions: { allowed: boolean; statementId?: string }[] };
    expect(candidate.basedOn).toBeNull();
    expect(candidate.decisions).toMatchObject([{ allowed: false, statementId: 'no-heartbeat-in-prod' }]);
    const head = (await service.execute(VIEWER, {
      operation: 'dry-run',
      policySet: set,
      requests: [{ service: 'orbit', intent: 'reason:heartbeat', time: '2026-01-05T12:00:00Z' }],
    })) as typeof candidate;
    expect(head).toMatchObject({ basedOn: 1, decisions: [{ allowed: true, policyRevision: 1 }] });
    const bad = await failure(VIEWER, {
      operation: 'dry-run',
      policySet: set,
      requests: [{ service: 'Orbit!', intent: 'reason:deep' }],
    });
    expect(bad.message).toMatch(/^requests\[0\]: service must be a service name/);
    // The same words a policy test case gets for the same mistake (engine/policy-tests.ts).
    const badTime = await failure(VIEWER, {
      operation: 'dry-run',
      policySet: set,
      requests: [
        { service: 'orbit', intent: 'reason:deep' },
        { service: 'orbit', intent: 'reason:deep', time: 'noon' },
      ],
    });
    expect(badTime.message).toBe('requests[1]: time "noon" is not an ISO 8601 instant');
    const badEnvironment = await failure(VIEWER, {
      operation: 'dry-run',
      policySet: set,
      // As a JSON body carries it: nothing has checked the environment yet.
      requests: [JSON.parse('{"service":"orbit","intent":"reason:deep","environment":"qa"}')],
    });
    expect(badEnvironment.message).toBe('requests[0]: environment must be one of dev, staging, prod, local');
    expect(await rawItem(set, 2)).toBeUndefined();
  });
});

describe('admin function URL handler', () => {
  const call = (body: unknown, caller: string | null = VIEWER, method = 'POST'): FunctionUrlEvent => ({
    body: typeof body === 'string' ? body : JSON.stringify(body),
    rawPath: '/',
    requestContext: {
      http: { method },
      requestId: 'req-1',
      ...(caller ? { authorizer: { iam: { userArn: caller } } } : {}),
    },
  });
  let output: string[] = [];
  const silence = () => {
    output = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => output.push(String(chunk)) > 0) as typeof write;
    return () => {
      process.stdout.write = write;
    };
  };

  it('answers with the caller identity from the IAM authorizer, and problems for caller mistakes', async () => {
    const handler = createAdminHandler(service, 'dev');
    const restore = silence();
    try {
      const ok = await handler(call({ operation: 'whoami' }, EDITOR));
      expect(ok.statusCode).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ principal: EDITOR, role: 'editor' });

      const anonymous = await handler(call({ operation: 'whoami' }, null));
      expect(anonymous.statusCode).toBe(403);
      expect(anonymous.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(anonymous.body).detail).toMatch(/^no IAM caller/);

      expect((await handler(call('not json'))).statusCode).toBe(400);
      const deep = await handler(
        call(`{"operation":"validate","document":${'['.repeat(5000)}${']'.repeat(5000)}}`),
      );
      expect(deep.statusCode).toBe(400);
      expect(JSON.parse(deep.body)).toMatchObject({
        type: 'urn:axon-orbit:governance-admin:bad-request',
        detail: 'the body nests arrays or objects more than 32 levels deep; the limit is 32',
        maxDepth: 32,
      });
      expect((await handler(call({ operation: 'whoami' }, VIEWER, 'GET'))).statusCode).toBe(400);
      const conflict = await handler(
        call({ operation: 'put', document: doc(orbitReasons), expectedRevision: 0, reason: 'x' }, VIEWER),
      );
      expect(JSON.parse(conflict.body)).toMatchObject({
        type: 'urn:axon-orbit:governance-admin:forbidden',
        status: 403,
        required: 'editor',
      });
    } finally {
      restore();
    }
  });

  it('turns unexpected failures into Lambda errors (for the alarm) and counts them', async () => {
    const broken = new AdminService({
      store: new PolicyStore({ client, tableName: 'no-such-table' }),
      roles: new RoleStore(client, 'no-such-table'),
      configuredRoles: ROLES,
    });
    const handler = createAdminHandler(broken, 'dev');
    const restore = silence();
    try {
      await expect(handler(call({ operation: 'get' }))).rejects.toThrow(
        'admin operation get failed (request req-1)',
      );
    } finally {
      restore();
    }
    const emf = output.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => 'AdminErrors' in l);
    expect(emf).toMatchObject({ AdminErrors: 1, Service: 'governance-admin', Environment: 'dev' });
  });
});
