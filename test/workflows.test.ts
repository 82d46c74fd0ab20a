import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { BASE_CONFIGS } from '../lib/config/environments.js';
import { lintWorkflow } from '../scripts/ci/actionlint.js';
import {
  allSteps,
  injectionProblems,
  type Job,
  jobPermissionProblems,
  jobsOf,
  loadWorkflows,
  missingScripts,
  pinnedActions,
  pinningProblems,
  type Step,
  sarifUploadProblems,
  secretsInheritProblems,
  signingJobProblems,
  stepsOf,
  timeoutProblems,
  topLevelPermissionProblems,
  triggerProblems,
  triggersOf,
} from '../scripts/ci/workflow-rules.js';
import { settingsDocumented, settingsProblems, settingsReadBy } from '../scripts/ci/workflow-settings.js';

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
  it('exist for ci, build, security, codeql, pr-diff, policy-gate, deploy and rollback', () => {
    for (const name of [
      'ci',
      'build',
      'security',
      'codeql',
      'pr-diff',
      'policy-gate',
      'deploy',
      'rollback',
    ]) {
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
    expect(runsIn('pr-diff.yml')).toMatch(/cdk-diff\.sh/);
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
    for (const script of ['promote-image.sh', 'deploy.sh', 'smoke-ecs.sh', 'alarms.ts judge', 'report.ts']) {
      expect(runsIn('deploy.yml')).toContain(script);
      expect(runsIn('rollback.yml')).toContain(script);
    }
    const build = allSteps(loaded).find(({ step }) => step.uses?.startsWith('docker/build-push-action@'));
    const platforms = build?.step.with?.platforms;
    expect(platforms).toBe('linux/amd64,linux/arm64');
  });

  it('deploy dev, then staging, then prod, each in its own protected GitHub environment', () => {
    const deploy = byName('deploy.yml')?.workflow.jobs ?? {};
    expect(Object.keys(deploy)).toEqual(['resolve', 'dev', 'staging', 'prod']);
    expect(deploy.staging).toMatchObject({ needs: ['resolve', 'dev'] });
    expect(deploy.prod).toMatchObject({ needs: ['resolve', 'staging'] });
    const inner = byName('deploy-environment.yml')?.workflow.jobs?.deploy;
    expect(inner?.environment).toEqual({ name: expression('inputs.environment') });
    const stepNames = [
      ...(inner?.steps ?? []),
      ...(byName('deploy-environment.yml')?.workflow.jobs?.report?.steps ?? []),
    ].map((s) => s.name ?? s.uses ?? '');
    const order = [
      'Copy the verified digests',
      'cdk deploy',
      'Smoke test',
      'npm run verify',
      'alarms',
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
      throw new Error(
        'shellcheck is not installed: apt-get install -y shellcheck (npm test installs it where it can)',
      );
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
    expect(docker?.directory).toBe('/services');
  });
});

/** Each numbered fix of issue 20, held by the workflow files themselves. */
describe('the pipeline survives its first real run (issue 20)', () => {
  // A missing job reads as an empty one, so each assertion below fails on its own.
  const jobOf = (file: string, job: string) =>
    (byName(file)?.workflow.jobs?.[job] ?? {}) as Job & {
      env?: Record<string, string>;
      strategy?: { matrix?: Record<string, unknown> };
      with?: Record<string, unknown>;
    };
  const stepIndex = (steps: readonly Step[], match: (s: Step) => boolean) => steps.findIndex(match);
  const deployJob = jobOf('deploy-environment.yml', 'deploy');
  const rollbackJob = jobOf('deploy-environment.yml', 'rollback');
  const deploySteps = deployJob.steps ?? [];
  const isCredentials = (s: Step) => s.uses?.startsWith('aws-actions/configure-aws-credentials@') ?? false;

  it('1: passes the smoke settings from the GitHub environment to the smoke test', () => {
    for (const name of [
      'SMOKE_BASE_URL',
      'SMOKE_SECURITY_GROUPS',
      'SMOKE_ALLOWED_INTENT',
      'SMOKE_DENIED_INTENT',
    ]) {
      expect(deployJob.env?.[name]).toBe(expression(`vars.${name}`));
      expect(rollbackJob.env?.[name]).toBe(expression(`vars.${name}`));
    }
  });

  it('2: refreshes credentials before the smoke test, rolls back in its own job, sizes timeouts to the bakes, cancels a cancelled update', () => {
    const deployAt = stepIndex(deploySteps, (s) => s.id === 'deploy');
    const smokeAt = stepIndex(deploySteps, (s) => s.id === 'smoke');
    expect(deploySteps.slice(deployAt, smokeAt).some(isCredentials)).toBe(true);
    expect((rollbackJob.steps ?? []).some(isCredentials)).toBe(true);
    const longestBake = Math.max(...Object.values(BASE_CONFIGS).map((e) => e.deployment.bakeMinutes));
    // Two services' blue/green bakes, plus deploy, smoke test, verify and one alarm period.
    for (const job of [deployJob, rollbackJob]) {
      expect(job['timeout-minutes']).toBeGreaterThanOrEqual(2 * longestBake + 30);
    }
    const cancel = deploySteps.find((s) => /stacks\.sh cancel/.test(s.run ?? ''));
    expect(cancel?.if).toBe('cancelled()');
    const fresh = deploySteps[deploySteps.indexOf(cancel as Step) - 1];
    expect(fresh && isCredentials(fresh) && fresh.if === 'cancelled()').toBe(true);
  });

  it('3: records alarm states before the deploy, judges only changed alarms, never rolls back a rollback', () => {
    const snapshot = stepIndex(deploySteps, (s) => /alarms\.ts snapshot/.test(s.run ?? ''));
    const deployAt = stepIndex(deploySteps, (s) => s.id === 'deploy');
    expect(snapshot).toBeGreaterThanOrEqual(0);
    expect(snapshot).toBeLessThan(deployAt);
    expect(deploySteps.find((s) => s.id === 'alarms')?.run).toMatch(
      /alarms\.ts judge .*--before alarms-before\.json --deployed-at/,
    );
    expect(rollbackJob.if).toContain("inputs.kind == 'deploy'");
    expect(rollbackJob.needs).toBe('deploy');
  });

  it('4: serializes deploys per environment, and a queued rollback is never cancelled by a deploy', () => {
    for (const file of ['deploy.yml', 'rollback.yml'])
      expect(byName(file)?.workflow.concurrency).toBeUndefined();
    expect(deployJob.concurrency).toEqual({
      group: `${expression('inputs.kind')}-${expression('inputs.environment')}`,
      'cancel-in-progress': false,
    });
    expect(rollbackJob.concurrency).toEqual({
      group: `rollback-${expression('inputs.environment')}`,
      'cancel-in-progress': false,
    });
  });

  it('5: SARIF uploads never block the gate after them, and have the permissions they need', () => {
    expect(sarifUploadProblems(loaded)).toEqual([]);
    const scan = jobOf('build.yml', 'scan').steps ?? [];
    const upload = stepIndex(scan, (s) => s.uses?.startsWith('github/codeql-action/upload-sarif@') ?? false);
    const gate = stepIndex(scan, (s) => /Trivy gate/.test(s.name ?? ''));
    expect(upload).toBeGreaterThanOrEqual(0);
    expect(gate).toBeGreaterThan(upload);
  });

  it('6: the pull-request diff runs in its own workflow, never against prod', () => {
    expect(jobsOf(byName('ci.yml')).map(([id]) => id)).not.toContain('diff');
    const diff = jobOf('pr-diff.yml', 'diff');
    expect(diff.steps?.find((s) => s.id === 'role')?.run).toContain('"$DIFF_ENVIRONMENT" = prod');
  });

  it('7: no job that can sign or push runs install scripts; the signing job installs nothing', () => {
    expect(signingJobProblems(loaded)).toEqual([]);
    const sign = jobOf('build.yml', 'sign');
    expect(sign.permissions).toMatchObject({ 'id-token': 'write' });
    expect(
      (sign.steps ?? []).some(
        (s) => /\bnpm\b/.test(s.run ?? '') || s.uses?.startsWith('actions/setup-node@'),
      ),
    ).toBe(false);
    expect(jobOf('build.yml', 'image').permissions).not.toHaveProperty('id-token');
  });

  it('8: resolves the digests once and hands the same digests and commit to every environment', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const job = jobOf('deploy.yml', env) as { with?: Record<string, unknown> };
      expect(job.with?.digests).toBe(expression('needs.resolve.outputs.digests'));
      expect(job.with?.commit).toBe(expression('needs.resolve.outputs.commit'));
    }
    expect(jobOf('rollback.yml', 'rollback')).toMatchObject({
      with: { digests: expression('needs.resolve.outputs.digests') },
    });
    expect(deployJob.env?.IMAGE_DIGESTS).toBe(expression('inputs.digests'));
    expect(runsIn('resolve-build.yml')).toContain('resolve-build.sh');
    expect(runsIn('build.yml')).toMatch(/verify-image\.sh .* "\$GIT_SHA"/);
  });

  it('9: scans and inventories the arm64 image Fargate runs, and amd64', () => {
    const scan = jobOf('build.yml', 'scan');
    expect(scan.strategy?.matrix?.platform).toEqual(['linux/arm64', 'linux/amd64']);
    const platformRef = expression('steps.platform.outputs.ref');
    for (const step of scan.steps ?? []) {
      if (step.uses?.startsWith('aquasecurity/trivy-action@'))
        expect(step.with?.['image-ref']).toBe(platformRef);
      if (step.uses?.startsWith('anchore/sbom-action@')) expect(step.with?.image).toBe(platformRef);
    }
  });

  it('10: the automatic rollback redeploys the previous commit, unless CloudFormation already rolled back', () => {
    const checkout = (rollbackJob.steps ?? []).find((s) => s.uses?.startsWith('actions/checkout@'));
    expect(checkout?.with?.ref).toBe(expression('needs.deploy.outputs.previous-commit'));
    const plan = (rollbackJob.steps ?? []).find((s) => s.id === 'plan');
    expect(plan?.run).toContain('stacks.sh plan');
    expect((rollbackJob.steps ?? []).find((s) => s.id === 'redeploy')?.if).toBe(
      "steps.plan.outputs.action == 'redeploy'",
    );
  });

  it('11: builds only after ci and security passed on the same commit', () => {
    expect(jobOf('build.yml', 'ci').uses).toBe('./.github/workflows/ci.yml');
    expect(jobOf('build.yml', 'security').uses).toBe('./.github/workflows/security.yml');
    expect(jobOf('build.yml', 'image').needs).toEqual(['ci', 'security']);
    for (const file of ['ci.yml', 'security.yml'])
      expect(triggersOf(byName(file)?.workflow ?? {})).toContain('workflow_call');
  });

  it('13: diffs with the running image tag, names each secret, pins Node 24 actions', () => {
    expect(jobOf('pr-diff.yml', 'diff').steps?.find((s) => /cdk-diff\.sh/.test(s.run ?? ''))?.run).toContain(
      '"$IMAGE_TAG"',
    );
    expect(secretsInheritProblems(loaded)).toEqual([]);
    expect(deployJob.env?.ALARM_WEBHOOK_URL).toBe(expression('secrets.ALARM_WEBHOOK_URL'));
    const runtimes = JSON.parse(readFileSync(join(root, '.github/action-runtimes.json'), 'utf8')) as Record<
      string,
      { version: string; runtime: string }
    >;
    for (const action of pinnedActions(loaded)) {
      expect([action, runtimes[action]?.runtime]).toEqual([
        action,
        expect.stringMatching(/^(node24|composite|docker)$/),
      ]);
      const comment = loaded
        .map((f) => f.text)
        .join('\n')
        .match(new RegExp(`${action.replace(/[/.]/g, '\\$&')} # (v\\S+)`));
      expect(comment?.[1]).toBe(runtimes[action]?.version);
    }
  });

  it('wires verify, the dev drill, the PR cost delta and the policy gate', () => {
    const verify = deploySteps.find((s) => s.id === 'verify')?.run ?? '';
    expect(verify).toContain('npm run verify -- --env "$TARGET_ENV" || code=$?');
    expect(verify).toContain('exit "$code"');
    expect(rollbackJob.if).toContain("needs.deploy.outputs.verify-code != '2'");
    const drill = deploySteps.find((s) => s.id === 'drill');
    expect(drill?.run).toBe('npm run drill -- --env dev');
    expect(drill?.if).toBe("inputs.drill && inputs.environment == 'dev'");
    expect(runsIn('pr-diff.yml')).toContain(
      'npm run --silent cost -- --diff --base ../base/cdk.out --head cdk.out --markdown',
    );
    expect(runsIn('pr-diff.yml')).toContain(
      'listener-weights.ts --base ../base/cdk.out --head cdk.out --env prod',
    );
    expect(runsIn('policy-gate.yml')).toContain(
      'npx governance impact governance/policies/default.json --since 24h --env staging --max-flips "$MAX_FLIPS"',
    );
    expect(byName('policy-gate.yml')?.workflow.on).toEqual({
      pull_request: { paths: ['governance/policies/**'] },
    });
  });

  it('blocks on Checkov findings outside the reviewed baseline, runs CodeQL, and reports failed builds', () => {
    const checkov = runsIn('security.yml');
    expect(checkov).not.toContain('--soft-fail');
    expect(checkov).toContain('--baseline .github/checkov-baseline.json');
    expect(JSON.parse(readFileSync(join(root, '.github/checkov-baseline.json'), 'utf8'))).toHaveProperty(
      'failed_checks',
    );
    expect(usesIn('codeql.yml').some((u) => u.startsWith('github/codeql-action/analyze@'))).toBe(true);
    const notify = jobOf('build.yml', 'notify-failure');
    expect(notify.if).toBe('failure()');
    expect(notify.steps?.at(-1)?.run).toBe('npx tsx scripts/ci/report.ts build-failure');
  });

  it('docs/setup.md lists exactly the variables and secrets the workflows read', () => {
    const documented = settingsDocumented(readFileSync(join(root, 'docs/setup.md'), 'utf8'));
    expect(settingsProblems(settingsReadBy(loaded), documented)).toEqual([]);
    expect(settingsProblems({ variables: new Set(['NEW_ONE']), secrets: new Set() }, documented)).toContain(
      'variables: NEW_ONE is read by a workflow but not in docs/setup.md',
    );
  });
});
