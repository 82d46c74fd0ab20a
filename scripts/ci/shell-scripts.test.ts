import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';

/**
 * The workflow scripts run against stand-ins for aws, cosign, docker and npx placed first on PATH:
 * each records its arguments and answers from FAKE_* variables, so the scripts' own decisions
 * (which tag is the rollback point, when to copy, what identity a signature must have) are tested
 * without AWS or a registry.
 */
const root = new URL('../..', import.meta.url).pathname;
/**
 * The TypeScript the scripts run with `npx tsx`, bundled once for the file: tsx starts a loader and a
 * second node process per call (about 0.9 CPU-s each, some thirty calls), while the scripts' subject
 * here is their shell logic. The stand-in npx runs the same code from this bundle.
 */
const COMPILED_SCRIPTS = ['image-ref', 'rollback-plan'];
const compiled = mkdtempSync(join(tmpdir(), 'ci-scripts-'));

beforeAll(async () => {
  await build({
    entryPoints: COMPILED_SCRIPTS.map((name) => join(root, 'scripts/ci', `${name}.ts`)),
    outdir: compiled,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
  });
});
afterAll(() => rmSync(compiled, { recursive: true, force: true }));
const SHA = '0123456789abcdef0123456789abcdef01234567';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER_DIGEST = `sha256:${'b'.repeat(64)}`;

const fakes: Record<string, string> = {
  aws: `json=false; case "$*" in *"--output json"*) json=true ;; esac
case "$1 $2" in
  "ecs describe-services")
    if $json; then printf '%s\\n' "$FAKE_SERVICE_JSON"; else printf '%s\\n' "\${FAKE_TASK_DEFINITION:-None}"; fi ;;
  "ecs describe-task-definition")
    if $json; then printf '%s\\n' "$FAKE_CONTAINER_JSON"; else printf '%s\\n' "\${FAKE_IMAGES:-}"; fi ;;
  "elbv2 describe-target-groups") echo arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/alb/1 ;;
  "elbv2 describe-listeners") printf '%s\n' "\${FAKE_LISTENER_PROTOCOLS:-HTTP}" ;;
  "cloudformation describe-stacks")
    # Each call answers the next state file, then keeps answering the last one.
    n=$(cat "$FAKE_STATE/stack-calls" 2>/dev/null || echo 0); echo $((n + 1)) > "$FAKE_STATE/stack-calls"
    var="FAKE_STACKS_$n"; printf '%s\n' "\${!var:-\${FAKE_STACKS:-[]}}" ;;
  "cloudformation cancel-update-stack") ;;
  "elbv2 describe-load-balancers") echo internal-alb-1.eu-west-1.elb.amazonaws.com ;;
  "ecs run-task") echo arn:aws:ecs:eu-west-1:1:task/axon-orbit-dev/0123abcd ;;
  "ecs wait") ;;
  "ecs describe-tasks") printf '%s\\n' "$FAKE_TASK_JSON" ;;
  "logs get-log-events") printf '%s\\n' '{"smoke":{"check":"health","ok":true}}' ;;
  "ecr describe-images")
    case "$*" in
      *imageTag=*) printf '%s\\n' "\${FAKE_TAG_DIGEST:-None}" ;;
      *)
        repo=$(printf '%s\\n' "$@" | grep -A1 -x -- --repository-name | tail -n 1)
        if [ -f "$FAKE_STATE/\${repo//\\//_}" ]; then echo "$FAKE_SOURCE_DIGEST"
        else printf '%s\\n' "\${FAKE_DIGEST_PRESENT:-None}"; fi ;;
    esac ;;
  "ecr batch-get-image") printf '{"imageManifest":"{}","imageManifestMediaType":"application/vnd.oci.image.index.v1+json"}\\n' ;;
  "ecr put-image") ;;
  *) echo "unexpected aws $*" >&2; exit 3 ;;
esac`,
  // A copy makes the digest present in the destination repository, as in ECR.
  cosign: `if [ "$1" = copy ]; then dest=\${3#*/}; dest=\${dest%%:*}; touch "$FAKE_STATE/\${dest//\\//_}"; fi
exit "\${FAKE_COSIGN_EXIT:-0}"`,
  docker: `case "$*" in *--raw*) printf '%s\\n' "$FAKE_INDEX" ;; *) printf '{"digest":"%s"}\\n' "$FAKE_SOURCE_DIGEST" ;; esac`,
  npx: `if [ "$1" = tsx ] && [[ $2 =~ ^scripts/ci/([a-z-]+)\\.ts$ ]] && [ -f "${compiled}/\${BASH_REMATCH[1]}.mjs" ]; then
  exec node "${compiled}/\${BASH_REMATCH[1]}.mjs" "\${@:3}"
fi
case "$1" in tsx | esbuild) exec "${root}node_modules/.bin/$1" "\${@:2}" ;; esac
printf 'npx %s\\n' "$*"
env | grep -E '^(DEV|STAGING|PROD)_' | sort`,
};

function run(script: string, args: string[], env: Record<string, string> = {}) {
  const bin = mkdtempSync(join(tmpdir(), 'fake-bin-'));
  const log = join(bin, 'calls.log');
  writeFileSync(log, '');
  for (const [name, body] of Object.entries(fakes)) {
    const path = join(bin, name);
    writeFileSync(path, `#!/usr/bin/env bash\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(path, 0o755);
  }
  const result = spawnSync('bash', [join(root, 'scripts/ci', script), ...args], {
    encoding: 'utf8',
    env: {
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
      FAKE_STATE: bin,
      ...env,
    },
  });
  return { ...result, calls: readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
}

describe('current-image-tag.sh', () => {
  it('prints the tag of the CI-built Orbit image that runs (the rollback point), ignoring sidecars', () => {
    const result = run('current-image-tag.sh', ['dev'], {
      FAKE_TASK_DEFINITION: 'arn:aws:ecs:eu-west-1:1:task-definition/axon-orbit-dev-orbit:7',
      FAKE_IMAGES: `public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1\t1.dkr.ecr.eu-west-1.amazonaws.com/axon-orbit-dev/orbit:${SHA}`,
    });
    expect(result.stdout).toBe(`tag=${SHA}\ncommit=${SHA}\n`);
    expect(result.calls[0]).toContain('--cluster axon-orbit-dev --services axon-orbit-dev-orbit');
  });

  it('prints an empty tag on a first deploy or when the image was built from source', () => {
    expect(run('current-image-tag.sh', ['prod']).stdout).toBe('tag=\ncommit=\n');
    const asset = run('current-image-tag.sh', ['prod'], {
      FAKE_TASK_DEFINITION: 'arn:td',
      FAKE_IMAGES: '1.dkr.ecr.eu-west-1.amazonaws.com/cdk-hnb659fds-container-assets-1-eu-west-1:abc',
    });
    expect(asset.stdout).toBe('tag=\ncommit=\n');
    expect(asset.status).toBe(0);
  });

  it('refuses an unknown environment', () => {
    const result = run('current-image-tag.sh', ['qa']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("::error::environment must be dev, staging or prod, got 'qa'");
  });
});

describe('verify-image.sh', () => {
  const identityOf = (calls: string[]) => {
    const args = calls.find((c) => c.startsWith('cosign verify')) ?? '';
    return /--certificate-identity-regexp (\S+)/.exec(args)?.[1] ?? '';
  };

  it('accepts only build.yml of this repository on main or a release tag', () => {
    const result = run('verify-image.sh', [
      `ghcr.io/acme/axon.orbit/orbit@${DIGEST}`,
      'acme/axon.orbit',
      SHA,
    ]);
    expect(result.status).toBe(0);
    const identity = new RegExp(identityOf(result.calls));
    const workflow = 'https://github.com/acme/axon.orbit/.github/workflows';
    expect(identity.test(`${workflow}/build.yml@refs/heads/main`)).toBe(true);
    expect(identity.test(`${workflow}/build.yml@refs/tags/v1.2.3`)).toBe(true);
    expect(identity.test(`${workflow}/build.yml@refs/heads/feature`)).toBe(false);
    expect(identity.test(`${workflow}/ci.yml@refs/heads/main`)).toBe(false);
    expect(
      identity.test('https://github.com/acme/axonXorbit/.github/workflows/build.yml@refs/heads/main'),
    ).toBe(false);
    expect(result.calls[0]).toContain(
      '--certificate-oidc-issuer https://token.actions.githubusercontent.com',
    );
  });

  it('binds the signature to the commit the deploy checks out (certificate workflow SHA)', () => {
    const result = run('verify-image.sh', [`ghcr.io/acme/ao/orbit@${DIGEST}`, 'acme/ao', SHA]);
    expect(result.calls[0]).toContain(`--certificate-github-workflow-sha ${SHA}`);
    expect(run('verify-image.sh', [`ghcr.io/acme/ao/orbit@${DIGEST}`, 'acme/ao']).status).not.toBe(0);
    expect(run('verify-image.sh', [`ghcr.io/acme/ao/orbit@${DIGEST}`, 'acme/ao', 'main']).stderr).toContain(
      "commit must be a 40-character git SHA, got 'main'",
    );
  });

  it('verifies by digest only, and fails when cosign does', () => {
    expect(run('verify-image.sh', ['ghcr.io/acme/ao/orbit:latest', 'acme/ao', SHA]).stderr).toContain(
      'verify by digest, not by tag',
    );
    expect(
      run('verify-image.sh', [`ghcr.io/acme/ao/orbit@${DIGEST}`, 'acme/ao', SHA], { FAKE_COSIGN_EXIT: '1' })
        .status,
    ).not.toBe(0);
  });
});

describe('deploy.sh', () => {
  it('passes the GitHub environment settings as <ENV>_* variables and deploys only that stage', () => {
    const result = run('deploy.sh', ['staging', SHA], {
      ACCOUNT_ID: '111111111111',
      REGION: 'eu-central-1',
      CERTIFICATE_ARN: 'arn:aws:acm:eu-central-1:111111111111:certificate/x',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      `npx cdk deploy --no-notices -c env=staging -c imageTag=${SHA} staging/*`,
    );
    expect(result.stdout).toContain('STAGING_ACCOUNT_ID=111111111111');
    expect(result.stdout).toContain('STAGING_REGION=eu-central-1');
    expect(result.stdout).toContain(
      'STAGING_CERTIFICATE_ARN=arn:aws:acm:eu-central-1:111111111111:certificate/x',
    );
  });

  it("passes the environment's pager webhook, so a CI deploy keeps the pager subscription", () => {
    const result = run('deploy.sh', ['prod', SHA], {
      ACCOUNT_ID: '111111111111',
      ALARM_WEBHOOK_URL: 'https://pager.example/hook',
    });
    expect(result.stdout).toContain('PROD_ALARM_WEBHOOK_URL=https://pager.example/hook');
  });

  it('stops before cdk on a tag that names no signed build or a missing account', () => {
    const bad = run('deploy.sh', ['dev', 'latest'], { ACCOUNT_ID: '1' });
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).not.toContain('cdk deploy');
    const noAccount = run('deploy.sh', ['dev', SHA]);
    expect(noAccount.stderr).toContain('ACCOUNT_ID is not set: add it to the GitHub environment dev');
  });
});

describe('promote-image.sh', () => {
  const promote = (env: Record<string, string>) =>
    run('promote-image.sh', ['dev', SHA, '1.dkr.ecr.eu-west-1.amazonaws.com', 'acme/ao', `${SHA} 1.2.0`], {
      FAKE_SOURCE_DIGEST: DIGEST,
      IMAGE_DIGESTS: `axon=${DIGEST} orbit=${DIGEST}`,
      COMMIT: SHA,
      ...env,
    });

  it('copies the digests resolved once for the whole deploy, never re-resolving the tag', () => {
    const result = promote({ FAKE_SOURCE_DIGEST: OTHER_DIGEST });
    expect(result.status).toBe(0);
    expect(result.calls.some((c) => c.startsWith('docker'))).toBe(false);
    expect(result.calls.filter((c) => c.startsWith('cosign copy'))[0]).toContain(
      `ghcr.io/acme/ao/axon@${DIGEST}`,
    );
    expect(result.calls.find((c) => c.startsWith('cosign verify'))).toContain(
      `--certificate-github-workflow-sha ${SHA}`,
    );
    expect(promote({ IMAGE_DIGESTS: `orbit=${DIGEST}` }).stderr).toContain(
      'IMAGE_DIGESTS names no digest for axon',
    );
  });

  it('verifies, then copies a new digest with cosign and adds further tags by manifest', () => {
    const result = promote({});
    expect(result.status).toBe(0);
    expect(result.calls.filter((c) => c.startsWith('aws ecr put-image'))).toEqual([
      expect.stringContaining('--repository-name axon-orbit-dev/axon --image-tag 1.2.0'),
      expect.stringContaining('--repository-name axon-orbit-dev/orbit --image-tag 1.2.0'),
    ]);
    const copies = result.calls.filter((c) => c.startsWith('cosign copy'));
    expect(copies).toEqual([
      `cosign copy ghcr.io/acme/ao/axon@${DIGEST} 1.dkr.ecr.eu-west-1.amazonaws.com/axon-orbit-dev/axon:${SHA}`,
      `cosign copy ghcr.io/acme/ao/orbit@${DIGEST} 1.dkr.ecr.eu-west-1.amazonaws.com/axon-orbit-dev/orbit:${SHA}`,
    ]);
    expect(result.calls.filter((c) => c.startsWith('cosign verify'))).toHaveLength(2);
  });

  it('leaves a tag alone when it already names the digest, and refuses one that names another', () => {
    const again = promote({ FAKE_TAG_DIGEST: DIGEST });
    expect(again.status).toBe(0);
    expect(again.calls.some((c) => c.startsWith('cosign copy'))).toBe(false);
    const clash = promote({ FAKE_TAG_DIGEST: OTHER_DIGEST });
    expect(clash.status).toBe(1);
    expect(clash.stderr).toContain(`axon-orbit-dev/axon:${SHA} already names ${OTHER_DIGEST}`);
  });

  it('adds a release tag to a digest already in ECR without copying it again', () => {
    const result = promote({ FAKE_DIGEST_PRESENT: DIGEST });
    expect(result.calls.some((c) => c.startsWith('cosign copy'))).toBe(false);
    expect(result.calls.filter((c) => c.startsWith('aws ecr put-image'))).toHaveLength(4);
  });
});

describe('smoke-ecs.sh', () => {
  const service = JSON.stringify({
    status: 'ACTIVE',
    taskDefinition: 'arn:aws:ecs:eu-west-1:1:task-definition/axon-orbit-dev-orbit:7',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-orbit'] } },
    loadBalancers: [{ containerName: 'orbit', targetGroupArn: 'arn:tg' }],
  });
  const container = (entryPoint?: string[]) =>
    JSON.stringify({
      name: 'orbit',
      ...(entryPoint ? { entryPoint, command: ['/app/main.mjs'] } : {}),
      logConfiguration: {
        options: { 'awslogs-group': '/axon-orbit-dev/orbit', 'awslogs-stream-prefix': 'orbit' },
      },
    });
  const stopped = (exitCode: number) =>
    JSON.stringify({
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'orbit', exitCode }],
    });
  const smoke = (env: Record<string, string>) =>
    run('smoke-ecs.sh', ['dev'], {
      FAKE_SERVICE_JSON: service,
      FAKE_CONTAINER_JSON: container(['node']),
      ...env,
    });
  const runTaskCall = (calls: string[]) => calls.find((c) => c.startsWith('aws ecs run-task')) ?? '';

  it('refuses http and a missing URL when the ALB listens on HTTPS (staging, prod)', () => {
    const https = { FAKE_TASK_JSON: stopped(0), FAKE_LISTENER_PROTOCOLS: 'HTTPS' };
    const missing = smoke(https);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('the ALB of dev listens on HTTPS only: set SMOKE_BASE_URL to https://');
    expect(smoke({ ...https, SMOKE_BASE_URL: 'http://orbit.internal' }).status).toBe(1);
    expect(runTaskCall(missing.calls)).toBe('');
    const named = smoke({ ...https, SMOKE_BASE_URL: 'https://orbit.prod.internal' });
    expect(named.status).toBe(0);
    expect(runTaskCall(named.calls)).toContain('"value":"https://orbit.prod.internal"');
  });

  it("runs the bundled smoke entry as node's arguments in Orbit's network, against the ALB", () => {
    const result = smoke({ FAKE_TASK_JSON: stopped(0), SMOKE_SECURITY_GROUPS: 'sg-smoke' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const call = runTaskCall(result.calls);
    expect(call).toContain(
      '--task-definition arn:aws:ecs:eu-west-1:1:task-definition/axon-orbit-dev-orbit:7',
    );
    expect(call).toContain('"securityGroups":["sg-smoke"]');
    expect(call).toContain('"command":["--input-type=module","-e",');
    expect(call).toContain(
      '{"name":"SMOKE_BASE_URL","value":"http://internal-alb-1.eu-west-1.elb.amazonaws.com"}',
    );
    expect(result.stdout).toContain('{"smoke":{"check":"health","ok":true}}');
    expect(result.calls).toContain(
      'aws logs get-log-events --log-group-name /axon-orbit-dev/orbit --log-stream-name orbit/orbit/0123abcd --query events[].message --output text',
    );
  });

  it('fails with the task exit code and stop reason', () => {
    const result = smoke({ FAKE_TASK_JSON: stopped(1), SMOKE_BASE_URL: 'https://orbit.dev.internal' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('smoke test failed in dev (exit 1, Essential container in task exited)');
    expect(runTaskCall(result.calls)).toContain('"value":"https://orbit.dev.internal"');
  });

  it("refuses a task definition whose entry point is the image's, which a command cannot replace", () => {
    const result = smoke({ FAKE_CONTAINER_JSON: container(), FAKE_TASK_JSON: stopped(0) });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('must declare entryPoint ["node"]');
    expect(runTaskCall(result.calls)).toBe('');
  });
});

describe('platform-digest.sh', () => {
  const index = JSON.stringify({
    manifests: [
      { digest: `sha256:${'1'.repeat(64)}`, platform: { os: 'linux', architecture: 'amd64' } },
      { digest: `sha256:${'2'.repeat(64)}`, platform: { os: 'linux', architecture: 'arm64' } },
      { digest: `sha256:${'3'.repeat(64)}`, platform: { os: 'unknown', architecture: 'unknown' } },
    ],
  });

  it('names the arm64 manifest Fargate runs, so the scan and SBOM cover it', () => {
    const result = run('platform-digest.sh', [`ghcr.io/acme/ao/orbit@${DIGEST}`, 'linux/arm64'], {
      FAKE_INDEX: index,
    });
    expect(result.stdout).toBe(`ref=ghcr.io/acme/ao/orbit@sha256:${'2'.repeat(64)}\narch=arm64\n`);
  });

  it('fails when the index lacks the platform, or on a tag', () => {
    const single = JSON.stringify({
      manifests: [{ digest: DIGEST, platform: { os: 'linux', architecture: 'amd64' } }],
    });
    expect(
      run('platform-digest.sh', [`i@${DIGEST}`, 'linux/arm64'], { FAKE_INDEX: single }).stderr,
    ).toContain('has no single linux/arm64 manifest');
    expect(run('platform-digest.sh', ['i:latest', 'linux/arm64']).status).toBe(1);
  });
});

describe('resolve-build.sh', () => {
  it('resolves each digest once and verifies it against the commit the tag names', () => {
    const result = run('resolve-build.sh', [SHA, 'acme/ao'], { FAKE_SOURCE_DIGEST: DIGEST });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`image-tag=${SHA}\ncommit=${SHA}\ndigests=axon=${DIGEST} orbit=${DIGEST}\n`);
    const verifies = result.calls.filter((c) => c.startsWith('cosign verify'));
    expect(verifies).toHaveLength(2);
    expect(verifies[0]).toContain(`--certificate-github-workflow-sha ${SHA}`);
  });

  it('stops on a tag that names no signed build or a missing image', () => {
    expect(run('resolve-build.sh', ['latest', 'acme/ao']).status).not.toBe(0);
    expect(run('resolve-build.sh', [SHA, 'acme/ao'], { FAKE_SOURCE_DIGEST: 'null' }).stderr).toContain(
      `no image ghcr.io/acme/ao/axon:${SHA} in the build registry`,
    );
  });
});

describe('stacks.sh', () => {
  const stack = (name: string, status: string) => ({
    name,
    status,
    updated: '2026-12-02T10:20:00Z',
    created: '2026-11-01T00:00:00Z',
  });

  it('cancels an update a cancelled run left running, then waits for the rollback', () => {
    const result = run('stacks.sh', ['cancel', 'prod'], {
      FAKE_STACKS_0: JSON.stringify([
        stack('axon-orbit-prod-services', 'UPDATE_IN_PROGRESS'),
        stack('axon-orbit-prod-network', 'UPDATE_COMPLETE'),
      ]),
      FAKE_STACKS_1: JSON.stringify([stack('axon-orbit-prod-services', 'UPDATE_ROLLBACK_IN_PROGRESS')]),
      FAKE_STACKS: JSON.stringify([stack('axon-orbit-prod-services', 'UPDATE_ROLLBACK_COMPLETE')]),
      SETTLE_POLL_SECONDS: '0',
    });
    expect(result.status).toBe(0);
    expect(result.calls.filter((c) => c.startsWith('aws cloudformation cancel-update-stack'))).toEqual([
      'aws cloudformation cancel-update-stack --stack-name axon-orbit-prod-services',
    ]);
    expect(result.stdout).toContain('waiting for axon-orbit-prod-services (UPDATE_ROLLBACK_IN_PROGRESS)');
    expect(result.stdout).toContain('no stack of prod is in progress');
    expect(result.calls[0]).toContain(
      "starts_with(StackName, 'axon-orbit-prod-') && StackName != 'axon-orbit-prod-cicd'",
    );
  });

  it('gives up settling after its time limit, naming the stack', () => {
    const result = run('stacks.sh', ['settle', 'dev'], {
      FAKE_STACKS: JSON.stringify([stack('axon-orbit-dev-services', 'UPDATE_IN_PROGRESS')]),
      SETTLE_TIMEOUT_SECONDS: '0',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'stacks of dev still in progress after 0s: axon-orbit-dev-services (UPDATE_IN_PROGRESS)',
    );
  });

  it('plans the rollback from the stack states', () => {
    const result = run('stacks.sh', ['plan', 'prod'], {
      FAKE_STACKS: JSON.stringify([stack('axon-orbit-prod-services', 'UPDATE_ROLLBACK_COMPLETE')]),
      DEPLOY_OUTCOME: 'failure',
      STARTED_AT: '2026-12-02T10:00:00Z',
    });
    expect(result.stdout).toBe(
      'action=skip\nreason=CloudFormation already rolled back axon-orbit-prod-services\n',
    );
  });
});

describe('cdk-diff.sh', () => {
  it('diffs with the image tag running there, so task definitions do not churn', () => {
    const result = run('cdk-diff.sh', ['dev', join(mkdtempSync(join(tmpdir(), 'diff-')), 'out.txt'), SHA]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      `npx cdk diff --no-notices -c env=dev -c imageTag=${SHA} dev/* --method template`,
    );
  });

  it('never diffs against prod', () => {
    const result = run('cdk-diff.sh', ['prod', '/dev/null']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('pull requests never diff against prod');
  });
});
