import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  checkWorkflows,
  injectionProblems,
  jobPermissionProblems,
  missingScripts,
  parseWorkflow,
  pinnedActions,
  pinningProblems,
  sarifUploadProblems,
  secretsInheritProblems,
  signingJobProblems,
  stepsOf,
  timeoutProblems,
  topLevelPermissionProblems,
  triggerProblems,
} from './workflow-rules.js';

const CHECKOUT = 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683';
const AWS = 'aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502';
const expr = (body: string) => `\${{ ${body} }}`;

/** A repository root with the given files, for the rules that look at the file system. */
function repo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rules-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const good = parseWorkflow(
  'good.yml',
  `name: good
on: pull_request
permissions: {}
concurrency:
  group: good-${expr('github.ref')}
  cancel-in-progress: true
jobs:
  deploy:
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    permissions:
      contents: read
      id-token: write
    steps:
      - uses: ${CHECKOUT} # v4.2.2
      - uses: ${AWS} # v4.0.2
        with:
          role-to-assume: arn
      - env:
          TITLE: ${expr('github.event.pull_request.title')}
        run: bash scripts/ci/ok.sh "$TITLE"
`,
);

describe('workflow rules', () => {
  it('find nothing wrong with a workflow that follows them', () => {
    expect(checkWorkflows([good], repo({ 'scripts/ci/ok.sh': 'true' }))).toEqual([]);
    expect(pinnedActions([good])).toEqual([CHECKOUT, AWS]);
  });

  it('reject tags, short SHAs, missing version comments and two SHAs for one action', () => {
    const bad = parseWorkflow(
      'bad.yml',
      [
        'jobs:',
        '  a:',
        '    steps:',
        '      - uses: actions/checkout@v4',
        '      - uses: actions/checkout@11bd719',
        `      - uses: ${CHECKOUT}`,
        '      - uses: actions/checkout@0000000000000000000000000000000000000000 # v4.1.0',
        '      - uses: ./.github/workflows/missing.yml',
      ].join('\n'),
    );
    expect(pinningProblems([bad], repo({}))).toEqual([
      'bad.yml: actions/checkout@v4 is not pinned to a 40-hex commit SHA',
      'bad.yml: actions/checkout@11bd719 is not pinned to a 40-hex commit SHA',
      `bad.yml: ${CHECKOUT} lacks a "# vX.Y.Z" version comment`,
      'actions/checkout is pinned to two different commits',
      'bad.yml: ./.github/workflows/missing.yml does not exist',
    ]);
  });

  it('want empty top-level permissions', () => {
    const writeAll = parseWorkflow('w.yml', 'permissions: write-all\njobs: {}\n');
    const contents = parseWorkflow('c.yml', 'permissions:\n  contents: read\njobs: {}\n');
    const none = parseWorkflow('n.yml', 'jobs: {}\n');
    expect(topLevelPermissionProblems([writeAll, contents, none, good])).toHaveLength(3);
  });

  it('want a permissions map per job and a step for every write', () => {
    const wf = parseWorkflow(
      'p.yml',
      `jobs:
  implicit:
    steps: [{ run: 'true' }]
  greedy:
    permissions: { contents: write, id-token: write, packages: write }
    steps: [{ run: 'true' }]
`,
    );
    expect(jobPermissionProblems([wf])).toEqual([
      'p.yml implicit: no permissions map',
      'p.yml greedy: contents: write is never needed',
      'p.yml greedy: id-token: write but no step uses it',
      'p.yml greedy: packages: write but no step uses it',
    ]);
  });

  it("judge a reusable-workflow call by the called workflow's steps", () => {
    const caller = parseWorkflow(
      'caller.yml',
      'jobs:\n  x:\n    permissions: { id-token: write }\n    uses: ./.github/workflows/good.yml\n',
    );
    expect(stepsOf(caller.workflow.jobs?.x ?? {}, [caller, good]).map((s) => s.uses ?? s.run)).toContain(
      `${AWS}`,
    );
    expect(jobPermissionProblems([caller, good])).toEqual([]);
    expect(jobPermissionProblems([caller])).toEqual(['caller.yml x: id-token: write but no step uses it']);
    expect(timeoutProblems([caller])).toEqual([]);
  });

  it('want a bounded timeout on every job', () => {
    const wf = parseWorkflow(
      't.yml',
      'jobs:\n  a: { steps: [] }\n  b: { timeout-minutes: 360, steps: [] }\n',
    );
    expect(timeoutProblems([wf])).toEqual(['t.yml a: no timeout-minutes', 't.yml b: timeout 360 > 90']);
  });

  it('find an expression pasted into a run script', () => {
    const wf = parseWorkflow(
      'i.yml',
      `jobs:\n  a:\n    steps:\n      - name: greet\n        run: echo "${expr('github.head_ref')}"\n`,
    );
    expect(injectionProblems([wf])).toEqual(['i.yml a: expression inside run (greet)']);
  });

  it('refuse pull_request_target and want stale pull-request runs cancelled', () => {
    const target = parseWorkflow('t.yml', 'on: [pull_request_target]\njobs: {}\n');
    const noGroup = parseWorkflow('g.yml', 'on:\n  pull_request:\n  push:\njobs: {}\n');
    expect(triggerProblems([target, noGroup])).toEqual([
      't.yml: pull_request_target runs untrusted code with a write token',
      'g.yml: runs on pull requests without a concurrency group that cancels stale runs',
    ]);
  });

  it('find scripts a workflow calls that do not exist', () => {
    const wf = parseWorkflow('s.yml', 'jobs:\n  a:\n    steps:\n      - run: npx tsx scripts/ci/gone.ts\n');
    expect(missingScripts([wf], repo({}))).toEqual(['s.yml: scripts/ci/gone.ts does not exist']);
  });
});

describe('supply-chain rules', () => {
  const workflow = (jobs: string) => parseWorkflow('w.yml', `on: push\npermissions: {}\njobs:\n${jobs}`);

  it('finds install scripts in a job that can sign or push, but not with --ignore-scripts', () => {
    const signing = workflow(`  sign:
    runs-on: ubuntu-24.04
    permissions: { id-token: write, contents: read }
    steps:
      - run: npm ci
      - run: cosign sign --yes "$REF"
  push:
    runs-on: ubuntu-24.04
    permissions: { packages: write }
    steps:
      - run: npm ci --ignore-scripts
      - run: npm install left-pad
  deploy:
    runs-on: ubuntu-24.04
    permissions: { id-token: write }
    steps:
      - run: npm ci
`);
    expect(signingJobProblems([signing])).toEqual([
      'w.yml sign: "npm ci" runs install scripts in a job that can sign',
      'w.yml push: "npm install left-pad" runs install scripts in a job that can push images',
    ]);
  });

  it('wants SARIF uploads that cannot fail the job, with actions: read', () => {
    const upload = workflow(`  scan:
    runs-on: ubuntu-24.04
    permissions: { security-events: write }
    steps:
      - uses: github/codeql-action/upload-sarif@8aad20d150bbac5944a9f9d289da16a4b0d87c1e # v4.36.2
`);
    expect(sarifUploadProblems([upload])).toEqual([
      'w.yml scan: "github/codeql-action/upload-sarif@8aad20d150bbac5944a9f9d289da16a4b0d87c1e" can fail the job (continue-on-error: true)',
      'w.yml scan: SARIF upload needs actions: read in private repositories',
    ]);
  });

  it('refuses secrets: inherit', () => {
    const call = workflow(`  deploy:
    uses: ./.github/workflows/deploy-environment.yml
    secrets: inherit
`);
    expect(secretsInheritProblems([call])).toEqual([
      'w.yml deploy: secrets: inherit passes every secret; name the ones the job needs',
    ]);
  });
});
