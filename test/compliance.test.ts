import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { sharedAssembly } from './support/assembly.js';

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
        CDK_CONTEXT_JSON: JSON.stringify({ ...context, 'aws:cdk:bundling-stacks': [] }),
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

  it('synthesizes a single environment without an account', () => {
    const result = synth({ env: 'dev' }, {});
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
