import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { lintWorkflow } from '../scripts/ci/actionlint.js';
import {
  allSteps,
  injectionProblems,
  jobPermissionProblems,
  jobsOf,
  loadWorkflows,
  missingScripts,
  pinnedActions,
  pinningProblems,
  stepsOf,
  timeoutProblems,
  topLevelPermissionProblems,
  triggerProblems,
} from '../scripts/ci/workflow-rules.js';

/**
 * The workflows are code that holds deploy rights, so they are held to rules a reviewer would
 * otherwise have to remember: actionlint, actions pinned by commit SHA with a readable version,
 * read-only defaults with each job asking only for what it uses, timeouts, no expression expanded
 * inside a shell script (the script-injection path), shellcheck-clean shell, and concurrency on
 * anything a pull request triggers.
 */
const root = new URL('..', import.meta.url).pathname;
const workflowDir = join(root, '.github/workflows');

const loaded = loadWorkflows(workflowDir);
const files = loaded.map((f) => f.name);
const byName = (name: string) => loaded.find((f) => f.name === name);
const runsIn = (name: string) =>
  jobsOf(byName(name))
    .flatMap(([, job]) => stepsOf(job, loaded).map((s) => s.run ?? ''))
    .join('\n');
const usesIn = (name: string) =>
  jobsOf(byName(name)).flatMap(([, job]) => stepsOf(job, loaded).map((s) => s.uses ?? ''));

/** A GitHub Actions expression, spelled out without tripping the template-literal lint. */
const expression = (body: string) => `\${{ ${body} }}`;

describe('GitHub workflows', () => {
  it('exist for ci, build, security, deploy and rollback', () => {
    for (const name of ['ci', 'build', 'security', 'deploy', 'rollback']) {
      expect(files).toContain(`${name}.yml`);
    }
  });

  describe('actionlint (1.7.7, WebAssembly build)', () => {
    const lint = lintWorkflow;

    it.each(files)('%s has no findings', async (file) => {
      const findings = await lint(byName(file)?.text ?? '', `.github/workflows/${file}`);
      expect(findings.map((f) => `${file}:${f.line} [${f.kind}] ${f.message}`)).toEqual([]);
    });

    it('does report a script injection (the linter is live)', async () => {
      const bad = [
        'on: pull_request',
        'jobs:',
        '  a:',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        `      - run: echo "${expression('github.event.pull_request.title')}"`,
      ].join('\n');
      const findings = await lint(bad, 'bad.yml');
      expect(findings.map((f) => f.kind)).toContain('expression');
    });
  });

  it('pin every action to a full commit SHA with its version in a comment', () => {
    expect(pinningProblems(loaded, root)).toEqual([]);
    expect(pinnedActions(loaded).length).toBeGreaterThanOrEqual(10);
  });

  it('default to no permissions at the top of every workflow', () => {
    expect(topLevelPermissionProblems(loaded)).toEqual([]);
  });

  it('give every job explicit permissions, read-only unless a step needs the write', () => {
    expect(jobPermissionProblems(loaded)).toEqual([]);
  });

  it('put a timeout on every job', () => {
    expect(timeoutProblems(loaded)).toEqual([]);
  });

  it('expand no expression inside run scripts: values reach the shell through env', () => {
    expect(injectionProblems(loaded)).toEqual([]);
  });

  it('never run on pull_request_target, and cancel superseded pull-request runs', () => {
    expect(triggerProblems(loaded)).toEqual([]);
    expect(byName('ci.yml')?.workflow.concurrency).toMatchObject({ 'cancel-in-progress': true });
  });

  it('call only scripts that exist', () => {
    expect(missingScripts(loaded, root)).toEqual([]);
  });

  it('wire every step the pipeline promises', () => {
    expect(runsIn('ci.yml')).toMatch(/npm test/);
    expect(runsIn('ci.yml')).toMatch(/npm run synth/);
    expect(runsIn('ci.yml')).toMatch(/cdk-diff\.sh/);
    expect(usesIn('ci.yml').some((u) => u.startsWith('actions/upload-artifact@'))).toBe(true);
    for (const action of [
      'docker/setup-buildx-action@',
      'docker/build-push-action@',
      'aquasecurity/trivy-action@',
      'github/codeql-action/upload-sarif@',
      'anchore/sbom-action@',
      'sigstore/cosign-installer@',
      'aws-actions/amazon-ecr-login@',
    ]) {
      expect(usesIn('build.yml').some((u) => u.startsWith(action))).toBe(true);
    }
    expect(runsIn('build.yml')).toMatch(/cosign sign --yes/);
    expect(runsIn('security.yml')).toMatch(/npm audit --omit=dev/);
    expect(runsIn('security.yml')).toMatch(/checkov/);
    expect(usesIn('security.yml').some((u) => u.startsWith('gitleaks/gitleaks-action@'))).toBe(true);
    for (const script of ['promote-image.sh', 'deploy.sh', 'smoke-ecs.sh', 'check-alarms.sh', 'report.ts']) {
      expect(runsIn('deploy.yml')).toContain(script);
      expect(runsIn('rollback.yml')).toContain(script);
    }
    const build = allSteps(loaded).find(({ step }) => step.uses?.startsWith('docker/build-push-action@'));
    const platforms = build?.step.with?.platforms;
    expect(platforms).toBe('linux/amd64,linux/arm64');
  });

  it('deploy dev, then staging, then prod, each in its own protected GitHub environment', () => {
    const deploy = byName('deploy.yml')?.workflow.jobs ?? {};
    expect(Object.keys(deploy)).toEqual(['dev', 'staging', 'prod']);
    expect(deploy.staging).toMatchObject({ needs: 'dev' });
    expect(deploy.prod).toMatchObject({ needs: 'staging' });
    const inner = byName('deploy-environment.yml')?.workflow.jobs?.deploy;
    expect(inner?.environment).toEqual({ name: expression('inputs.environment') });
    const stepNames = (inner?.steps ?? []).map((s) => s.name ?? s.uses ?? '');
    const order = [
      'Verify signatures',
      'cdk deploy',
      'Smoke test',
      'alarms',
      'Roll back',
      'summary',
      'Notify',
    ];
    const positions = order.map((name) => stepNames.findIndex((s) => s.includes(name)));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('keep every run script shellcheck-clean', () => {
    const version = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
    if (version.error) {
      throw new Error('shellcheck is not installed: apt-get install -y shellcheck (.ci/run installs it)');
    }
    const dir = mkdtempSync(join(tmpdir(), 'workflow-run-'));
    const scripts = allSteps(loaded)
      .filter(({ step }) => step.run)
      .map(({ file, job, step }, i) => {
        const path = join(dir, `${file.replace(/\W/g, '_')}-${job}-${i}.sh`);
        // GitHub runs `bash -e {0}`; the header makes shellcheck read the snippet the same way.
        writeFileSync(path, `#!/usr/bin/env bash\nset -e\n${step.run}\n`);
        return path;
      });
    const shellScripts = readdirSync(join(root, 'scripts/ci'))
      .filter((f) => f.endsWith('.sh'))
      .map((f) => join(root, 'scripts/ci', f));
    const result = spawnSync('shellcheck', ['-x', '--format=gcc', ...scripts, ...shellScripts], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('dependabot', () => {
  it('updates npm, the service Dockerfiles and the pinned actions', () => {
    const config = parse(readFileSync(join(root, '.github/dependabot.yml'), 'utf8')) as {
      version: number;
      updates: { 'package-ecosystem': string; directory?: string; directories?: string[] }[];
    };
    expect(config.version).toBe(2);
    const ecosystems = config.updates.map((u) => u['package-ecosystem']);
    expect(ecosystems).toEqual(expect.arrayContaining(['npm', 'docker', 'github-actions']));
    const docker = config.updates.find((u) => u['package-ecosystem'] === 'docker');
    expect(docker?.directories).toEqual(['/services/axon', '/services/orbit']);
  });
});
