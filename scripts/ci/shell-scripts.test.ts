import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * The workflow scripts run against stand-ins for aws, cosign, docker and npx placed first on PATH:
 * each records its arguments and answers from FAKE_* variables, so the scripts' own decisions
 * (which tag is the rollback point, when to copy, what identity a signature must have) are tested
 * without AWS or a registry.
 */
const root = new URL('../..', import.meta.url).pathname;
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
  "elbv2 describe-load-balancers") echo internal-alb-1.eu-west-1.elb.amazonaws.com ;;
  "ecs run-task") echo arn:aws:ecs:eu-west-1:1:task/axon-orbit-dev/0123abcd ;;
  "ecs wait") ;;
  "ecs describe-tasks") printf '%s\\n' "$FAKE_TASK_JSON" ;;
  "logs get-log-events") printf '%s\\n' '{"smoke":{"check":"health","ok":true}}' ;;
  "cloudwatch describe-alarms") printf '%s\\n' "\${FAKE_ALARMS:-}" ;;
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
  docker: `printf '{"digest":"%s"}\\n' "$FAKE_SOURCE_DIGEST"`,
  npx: `case "$1" in tsx | esbuild) exec "${root}node_modules/.bin/$1" "\${@:2}" ;; esac
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
    expect(result.stdout).toBe(`tag=${SHA}\n`);
    expect(result.calls[0]).toContain('--cluster axon-orbit-dev --services axon-orbit-dev-orbit');
  });

  it('prints an empty tag on a first deploy or when the image was built from source', () => {
    expect(run('current-image-tag.sh', ['prod']).stdout).toBe('tag=\n');
    const asset = run('current-image-tag.sh', ['prod'], {
      FAKE_TASK_DEFINITION: 'arn:td',
      FAKE_IMAGES: '1.dkr.ecr.eu-west-1.amazonaws.com/cdk-hnb659fds-container-assets-1-eu-west-1:abc',
    });
    expect(asset.stdout).toBe('tag=\n');
    expect(asset.status).toBe(0);
  });

  it('refuses an unknown environment', () => {
    const result = run('current-image-tag.sh', ['qa']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("::error::environment must be dev, staging or prod, got 'qa'");
  });
});

describe('check-alarms.sh', () => {
  it("fails naming the environment's critical alarms that fire", () => {
    const result = run('check-alarms.sh', ['prod'], { FAKE_ALARMS: 'axon-orbit-prod-critical-orbit-5xx' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('critical alarms firing in prod: axon-orbit-prod-critical-orbit-5xx');
    expect(result.calls[0]).toContain('--alarm-name-prefix axon-orbit-prod-critical- --state-value ALARM');
  });

  it('passes when none fires', () => {
    expect(run('check-alarms.sh', ['prod']).status).toBe(0);
  });
});

describe('verify-image.sh', () => {
  const identityOf = (calls: string[]) => {
    const args = calls.find((c) => c.startsWith('cosign verify')) ?? '';
    return /--certificate-identity-regexp (\S+)/.exec(args)?.[1] ?? '';
  };

  it('accepts only build.yml of this repository on main or a release tag', () => {
    const result = run('verify-image.sh', [`ghcr.io/acme/axon.orbit/orbit@${DIGEST}`, 'acme/axon.orbit']);
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

  it('verifies by digest only, and fails when cosign does', () => {
    expect(run('verify-image.sh', ['ghcr.io/acme/ao/orbit:latest', 'acme/ao']).stderr).toContain(
      'verify by digest, not by tag',
    );
    expect(
      run('verify-image.sh', [`ghcr.io/acme/ao/orbit@${DIGEST}`, 'acme/ao'], { FAKE_COSIGN_EXIT: '1' })
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
      ...env,
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
