import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { DecisionResult } from '../../contracts/decision.js';
import { type LocalDynamo, startDynalite } from '../../test/support/dynalite.js';
import { decisionConfigFromEnvironment } from './config.js';
import { createDecisionHandler } from './decision-handler.js';
import { seedPolicyTable } from './seed.js';
import { PolicyStore } from './store/index.js';

type Handler = (event: unknown, context?: unknown) => Promise<DecisionResult>;

const TABLE = 'governance-policies';
const TTL_MS = 150;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const lambdaContext = { awsRequestId: 'req-1', functionName: 'axon-orbit-dev-governance-decide' };

let dynamo: LocalDynamo;
let client: DynamoDBClient;
let handler: Handler;
let output: string[];

/** Every JSON line the handler wrote (decision logs, errors, EMF metrics) since the test began. */
function lines(): Record<string, unknown>[] {
  return output
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function emf(metric: string): Record<string, unknown>[] {
  return lines().filter((l) => l._aws !== undefined && metric in l);
}

const localClient = (endpoint: string) => ({
  endpoint,
  region: 'local',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  dynamo = await startDynalite();
  await seedPolicyTable({ endpoint: dynamo.endpoint, tableName: TABLE });
  client = new DynamoDBClient(localClient(dynamo.endpoint));
  handler = createDecisionHandler({
    store: new PolicyStore({ client, tableName: TABLE }),
    policySet: 'default',
    environment: 'dev',
    cacheTtlMs: TTL_MS,
  }) as unknown as Handler;
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

beforeEach(() => {
  output = [];
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output.push(String(chunk));
      return true;
    });
  }
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** A caller the default policy lists. */
const DEMO_APP = { clientId: 'demo-app', tenant: 'acme' };

describe('decision handler against dynalite seeded from default.json', () => {
  it('allows Orbit to ask Axon for reasoning for a configured caller, naming statement and revision', async () => {
    const result = await handler(
      { service: 'orbit', caller: DEMO_APP, intent: 'reason:deep', correlationId: 'corr-0001' },
      lambdaContext,
    );
    expect(result).toEqual({
      allowed: true,
      reason: 'allowed by statement orbit-reasons-on-axon',
      statementId: 'orbit-reasons-on-axon',
      policyRevision: 1,
      decisionId: expect.stringMatching(UUID),
    });
  });

  it('denies Orbit asking without a caller, or for a caller the policy does not list', async () => {
    expect(await handler({ service: 'orbit', intent: 'reason:deep' }, lambdaContext)).toMatchObject({
      allowed: false,
      reason: 'no statement allows orbit:reason:deep',
    });
    expect(
      await handler(
        { service: 'orbit', caller: { clientId: 'stranger', tenant: 'acme' }, intent: 'reason:deep' },
        lambdaContext,
      ),
    ).toMatchObject({
      allowed: false,
      reason: 'no statement allows orbit:reason:deep for caller stranger (tenant acme)',
    });
  });

  it('denies anything the default policy does not allow', async () => {
    const result = await handler({ service: 'orbit', intent: 'admin:policy:put' }, lambdaContext);
    expect(result).toMatchObject({
      allowed: false,
      reason: 'no statement allows orbit:admin:policy:put',
      policyRevision: 1,
    });
    expect(result.statementId).toBeUndefined();
  });

  it('answers a call without a Lambda context (local invoke endpoint)', async () => {
    expect(await handler({ service: 'orbit', caller: DEMO_APP, intent: 'reason:fast' })).toMatchObject({
      allowed: true,
    });
  });

  it('logs one replayable JSON line per decision with the correlation id', async () => {
    const result = await handler(
      { service: 'orbit', intent: 'reason:deep', context: { tenant: 'acme' }, correlationId: 'corr-0042' },
      lambdaContext,
    );
    const logs = lines().filter((l) => l.message === 'decision');
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'INFO',
      correlationId: 'corr-0042',
      decisionId: result.decisionId,
      input: { service: 'orbit', intent: 'reason:deep', context: { tenant: 'acme' } },
      environment: 'dev',
      policySet: 'default',
      result,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('decides for the verified caller, and names it in the decision log and a per-caller metric', async () => {
    const caller = { clientId: 'demo-app', tenant: 'acme' };
    const result = await handler({ service: 'orbit', caller, intent: 'reason:deep' }, lambdaContext);
    expect(result).toMatchObject({ allowed: true, statementId: 'orbit-reasons-on-axon' });
    expect(lines().find((l) => l.message === 'decision')).toMatchObject({
      caller: 'demo-app',
      input: { caller },
    });
    expect(emf('DecisionsByCaller')[0]).toMatchObject({
      DecisionsByCaller: 1,
      Caller: 'demo-app',
      Outcome: 'allow',
      _aws: { CloudWatchMetrics: [{ Dimensions: [['Service', 'Environment', 'Caller', 'Outcome']] }] },
    });
  });

  it('denies a malformed caller without throwing', async () => {
    const result = await handler(
      { service: 'orbit', caller: { clientId: 'has space' }, intent: 'reason:deep' },
      lambdaContext,
    );
    expect(result).toMatchObject({ allowed: false });
    expect(result.reason).toMatch(/^invalid request: \/caller\/clientId must match pattern/);
    expect(emf('DecisionsByCaller')).toEqual([]);
  });

  it('emits decision, denial and latency metrics under the platform namespace and dimensions', async () => {
    await handler({ service: 'axon', intent: 'reason:deep' }, lambdaContext);
    const [decision] = emf('Decisions');
    expect(decision).toMatchObject({ Decisions: 1, Denials: 1, Service: 'governance', Environment: 'dev' });
    expect(decision?.DecisionLatency).toEqual(expect.any(Number));
    expect(decision?._aws).toMatchObject({
      CloudWatchMetrics: [{ Namespace: 'AxonOrbit', Dimensions: [['Service', 'Environment']] }],
    });
    expect(emf('DenialsByReason')[0]).toMatchObject({ DenialsByReason: 1, Reason: 'no-match' });
  });

  it.each([
    ['no event', undefined, /^invalid request: \(document\) must have required property 'service'/],
    ['a string', 'orbit', /must be object/],
    ['no intent', { service: 'orbit' }, /must have required property 'intent'/],
    ['a numeric service', { service: 7, intent: 'reason:deep' }, /\/service must be string/],
    ['a malformed intent', { service: 'orbit', intent: 'reason:*' }, /^invalid request: intent must be/],
    [
      'an upper-case service',
      { service: 'Orbit', intent: 'reason:deep' },
      /^invalid request: service must be/,
    ],
    [
      'a non-object context',
      { service: 'orbit', intent: 'reason:deep', context: [1] },
      /\/context must be object/,
    ],
    [
      'a bad resource',
      { service: 'orbit', intent: 'reason:deep', context: { resource: 'A B' } },
      /context.resource/,
    ],
    [
      'a context nested 5,000 levels deep',
      {
        service: 'orbit',
        intent: 'reason:deep',
        context: { deep: JSON.parse('['.repeat(5000) + ']'.repeat(5000)) },
      },
      /^invalid request: the event nests arrays or objects more than 32 levels deep; the limit is 32$/,
    ],
    [
      'a bad correlation id',
      { service: 'orbit', intent: 'reason:deep', correlationId: 'a b' },
      /\/correlationId/,
    ],
  ])('denies %s with a validation reason and an error metric, without throwing', async (_, event, reason) => {
    const result = await handler(event, lambdaContext);
    expect(result).toMatchObject({
      allowed: false,
      policyRevision: null,
      decisionId: expect.stringMatching(UUID),
    });
    expect(result.reason).toMatch(reason);
    expect(emf('InvalidRequests')[0]).toMatchObject({ InvalidRequests: 1, Denials: 1 });
    expect(emf('DenialsByReason')[0]).toMatchObject({ Reason: 'invalid-request' });
  });

  it('applies a new head revision once the cache TTL has passed', async () => {
    const store = new PolicyStore({ client, tableName: TABLE });
    expect(
      await handler({ service: 'orbit', caller: DEMO_APP, intent: 'reason:deep' }, lambdaContext),
    ).toMatchObject({ allowed: true });
    const head = await store.getHead('default');
    await store.putRevision('default', {
      document: {
        version: 1,
        statements: [
          ...(head?.document.statements ?? []),
          { id: 'no-deep-in-dev', effect: 'deny', principals: ['*'], actions: ['reason:deep'] },
        ],
      },
      expectedRevision: head?.revision ?? 0,
      actor: 'test',
      reason: 'freeze deep reasoning',
    });
    await sleep(TTL_MS + 50);
    const denied = await handler(
      { service: 'orbit', caller: DEMO_APP, intent: 'reason:deep' },
      lambdaContext,
    );
    expect(denied).toMatchObject({
      allowed: false,
      reason: 'denied by statement no-deep-in-dev',
      statementId: 'no-deep-in-dev',
      policyRevision: 2,
    });
    expect(emf('DenialsByReason')[0]).toMatchObject({ Reason: 'explicit-deny' });
    expect(
      await handler({ service: 'orbit', caller: DEMO_APP, intent: 'reason:fast' }, lambdaContext),
    ).toMatchObject({ allowed: true, policyRevision: 2 });
  });
});

describe('decision handler failing closed', () => {
  const build = (endpoint: string, policySet = 'default') =>
    createDecisionHandler({
      store: new PolicyStore({
        client: new DynamoDBClient({ ...localClient(endpoint), maxAttempts: 1 }),
        tableName: TABLE,
      }),
      policySet,
      environment: 'dev',
      cacheTtlMs: 0,
    }) as unknown as Handler;

  it('denies with "policy store unavailable" when the store cannot be reached', async () => {
    const gone = await startDynalite();
    await gone.close();
    const result = await build(gone.endpoint)({ service: 'orbit', intent: 'reason:deep' }, lambdaContext);
    expect(result).toMatchObject({
      allowed: false,
      reason: 'policy store unavailable',
      policyRevision: null,
    });
    expect(emf('StoreUnavailable')[0]).toMatchObject({ StoreUnavailable: 1, Denials: 1 });
    const error = lines().find((l) => l.message === 'policy store unavailable');
    expect(error).toMatchObject({ level: 'ERROR' });
  });

  it('denies when the policy set has no revision', async () => {
    const result = await build(dynamo.endpoint, 'empty')({ service: 'orbit', intent: 'reason:deep' });
    expect(result).toMatchObject({ allowed: false, reason: 'policy set empty has no revision' });
  });

  it('denies when the head revision does not validate', async () => {
    await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          PK: { S: 'POLICYSET#broken' },
          SK: { S: 'REV#0000000001' },
          revision: { N: '1' },
          document: { S: '{"version":1,"statements":[{"id":"x"}]}' },
        },
      }),
    );
    const result = await build(dynamo.endpoint, 'broken')({ service: 'orbit', intent: 'reason:deep' });
    expect(result).toMatchObject({
      allowed: false,
      reason: 'policy revision 1 is invalid',
      policyRevision: 1,
    });
    expect(emf('InvalidPolicy')[0]).toMatchObject({ InvalidPolicy: 1 });
  });
});

describe('configuration from the environment', () => {
  const valid = { POLICY_TABLE_NAME: 't', ENVIRONMENT: 'prod' };

  it('defaults the policy set and TTL', () => {
    expect(decisionConfigFromEnvironment(valid)).toEqual({
      tableName: 't',
      policySet: 'default',
      cacheTtlMs: 30_000,
      environment: 'prod',
    });
  });

  it.each([
    [{ ENVIRONMENT: 'prod' }, 'POLICY_TABLE_NAME must name the policy table'],
    [{ ...valid, ENVIRONMENT: 'qa' }, 'ENVIRONMENT must be one of dev, staging, prod, local, got "qa"'],
    [{ ...valid, POLICY_CACHE_TTL_MS: '-1' }, 'POLICY_CACHE_TTL_MS must be an integer from 0 to 300000'],
    [{ ...valid, POLICY_SET_NAME: 'Default' }, 'POLICY_SET_NAME must match'],
  ])('rejects %j', (env, message) => {
    expect(() => decisionConfigFromEnvironment(env)).toThrow(message);
  });
});
