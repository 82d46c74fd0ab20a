import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { addPlatform } from '../lib/platform-app.js';
import { sharedAssembly } from './support/assembly.js';
import { fixtureApp } from './support/fixture-app.js';
import { cdkContext, GITHUB_REPOSITORY } from './support/platform.js';

describe('compliance packs (AwsSolutions, NIST 800-53 R5, Serverless) and cfn-guard (Control Tower + project rules)', () => {
  it('report no unacknowledged finding in any stage', () => {
    const { violations } = sharedAssembly();
    expect(violations.map((v) => `${v.rule} at ${v.path}`)).toEqual([]);
  });
});

describe('bin/app.ts', () => {
  const synth = (context: Record<string, unknown>, env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '',
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'cdk-app-')),
        CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext(), ...context, 'aws:cdk:bundling-stacks': [] }),
        ...env,
      },
    });

  it('stops with one clear line when the environment name is wrong', () => {
    const result = synth({ env: 'qa' }, {});
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Invalid configuration: env "qa" is not an environment; allowed: dev, staging, prod, all',
    );
  });

  it('stops with one clear line when the prod account is missing', () => {
    const result = synth({ env: 'prod' }, {});
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^Invalid configuration: PROD_ACCOUNT_ID is required for prod/);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('stops with one clear line on a malformed GITHUB_REPOSITORY', () => {
    const result = synth({ env: 'dev' }, { GITHUB_REPOSITORY: 'acme/repo:environment:prod' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Invalid configuration: GITHUB_REPOSITORY must be a GitHub repository as owner/name (e.g. acme/axon-orbit), got "acme/repo:environment:prod"',
    );
  });

  // What it builds for `-c env=dev`; `npm run synth` (the shared assembly) runs it through the CDK CLI
  // for every environment, with every template rule.
  it('builds one environment without an account, with its cicd stage when GitHub names the repository', () => {
    // Which stages it adds is the question here, not the Lambda bundles (`npm run synth` builds those).
    const app = fixtureApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { stages, cicdStages } = addPlatform(app, {
      envs: ['dev'],
      processEnv: { GITHUB_REPOSITORY },
      templateRules: false,
    });
    expect(Object.keys(stages)).toEqual(['dev']);
    expect(cicdStages.map((stage) => stage.stageName)).toEqual(['cicd-dev']);
  });
});
