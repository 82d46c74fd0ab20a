import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { WindowImpact } from '../../contracts/impact.js';
import { ImpactGate } from '../../lambdas/governance/admin/impact-gate.js';
import { RoleStore } from '../../lambdas/governance/admin/role-store.js';
import { AdminService, type DryRunReport } from '../../lambdas/governance/admin/service.js';
import { jsonlSource, storeRevisions } from '../../lambdas/governance/impact/index.js';
import { PolicyStore } from '../../lambdas/governance/store/index.js';
import { type LocalDynamo, startPolicyTable } from '../../test/support/dynalite.js';
import { main } from './cli.js';

const TABLE = 'governance-impact-test';
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/impact/', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const expected = JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8'));

let dynamo: LocalDynamo;
let client: DynamoDBClient;

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    cwd: FIXTURES,
  });
  return { code, stdout, stderr };
}

const table = (name = TABLE) => ['--endpoint', dynamo.endpoint, '--table', name];

beforeAll(async () => {
  ({ dynamo, client } = await startPolicyTable(TABLE));
  // Revision 1 is the shipped default policy: what every recorded decision of the fixture was decided by.
  await new PolicyStore({ client, tableName: TABLE }).putRevision('default', {
    document: JSON.parse(readFileSync(`${REPO}governance/policies/default.json`, 'utf8')),
    expectedRevision: 0,
    actor: 'test',
    reason: 'baseline',
  });
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

describe('governance impact over a JSONL decision log', () => {
  it('reports exactly the hand-computed flips, non-reproducing decisions and skips of a known change', async () => {
    const run = await cli('impact', 'candidate.json', '--decisions', 'decisions.jsonl', '--json', ...table());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.totals).toEqual(expected.totals);
    expect(report.baseline).toEqual(expected.baseline);
    expect(report.flips).toEqual(expected.flips);
    expect(report.nonReproducing).toEqual(expected.nonReproducing);
    const counts = Object.fromEntries(
      Object.entries(report.skipped as Record<string, { count: number }>).map(([k, v]) => [k, v.count]),
    );
    expect(counts).toEqual(expected.skippedCounts);
    expect(report.unknownFields).toEqual(expected.unknownFields);
    expect(report.skipped['unknown-policy-set'].examples).toEqual(['d-14: policy set payments']);
  });

  it('exits 1 when flips exceed --max-flips, 0 when they do not, and says so', async () => {
    const over = await cli(
      'impact',
      'candidate.json',
      '--decisions',
      'decisions.jsonl',
      '--max-flips',
      '5',
      ...table(),
    );
    expect(over.code).toBe(1);
    expect(over.stdout).toContain('✗ 6 flips exceed --max-flips 5');
    expect(over.stdout).toContain(
      '4  orbit: demo-app (tenant acme)  reason:heartbeat  allow→deny  orbit-reasons-on-axon → no-night-heartbeats-in-prod',
    );
    expect(over.stdout).toContain('e.g. decision d-02, correlation corr-0002 at 2026-01-05T23:30:00.000Z');
    expect(over.stdout).toContain(
      'decision d-09 (default revision 1): recorded allow by orbit-reasons-on-axon',
    );
    const within = await cli(
      'impact',
      'candidate.json',
      '--decisions',
      'decisions.jsonl',
      '--max-flips',
      '6',
      ...table(),
    );
    expect(within.code).toBe(0);
    expect(within.stdout).toContain('✓ 6 flips, within --max-flips 6');
  });

  it('without a store compares with the recorded results, so nothing can be checked for reproduction', async () => {
    const run = await cli('impact', 'candidate.json', '--decisions', 'decisions.jsonl', '--json');
    const report = JSON.parse(run.stdout);
    // d-09 now flips (recorded allow → candidate deny); d-14 and d-15 are replayed too, since no store
    // says their set or revision is unknown: d-15 flips, d-14 stays allowed by another statement.
    expect(report.baseline).toEqual({ ownRevision: 0, headForUnknownRevision: 0, recordedResult: 12 });
    expect(report.totals).toMatchObject({ replayed: 12, flips: 7, statementChanged: 1, nonReproducing: 0 });
    expect(report.skipped['unknown-policy-set']).toBeUndefined();
  });

  it("gives the admin API's dry run the same impact as the CLI for the same decisions", async () => {
    const store = new PolicyStore({ client, tableName: TABLE });
    const editor = 'arn:aws:sts::111111111111:assumed-role/policy-editor/bob';
    const service = new AdminService({
      store,
      roles: new RoleStore(client, TABLE),
      configuredRoles: { admins: [], editors: ['arn:aws:iam::111111111111:role/policy-editor'], viewers: [] },
      impact: new ImpactGate({
        maxFlips: undefined,
        windowMs: 86_400_000,
        revisions: storeRevisions(store),
        decisions: () => ({
          source: 'decisions.jsonl',
          from: null,
          to: null,
          lines: (replay) => jsonlSource(`${FIXTURES}decisions.jsonl`, replay),
          close: () => {},
        }),
      }),
    });
    const candidate = JSON.parse(readFileSync(`${FIXTURES}candidate.json`, 'utf8'));
    const dryRun = (await service.execute(editor, {
      operation: 'dry-run',
      document: candidate,
      impact: {},
    })) as DryRunReport;
    const cliRun = JSON.parse(
      (await cli('impact', 'candidate.json', '--decisions', 'decisions.jsonl', '--json', ...table())).stdout,
    );
    const { totals, baseline, flips, nonReproducing, skipped, unknownFields } = dryRun.impact as WindowImpact;
    expect({ totals, baseline, flips, nonReproducing, skipped, unknownFields }).toEqual({
      totals: cliRun.totals,
      baseline: cliRun.baseline,
      flips: cliRun.flips,
      nonReproducing: cliRun.nonReproducing,
      skipped: cliRun.skipped,
      unknownFields: cliRun.unknownFields,
    });
    expect(totals.flips).toBe(expected.totals.flips);
  });

  it('refuses a candidate whose tests fail before replaying anything, with the messages validate prints', async () => {
    const impact = await cli(
      'impact',
      'candidate.json',
      '--tests',
      'failing.test.json',
      '--decisions',
      'decisions.jsonl',
    );
    const validate = await cli('validate', 'candidate.json', '--tests', 'failing.test.json');
    expect(impact.code).toBe(1);
    expect(impact.stdout).toBe('');
    expect(impact.stderr).toBe(validate.stderr);
    expect(impact.stderr).toContain('heartbeats at night stay allowed');
  });

  it('refuses an invalid candidate with the same errors as validate', async () => {
    const impact = await cli('impact', 'expected.json', '--decisions', 'decisions.jsonl');
    const validate = await cli('validate', 'expected.json');
    expect(impact.code).toBe(1);
    expect(impact.stderr).toBe(validate.stderr);
  });

  it('refuses a candidate that is missing or not JSON in the words validate uses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'impact-candidate-'));
    try {
      writeFileSync(join(dir, 'broken.json'), '{\n  "version": 1,\n  nope\n}\n');
      for (const candidate of [join(dir, 'broken.json'), join(dir, 'missing.json')]) {
        const impact = await cli('impact', candidate, '--decisions', 'decisions.jsonl');
        const validate = await cli('validate', candidate);
        expect(impact.stderr).toBe(validate.stderr);
        expect(impact.code).toBe(validate.code);
      }
      expect((await cli('validate', join(dir, 'broken.json'))).stderr).toContain(
        'broken.json:3:3: not valid JSON',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops with exit 5 when the store named has no such table, instead of counting every set unknown', async () => {
    const run = await cli(
      'impact',
      'candidate.json',
      '--decisions',
      'decisions.jsonl',
      ...table('no-such-table'),
    );
    expect(run.code).toBe(5);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('table no-such-table does not exist');
  });

  it('names the decision source, not the policy store, when the source cannot be read', async () => {
    const saved = { ...process.env };
    // Credentials and an endpoint on a closed loopback port: the query fails at once, without AWS.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      AWS_MAX_ATTEMPTS: '1',
    });
    try {
      const run = await cli(
        'impact',
        'candidate.json',
        '--since',
        '1h',
        '--log-group',
        'decisions',
        '--region',
        'eu-west-1',
      );
      expect(run.code).toBe(6);
      expect(run.stderr).toMatch(/^error: cannot read the decisions \(decisions, [^)]+\): /);
      expect(run.stderr).not.toContain('policy store');
      expect(run.stderr).toContain('127.0.0.1:1');
    } finally {
      for (const name of [
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_ENDPOINT_URL',
        'AWS_MAX_ATTEMPTS',
      ]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
  });

  it.each([
    [['impact'], 'missing the candidate'],
    [['impact', 'candidate.json'], 'say which decisions to replay'],
    [['impact', 'candidate.json', '--decisions', 'nope.jsonl'], 'cannot read nope.jsonl: no such file'],
    [['impact', 'candidate.json', '--decisions', '.'], 'cannot read .: it is a directory'],
    [['impact', 'candidate.json', '--decisions', 'decisions.jsonl', '--since', '24h'], 'not both'],
    [['impact', 'candidate.json', '--since', 'yesterday', '--env', 'prod'], '--since must be a duration'],
    [['impact', 'candidate.json', '--since', '24h'], '--since needs --env <env> or --log-group <name>'],
    [
      ['impact', 'candidate.json', '--since', '24h', '--env', 'qa'],
      '--env must be one of dev, staging, prod',
    ],
    [
      ['impact', 'candidate.json', '--decisions', 'decisions.jsonl', '--max-flips', 'many'],
      '--max-flips must be',
    ],
  ])('usage error (exit 2): %j', async (argv, message) => {
    const run = await cli(...argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

describe('governance push gated on impact (direct table writes)', () => {
  const push = (...extra: string[]) =>
    cli(
      'push',
      'candidate.json',
      '--expected-revision',
      '1',
      '--reason',
      'no night heartbeats',
      ...table(),
      ...extra,
    );

  it('refuses flips above the threshold, naming the count, the threshold and the flag, and writes nothing', async () => {
    const run = await push('--decisions', 'decisions.jsonl', '--max-flips', '5');
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      'error: the candidate flips 6 recorded decisions (5 allow→deny, 1 deny→allow) in decisions.jsonl, more than the threshold of 5; nothing was written. Review the flips, then push again with --accept-impact ("acceptImpact": true) to publish anyway',
    );
    expect(run.stderr).toContain(
      '4  orbit: demo-app (tenant acme)  reason:heartbeat  allow→deny  orbit-reasons-on-axon → no-night-heartbeats-in-prod',
    );
    const json = await push('--decisions', 'decisions.jsonl', '--max-flips', '5', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      exitCode: 1,
      error: { type: 'urn:axon-orbit:governance-admin:impact-exceeded', status: 422, flips: 6, maxFlips: 5 },
    });
    expect((await new PolicyStore({ client, tableName: TABLE }).getHead('default'))?.revision).toBe(1);
  });

  it.each([
    [
      ['--decisions', 'decisions.jsonl'],
      'give --max-flips <n>: table governance-impact-test has no configured impact threshold',
    ],
    [
      ['--decisions', 'decisions.jsonl', '--function', 'axon-orbit-prod-policy-admin'],
      'the admin function checks a push against its own decision log and threshold; leave out --decisions',
    ],
  ])('usage error (exit 2): %j', async (argv, message) => {
    const run = await push(...argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('publishes with --accept-impact and keeps the acceptance in the audit entry', async () => {
    const run = await push(
      '--decisions',
      'decisions.jsonl',
      '--max-flips',
      '5',
      '--accept-impact',
      '--actor',
      'dana',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'impact: 6 flips (5 allow→deny, 1 deny→allow) of 10 decisions in decisions.jsonl; threshold 5, accepted by dana (--accept-impact)',
    );
    const listed = await cli('revisions', '--limit', '1', '--json', ...table());
    expect(JSON.parse(listed.stdout).revisions[0]).toMatchObject({
      revision: 2,
      actor: 'dana',
      impact: { source: 'decisions.jsonl', from: null, to: null, flips: 6, maxFlips: 5, acceptedBy: 'dana' },
    });
  });
});
