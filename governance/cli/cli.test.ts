import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AdminError } from '../../lambdas/governance/admin/errors.js';
import { createAdminHandler } from '../../lambdas/governance/admin/http.js';
import { RoleStore } from '../../lambdas/governance/admin/role-store.js';
import { AdminService } from '../../lambdas/governance/admin/service.js';
import { PolicyStore } from '../../lambdas/governance/store/index.js';
import { type LocalDynamo, startPolicyTable } from '../../test/support/dynalite.js';
import { EXIT, main } from './cli.js';

const TABLE = 'governance-cli-test';
const ACCOUNT = '222222222222';
const REPO = fileURLToPath(new URL('../../', import.meta.url));

let dynamo: LocalDynamo;
let client: DynamoDBClient;
let server: Server;
let adminUrl: string;
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
    cwd: dir,
  });
  return { code, stdout, stderr };
}

const table = () => ['--endpoint', dynamo.endpoint, '--table', TABLE];

function file(name: string, content: unknown): string {
  writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return name;
}

const allow = { id: 'orbit-reasons', effect: 'allow', principals: ['orbit'], actions: ['reason:*'] };
const denyHeartbeat = {
  id: 'no-heartbeat-in-prod',
  effect: 'deny',
  principals: ['orbit'],
  actions: ['reason:heartbeat'],
  conditions: { environments: ['prod'] },
};

/**
 * Stands in for the function URL's AWS_IAM auth: the SigV4 access key id the CLI signed with names
 * the caller (a real URL verifies the signature and resolves the principal the same way).
 */
function startFunctionUrl(service: AdminService): Promise<string> {
  const handler = createAdminHandler(service, 'local');
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', async () => {
      const credential = /Credential=([A-Z]+)\//.exec(req.headers.authorization ?? '')?.[1];
      const signed = credential !== undefined && typeof req.headers['x-amz-date'] === 'string';
      const caller = signed
        ? `arn:aws:sts::${ACCOUNT}:assumed-role/${credential.toLowerCase()}/cli`
        : undefined;
      const response = await handler({
        body,
        rawPath: req.url ?? '/',
        requestContext: {
          http: { method: req.method ?? 'GET' },
          ...(caller ? { authorizer: { iam: { userArn: caller } } } : {}),
        },
      });
      res.writeHead(response.statusCode, response.headers).end(response.body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`),
    ),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'governance-cli-'));
  ({ dynamo, client } = await startPolicyTable(TABLE));
  const service = new AdminService({
    store: new PolicyStore({ client, tableName: TABLE }),
    roles: new RoleStore(client, TABLE),
    configuredRoles: {
      admins: [`arn:aws:iam::${ACCOUNT}:role/admin`],
      editors: [`arn:aws:iam::${ACCOUNT}:role/editor`],
      viewers: [`arn:aws:iam::${ACCOUNT}:role/viewer`],
    },
  });
  adminUrl = await startFunctionUrl(service);
});

afterAll(async () => {
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  await dynamo.close();
});

describe('governance CLI, offline commands', () => {
  it('validates a policy and its tests, and lists every error with exit code 1', async () => {
    const ok = await cli('validate', join(REPO, 'governance/policies/default.json'));
    expect(ok).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(ok.stdout).toMatch(/default\.json is valid: 2 statements, \d+ bytes/);

    const bad = file('bad.json', {
      version: 1,
      statements: [
        { ...allow, principals: [] },
        { ...allow, actions: ['reasn:*'] },
      ],
    });
    const human = await cli('validate', bad);
    expect(human.code).toBe(1);
    expect(human.stderr).toBe(
      [
        'error: the policy document has 2 errors',
        '  /statements/0/principals must NOT have fewer than 1 items',
        '  /statements/1/id "orbit-reasons" repeats the id of /statements/0',
        '',
      ].join('\n'),
    );
    const json = await cli('validate', bad, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      exitCode: 1,
      error: { type: 'urn:axon-orbit:governance-admin:invalid-policy', errors: expect.any(Array) },
    });
  });

  it('runs policy tests with a coverage report, failing with exit code 1', async () => {
    file('two.json', { version: 1, statements: [allow, denyHeartbeat] });
    const suite = file('two.test.json', {
      policy: 'two.json',
      cases: [
        {
          name: 'heartbeat allowed',
          request: { service: 'orbit', intent: 'reason:heartbeat' },
          expect: { allowed: true },
        },
      ],
    });
    const run = await cli('test', suite);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      [
        'two.test.json → two.json: 0 passed, 1 failed',
        '  ✗ heartbeat allowed: expected allowed=true, got allowed=false: denied by statement no-heartbeat-in-prod',
        '  coverage: 1/2 statements; not exercised: orbit-reasons',
        '',
      ].join('\n'),
    );
    expect((await cli('test')).code).toBe(EXIT.ok);
    file('two.test.json', {
      policy: 'two.json',
      cases: [
        { name: 'deep', request: { service: 'orbit', intent: 'reason:deep' }, expect: { allowed: true } },
      ],
    });
    expect((await cli('test', suite)).code).toBe(EXIT.ok);
    const strict = await cli('test', suite, '--require-coverage', '--json');
    expect(strict.code).toBe(EXIT.rejected);
    expect(JSON.parse(strict.stdout)).toMatchObject({ failed: 0, uncovered: 1 });
  });

  it('explains a decision against a policy file', async () => {
    file('two.json', { version: 1, statements: [allow, denyHeartbeat] });
    const run = await cli(
      'explain',
      '--policy',
      'two.json',
      '--service',
      'orbit',
      '--intent',
      'reason:heartbeat',
    );
    expect(run.stdout).toBe(
      [
        'DENIED: denied by statement no-heartbeat-in-prod',
        '  ✓ orbit-reasons (allow): matched',
        '  ✓ no-heartbeat-in-prod (deny): matched',
        '  environment: prod (default without a target; pass --environment to change it)',
        '',
      ].join('\n'),
    );
    const staging = await cli(
      'explain',
      '--policy',
      'two.json',
      '--service',
      'orbit',
      '--intent',
      'reason:heartbeat',
      '--environment',
      'staging',
      '--json',
    );
    expect(JSON.parse(staging.stdout)).toMatchObject({ allowed: true, statementId: 'orbit-reasons' });
  });

  it('explains a decision for a verified caller and tenant', async () => {
    file('callers.json', {
      version: 1,
      statements: [
        {
          id: 'billing',
          effect: 'allow',
          principals: ['orbit'],
          callers: ['billing'],
          actions: ['reason:*'],
        },
        { id: 'no-globex', effect: 'deny', principals: ['*'], tenants: ['globex'], actions: ['reason:*'] },
      ],
    });
    const explain = (...extra: string[]) =>
      cli('explain', '--policy', 'callers.json', '--service', 'orbit', '--intent', 'reason:deep', ...extra);
    expect((await explain('--caller', 'billing', '--tenant', 'acme')).stdout).toBe(
      [
        'ALLOWED: allowed by statement billing',
        '  ✓ billing (allow): matched',
        '  · no-globex (deny): tenant acme is not one of globex',
        '  environment: prod (default without a target; pass --environment to change it)',
        '',
      ].join('\n'),
    );
    expect((await explain('--caller', 'billing', '--tenant', 'globex')).stdout).toMatch(
      /^DENIED: denied by statement no-globex/,
    );
    expect((await explain()).stdout).toMatch(
      /· billing \(allow\): request names no caller; statement requires billing/,
    );
    expect((await explain('--caller', 'a b')).stderr).toMatch(/caller must be/);
  });

  it('reports usage errors with exit code 2 and no stack trace', async () => {
    expect(await cli('frobnicate')).toMatchObject({
      code: EXIT.usage,
      stderr: expect.stringContaining('unknown command "frobnicate"'),
    });
    expect((await cli('push', 'x.json', '--bogus')).stderr).toBe(
      'error: unknown option --bogus (governance --help for usage)\n',
    );
    expect((await cli('validate', 'missing.json')).stderr).toBe(
      'error: cannot read missing.json: no such file (governance --help for usage)\n',
    );
    expect((await cli('revisions')).stderr).toMatch(/say where the policies live/);
    expect((await cli('diff', '1', 'two', ...table())).stderr).toBe(
      'error: <to-revision> must be a revision number (1 or more), got "two"; usage: governance diff <from-revision> <to-revision> [--set <name>]\n',
    );
    expect((await cli('--help')).code).toBe(EXIT.ok);
  });
});

describe('governance CLI against dynalite (table target)', () => {
  it('pushes, lists, diffs and rolls back, with exit codes for conflicts and missing revisions', async () => {
    const one = file('one.json', { version: 1, statements: [allow] });
    const two = file('policy.json', { version: 1, statements: [allow, denyHeartbeat] });
    file('policy.test.json', {
      cases: [
        {
          name: 'no prod heartbeat',
          request: { service: 'orbit', intent: 'reason:heartbeat' },
          expect: { allowed: false },
        },
      ],
    });
    const first = await cli(
      'push',
      one,
      '--create-set',
      '--reason',
      'initial',
      '--set',
      'ops',
      '--actor',
      'alice',
      ...table(),
    );
    expect(first).toMatchObject({
      code: 0,
      stdout: 'pushed ops revision 1 (parent -, no tests): +orbit-reasons\n',
    });
    const second = await cli(
      'push',
      two,
      '--expected-revision',
      '1',
      '--reason',
      'quiet prod',
      '--set',
      'ops',
      ...table(),
    );
    expect(second.stdout).toBe(
      'pushed ops revision 2 (parent 1, 1 tests passed; not exercised by any test: orbit-reasons): +no-heartbeat-in-prod\n',
    );

    const stale = await cli(
      'push',
      one,
      '--expected-revision',
      '1',
      '--reason',
      'late',
      '--set',
      'ops',
      ...table(),
    );
    expect(stale.code).toBe(EXIT.conflict);
    expect(stale.stderr).toMatch(
      /^error: policy set ops: expected head revision 1, but the head is 2; nothing was written/,
    );

    const list = await cli('revisions', '--set', 'ops', '--limit', '1', ...table());
    expect(list.stdout).toMatch(/^\s+2\s+1\s+\S+Z\s+\S+\s+\+no-heartbeat-in-prod\s+"quiet prod"$/m);
    expect(list.stdout).toContain(
      `more: governance revisions --limit 1 --before 2 --endpoint ${dynamo.endpoint} --table ${TABLE} --set ops`,
    );

    const rollback = await cli(
      'rollback',
      '1',
      '--expected-revision',
      '2',
      '--reason',
      'heartbeats needed',
      '--set',
      'ops',
      ...table(),
    );
    expect(rollback.stdout).toBe(
      'rolled back ops to the content of revision 1 as revision 3: -no-heartbeat-in-prod\n',
    );
    expect((await cli('diff', '1', '3', '--set', 'ops', ...table())).stdout).toBe(
      'ops 1 → 3: identical content\n',
    );
    expect((await cli('diff', '2', '3', '--set', 'ops', ...table(), '--json')).stdout).toContain(
      '"removed": [\n    "no-heartbeat-in-prod"',
    );

    const explained = await cli(
      'explain',
      '--service',
      'orbit',
      '--intent',
      'reason:heartbeat',
      '--set',
      'ops',
      ...table(),
    );
    expect(explained.stdout).toBe(
      `ALLOWED: allowed by statement orbit-reasons (revision 3)\n  ✓ orbit-reasons (allow): matched\n  environment: local (table ${TABLE} at ${dynamo.endpoint})\n`,
    );

    const missing = await cli('get', '--revision', '99', '--set', 'ops', ...table());
    expect(missing).toMatchObject({
      code: EXIT.notFound,
      stderr: 'error: policy set ops has no revision 99\n',
    });
    const head = await cli('get', '--set', 'ops', ...table(), '--json');
    expect(JSON.parse(head.stdout)).toMatchObject({
      revision: 3,
      actor: expect.any(String),
      parentRevision: 2,
    });
  });

  it('refuses a push whose tests fail with exit code 1, listing the failures', async () => {
    const two = file('strict.json', { version: 1, statements: [allow, denyHeartbeat] });
    const tests = file('strict-tests.json', {
      cases: [
        {
          name: 'heartbeat ok',
          request: { service: 'orbit', intent: 'reason:heartbeat' },
          expect: { allowed: true },
        },
      ],
    });
    const run = await cli(
      'push',
      two,
      '--tests',
      tests,
      '--create-set',
      '--reason',
      'x',
      '--set',
      'strict',
      ...table(),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'error: 1 of 1 policy tests failed\n  ✗ heartbeat ok: expected allowed=true, got allowed=false: denied by statement no-heartbeat-in-prod\n',
    );
  });

  it('reports an unreachable store with exit code 6 and no stack trace', async () => {
    const run = await cli('revisions', '--endpoint', 'http://127.0.0.1:9', '--table', TABLE);
    expect(run.code).toBe(EXIT.unavailable);
    expect(run.stderr).toMatch(/^error: policy store or admin function unavailable: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('governance CLI against the admin function URL (SigV4, roles)', () => {
  const as = (who: string) => {
    process.env.AWS_ACCESS_KEY_ID = who.toUpperCase();
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
  };

  it('signs requests so the handler applies the caller role', async () => {
    const policy = file('url.json', { version: 1, statements: [allow] });
    as('viewer');
    expect((await cli('whoami', '--url', adminUrl)).stdout).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/viewer/cli: viewer\n`,
    );
    const denied = await cli(
      'push',
      policy,
      '--create-set',
      '--reason',
      'x',
      '--set',
      'url',
      '--url',
      adminUrl,
    );
    expect(denied.code).toBe(EXIT.forbidden);
    expect(denied.stderr).toBe(
      `error: put needs the editor role; arn:aws:sts::${ACCOUNT}:assumed-role/viewer/cli has only viewer\n`,
    );
    as('editor');
    const pushed = await cli(
      'push',
      policy,
      '--create-set',
      '--reason',
      'x',
      '--set',
      'url',
      '--url',
      adminUrl,
    );
    expect(pushed).toMatchObject({
      code: 0,
      stdout: 'pushed url revision 1 (parent -, no tests): +orbit-reasons\n',
    });
    const rollback = await cli(
      'rollback',
      '1',
      '--expected-revision',
      '1',
      '--reason',
      'x',
      '--set',
      'url',
      '--url',
      adminUrl,
    );
    expect(rollback.code).toBe(EXIT.forbidden);
    const stale = await cli(
      'push',
      policy,
      '--create-set',
      '--reason',
      'x',
      '--set',
      'url',
      '--url',
      adminUrl,
      '--json',
    );
    expect(stale.code).toBe(EXIT.conflict);
    expect(JSON.parse(stale.stdout)).toMatchObject({ exitCode: 3, error: { headRevision: 1, status: 409 } });
  });
  it('reports what the function says when it answers 503 with a problem, not only the status', async () => {
    const unavailable = new AdminError(
      'unavailable',
      'cannot replay the recorded decisions of /aws/lambda/axon-orbit-dev-governance: query timed out',
    );
    const failing = createServer((_req, res) =>
      res
        .writeHead(503, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify(unavailable.toProblem())),
    );
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    try {
      as('editor');
      const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/`;
      const run = await cli('whoami', '--url', url);
      expect(run.code).toBe(EXIT.unavailable);
      expect(run.stderr).toBe(`error: ${unavailable.message}\n`);
    } finally {
      await new Promise((resolve) => failing.close(resolve));
    }
  });
});

describe('governance CLI role mappings', () => {
  it('prints the mapping in force and lets an admin replace it, versioned', async () => {
    const admin = `arn:aws:iam::${ACCOUNT}:role/admin`;
    process.env.AWS_ACCESS_KEY_ID = 'ADMIN';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    const shown = await cli('roles', '--url', adminUrl);
    expect(shown.stdout).toBe(
      `role mapping (from configuration):\n  admins: ${admin}\n  editors: arn:aws:iam::${ACCOUNT}:role/editor\n  viewers: arn:aws:iam::${ACCOUNT}:role/viewer\n`,
    );
    const mapping = file('roles.json', {
      admins: [admin],
      editors: [],
      viewers: [`arn:aws:iam::${ACCOUNT}:role/*`],
    });
    const replaced = await cli(
      'roles',
      mapping,
      '--expected-revision',
      '0',
      '--reason',
      'viewers: everyone',
      '--url',
      adminUrl,
    );
    expect(replaced.stdout).toBe(
      `role mapping (revision 1):\n  admins: ${admin}\n  editors: -\n  viewers: arn:aws:iam::${ACCOUNT}:role/*\n`,
    );
    process.env.AWS_ACCESS_KEY_ID = 'EDITOR';
    expect((await cli('whoami', '--url', adminUrl)).stdout).toMatch(/editor\/cli: viewer\n$/);
    const notAdmin = await cli(
      'roles',
      mapping,
      '--expected-revision',
      '0',
      '--reason',
      'again',
      '--url',
      adminUrl,
    );
    expect(notAdmin.code).toBe(EXIT.forbidden);
  });
});

describe('governance bin', () => {
  it('runs as a process and exits with the documented code, without a stack trace', () => {
    const bad = file('bin-bad.json', '{"version": 1, "statements": [');
    const run = spawnSync(process.execPath, [join(REPO, 'governance/cli/governance.mjs'), 'validate', bad], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('error: bin-bad.json:1:31: not valid JSON: unexpected end of input\n');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
