import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { main } from '../governance/cli/cli.js';
import { seedPolicyTable } from '../lambdas/governance/seed.js';
import { PolicyStore } from '../lambdas/governance/store/index.js';
import { type LocalDynamo, startDynalite } from '../test/support/dynalite.js';
import { startDecisionLog } from './decision-log.js';
import { loadDecisionFunction } from './governance.js';

const TABLE = 'decision-log-test';
const FIXTURES = fileURLToPath(new URL('../test/fixtures/impact/', import.meta.url));

let dynamo: LocalDynamo;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynalite();
  await seedPolicyTable({ endpoint: dynamo.endpoint, tableName: TABLE });
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

describe('local decision log (npm start → governance impact)', () => {
  it('appends every decision of the real handler as a log line that impact replays against the store', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'decisions-')), 'nested', 'decisions.jsonl');
    const decide = await loadDecisionFunction({
      store: new PolicyStore({ client, tableName: TABLE }),
      policySet: 'default',
      environment: 'local',
      cacheTtlMs: 0,
      powertoolsLogLevel: 'SILENT',
      functionName: 'axon-orbit-local-governance',
    });
    const log = await startDecisionLog(path);
    // A caller the default policy lists, as Orbit sends it.
    const caller = { clientId: 'demo-app', tenant: 'acme' };
    await decide({ service: 'orbit', caller, intent: 'reason:heartbeat', correlationId: 'local-0001' });
    await decide({ service: 'axon', intent: 'reason:summarize', correlationId: 'local-0002' });
    await decide({ service: 'orbit', caller, intent: 'Not An Intent' });
    await log.stop();
    // Nothing more is appended once the log stopped.
    await decide({ service: 'orbit', caller, intent: 'reason:deep' });
    expect(log.written()).toBe(3);

    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      message: 'decision',
      correlationId: 'local-0001',
      input: { service: 'orbit', caller, intent: 'reason:heartbeat', correlationId: 'local-0001' },
      environment: 'local',
      policySet: 'default',
      result: { allowed: true, statementId: 'orbit-reasons-on-axon', policyRevision: 1 },
    });

    let stdout = '';
    const code = await main(
      [
        'impact',
        'candidate.json',
        '--decisions',
        path,
        '--endpoint',
        dynamo.endpoint,
        '--table',
        TABLE,
        '--json',
      ],
      {
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: () => true },
        env: {},
        cwd: FIXTURES,
      },
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    // The candidate's night-heartbeat deny is for prod only; its new allow for axon flips the second decision.
    expect(report.totals).toMatchObject({
      lines: 3,
      replayed: 2,
      flips: 1,
      denyToAllow: 1,
      nonReproducing: 0,
    });
    expect(report.baseline.ownRevision).toBe(2);
    expect(report.flips[0]).toMatchObject({
      caller: 'axon',
      intent: 'reason:summarize',
      toStatement: 'axon-may-summarize',
    });
    expect(report.skipped['invalid-request'].count).toBe(1);
  });
});
