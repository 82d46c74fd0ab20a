import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LocalDynamo, startPolicyTable } from '../../test/support/dynalite.js';
import { EXIT, main } from './cli.js';
import { jsonProblem, lineAndColumn } from './files.js';
import { environmentOfName } from './targets.js';

/** What a policy author sees on the way to a first push: every message names the fix. */
const TABLE = 'governance-cli-messages';
let dynamo: LocalDynamo;
let dir: string;

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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

const target = () => ['--endpoint', dynamo.endpoint, '--table', TABLE];
const allow = { id: 'orbit-reasons', effect: 'allow', principals: ['orbit'], actions: ['reason:*'] };

function file(name: string, content: unknown): string {
  writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return name;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'governance-messages-'));
  const local = await startPolicyTable(TABLE);
  dynamo = local.dynamo;
  local.client.destroy();
  file('one.json', { version: 1, statements: [allow] });
  const first = await cli(
    'push',
    'one.json',
    '--create-set',
    '--reason',
    'first',
    '--set',
    'solo',
    ...target(),
  );
  expect(first.code).toBe(EXIT.ok);
});

afterAll(() => dynamo.close());

describe('policy file messages', () => {
  it('names an unknown field and the field it most likely meant', async () => {
    file('typo.json', {
      version: 1,
      statements: [allow, { id: 'b', effect: 'allow', principals: ['orbit'], action: ['reason:x'] }],
    });
    const run = await cli('validate', 'typo.json');
    expect(run.code).toBe(EXIT.rejected);
    expect(run.stderr).toContain('/statements/1: unknown field "action" (did you mean "actions"?)');
  });

  it('gives the line and column of invalid JSON', async () => {
    file('broken.json', '{\n  "version": 1,\n  "statements": [\n    { "id": "a", }\n  ]\n}\n');
    const run = await cli('validate', 'broken.json');
    expect(run.code).toBe(EXIT.rejected);
    expect(run.stderr).toMatch(/^error: broken\.json:4:18: not valid JSON: /);
  });

  it('says why a file cannot be read', async () => {
    mkdirSync(join(dir, 'folder.json'), { recursive: true });
    expect((await cli('validate', 'folder.json')).stderr).toBe(
      'error: cannot read folder.json: it is a directory (governance --help for usage)\n',
    );
    expect((await cli('validate', 'nowhere.json')).stderr).toContain(
      'cannot read nowhere.json: no such file',
    );
  });

  it('locates offsets as 1-based line and column', () => {
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(jsonProblem('x.json', '', new SyntaxError('Unexpected end of JSON input'))).toBe(
      'x.json:1:1: not valid JSON: unexpected end of input',
    );
  });
});

describe('command-line mistakes: one line, exit 2', () => {
  it('suggests the option a misspelt one meant', async () => {
    const run = await cli('push', 'one.json', '--reasn', 'x', ...target());
    expect(run).toMatchObject({
      code: EXIT.usage,
      stdout: '',
      stderr: 'error: unknown option --reasn (did you mean --reason?)\n',
    });
  });

  it('names an option given without its value', async () => {
    for (const argv of [
      ['push', 'one.json', '--expected-revision', '1', '--reason'],
      ['push', 'one.json', '--reason', '--set', 'x'],
    ]) {
      const run = await cli(...argv);
      expect(run.code).toBe(EXIT.usage);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^error: --reason needs a value/);
    }
  });

  it('takes a value starting with a dash only in the = form, and names the form otherwise', async () => {
    const spaced = await cli('impact', 'one.json', '--decisions', 'x.jsonl', '--max-flips', '-1');
    expect(spaced).toMatchObject({
      code: EXIT.usage,
      stderr:
        'error: --max-flips -1: write a value starting with "-" as --max-flips=-1 (governance --help for usage)\n',
    });
    const joined = await cli('impact', 'one.json', '--decisions', 'x.jsonl', '--max-flips=-1');
    expect(joined.code).toBe(EXIT.usage);
    expect(joined.stderr).toMatch(/^error: --max-flips must be an integer of at least 0/);
  });

  it('suggests the command a misspelt one meant', async () => {
    expect((await cli('revsions')).stderr).toBe(
      'error: unknown command "revsions" (did you mean "revisions"?)\n',
    );
  });

  it('names diff arguments as they are', async () => {
    expect((await cli('diff', '1', ...target())).stderr).toBe(
      'error: missing <to-revision>; usage: governance diff <from-revision> <to-revision> [--set <name>]\n',
    );
  });
});

describe('--json errors', () => {
  it('have one shape for usage, not-found, invalid policy and unavailable store', async () => {
    const runs = await Promise.all([
      cli('push', '--reasn', 'x', '--json'),
      cli('get', '--set', 'absent', ...target(), '--json'),
      cli('validate', 'broken.json', '--json'),
      cli('revisions', '--endpoint', 'http://127.0.0.1:9', '--table', TABLE, '--json'),
    ]);
    const codes = [EXIT.usage, EXIT.notFound, EXIT.rejected, EXIT.unavailable];
    runs.forEach((run, i) => {
      expect(run.code).toBe(codes[i]);
      expect(run.stderr).toBe('');
      const body = JSON.parse(run.stdout) as { error: Record<string, unknown>; exitCode: number };
      expect(Object.keys(body)).toEqual(['error', 'exitCode']);
      expect(body.exitCode).toBe(codes[i]);
      expect(body.error).toEqual(
        expect.objectContaining({
          type: expect.stringMatching(/^urn:axon-orbit:governance-admin:/),
          title: expect.any(String),
          status: expect.any(Number),
          detail: expect.any(String),
        }),
      );
    });
  });
});

describe('tables, sets and revisions', () => {
  it('names a table that does not exist, with exit code 5', async () => {
    const run = await cli('revisions', '--endpoint', dynamo.endpoint, '--table', 'no-such-table');
    expect(run.code).toBe(EXIT.notFound);
    expect(run.stderr).toBe(`error: table no-such-table does not exist at ${dynamo.endpoint}\n`);
  });

  it('names a policy set that has no revisions, with exit code 5', async () => {
    const run = await cli('revisions', '--set', 'defualt', ...target());
    expect(run.code).toBe(EXIT.notFound);
    expect(run.stderr).toBe(
      `error: policy set defualt has no revisions in table ${TABLE} at ${dynamo.endpoint}\n`,
    );
  });

  it('creates a set only when told to', async () => {
    const implicit = await cli(
      'push',
      'one.json',
      '--expected-revision',
      '0',
      '--reason',
      'x',
      '--set',
      'fresh',
      ...target(),
    );
    expect(implicit.code).toBe(EXIT.usage);
    expect(implicit.stderr).toMatch(/creates policy set fresh; say so with --create-set/);
    const again = await cli(
      'push',
      'one.json',
      '--create-set',
      '--reason',
      'x',
      '--set',
      'solo',
      ...target(),
    );
    expect(again.code).toBe(EXIT.conflict);
    expect(again.stderr).toMatch(/the set already exists, push with --expected-revision 1 /);
  });

  it('suggests the flag on a conflict', async () => {
    const stale = await cli(
      'push',
      'one.json',
      '--expected-revision',
      '7',
      '--reason',
      'x',
      '--set',
      'solo',
      ...target(),
    );
    expect(stale.code).toBe(EXIT.conflict);
    expect(stale.stderr).toContain('retry with --expected-revision 1\n');
    expect(stale.stderr).not.toContain('expectedRevision');
  });

  it('prints a "more" hint only when older revisions exist, and one that pastes', async () => {
    const only = await cli('revisions', '--limit', '1', '--set', 'solo', ...target());
    expect(only.code).toBe(EXIT.ok);
    expect(only.stdout).not.toContain('more:');

    await cli(
      'push',
      'one.json',
      '--expected-revision',
      '1',
      '--reason',
      'second',
      '--set',
      'solo',
      ...target(),
    );
    const page = await cli('revisions', '--limit', '1', '--set', 'solo', ...target());
    const hint = /^more: governance (.*)$/m.exec(page.stdout)?.[1];
    expect(hint).toBeDefined();
    const next = await cli(...(hint ?? '').split(' '));
    expect(next.code).toBe(EXIT.ok);
    expect(next.stdout).toMatch(/^\s+1\s+-\s/m);
    expect(next.stdout).not.toContain('more:');
  });
});

describe('explain', () => {
  it('decides in the target environment and says which', async () => {
    const run = await cli(
      'explain',
      '--service',
      'orbit',
      '--intent',
      'reason:x',
      '--set',
      'solo',
      ...target(),
    );
    expect(run.stdout).toContain(`environment: local (table ${TABLE} at ${dynamo.endpoint})`);
    const json = await cli(
      'explain',
      '--service',
      'orbit',
      '--intent',
      'reason:x',
      '--set',
      'solo',
      ...target(),
      '--json',
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ allowed: true, environment: 'local' });
  });

  it('reads a deployed name as its environment', () => {
    expect(environmentOfName('axon-orbit-staging-governance-policies')).toBe('staging');
    expect(environmentOfName('axon-orbit-prod-policy-admin')).toBe('prod');
    expect(environmentOfName('my-policies')).toBeUndefined();
  });
});
