import { STSClient } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { runCommand, usageOf } from './cli.js';
import type { CommandReport } from './report.js';
import { ACCOUNT, CALLER, cliDeps } from './test-support.js';
import { verifyCommand } from './verify-checks.js';

const sts = mockClient(STSClient);

beforeEach(() => {
  sts.reset();
});

describe('operator command line', () => {
  it('names the valid environments in one line for an unknown one (exit 2)', async () => {
    const { deps, err, out } = cliDeps();
    expect(await runCommand(verifyCommand, ['--env', 'qa'], deps)).toBe(2);
    expect(err).toEqual(['verify: unknown environment "qa"; valid environments: dev, staging, prod']);
    expect(out).toEqual([]);
    expect(sts.calls()).toHaveLength(0);
  });

  it('prints the same error as the documented JSON shape with --json', async () => {
    const { deps, out } = cliDeps();
    expect(await runCommand(verifyCommand, ['--env', 'qa', '--json'], deps)).toBe(2);
    const report = JSON.parse(out.join('\n')) as CommandReport;
    expect(report).toEqual({
      command: 'verify',
      environment: null,
      region: null,
      account: null,
      exitCode: 2,
      summary: { pass: 0, fail: 0, warn: 0, error: 0 },
      checks: [],
      error: { kind: 'usage', message: 'unknown environment "qa"; valid environments: dev, staging, prod' },
    });
  });

  it('rejects a misspelt option in one line', async () => {
    const { deps, err } = cliDeps();
    expect(await runCommand(verifyCommand, ['--env', 'dev', '--jsn'], deps)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^verify: Unknown option '--jsn'.*\(see --help\)$/);
  });

  it('requires --env', async () => {
    const { deps, err } = cliDeps();
    expect(await runCommand(verifyCommand, [], deps)).toBe(2);
    expect(err).toEqual(['verify: --env is required; one of dev, staging, prod']);
  });

  it('reports a configuration mistake as lib/config words it (exit 2)', async () => {
    const { deps, err } = cliDeps();
    expect(await runCommand(verifyCommand, ['--env', 'staging'], deps)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain('STAGING_CERTIFICATE_ARN is required for staging');
  });

  it('says how to provide credentials when the SDK finds none (exit 2)', async () => {
    sts.rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
        tryNextLink: false,
      }),
    );
    const { deps, err } = cliDeps();
    expect(await runCommand(verifyCommand, ['--env', 'dev'], deps)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^verify: no usable AWS credentials: run `aws sso login/);
    expect(err[0]).toContain('AWS_ACCESS_KEY_ID');
  });

  it('refuses credentials of another account than the configured one', async () => {
    sts.resolves({ ...CALLER, Account: '210987654321', Arn: 'arn:aws:sts::210987654321:assumed-role/x/y' });
    const { deps, err } = cliDeps({ DEV_ACCOUNT_ID: ACCOUNT });
    expect(await runCommand(verifyCommand, ['--env', 'dev'], deps)).toBe(2);
    expect(err).toEqual([
      `verify: the credentials are for account 210987654321 but dev is configured for ${ACCOUNT}; switch profile or role`,
    ]);
  });

  it('prints usage with the IAM actions the command needs', async () => {
    const { deps, out } = cliDeps();
    expect(await runCommand(verifyCommand, ['--help'], deps)).toBe(0);
    expect(out.join('\n')).toBe(usageOf(verifyCommand));
    expect(out[0]).toContain('iam:SimulatePrincipalPolicy');
  });
});
