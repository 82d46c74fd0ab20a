import { describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { refuseDuplicateOidcProviders } from '../lib/config/cicd.js';
import { ConfigError, type EnvironmentConfig, loadConfig, validateConfig } from '../lib/config/index.js';
import { addPlatform } from '../lib/platform-app.js';
import { TEST_PROCESS_ENV } from './support/platform.js';

const CERT = (region = 'eu-west-1', account = '123456789012') =>
  `arn:aws:acm:${region}:${account}:certificate/00000000-0000-0000-0000-000000000000`;

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const dev = loadConfig('dev', {});
const prod = loadConfig('prod', TEST_PROCESS_ENV);
const withDeployment = (base: EnvironmentConfig, deployment: Partial<EnvironmentConfig['deployment']>) => ({
  ...base,
  deployment: { ...base.deployment, ...deployment },
});

describe('ALB certificate', () => {
  it('is required where HTTPS is, naming the variable and the region', () => {
    expect(messageOf(() => loadConfig('staging', {}))).toBe(
      'Invalid configuration: STAGING_CERTIFICATE_ARN is required for staging: its internal ALB serves HTTPS only; set it to an ACM certificate ARN in eu-west-1',
    );
    expect(messageOf(() => loadConfig('prod', { PROD_ACCOUNT_ID: '123456789012' }))).toMatch(
      /^Invalid configuration: PROD_CERTIFICATE_ARN is required for prod/,
    );
    expect(messageOf(() => validateConfig(withDeployment(prod, { certificateArn: undefined })))).toMatch(
      /prod.deployment.certificateArn is required: prod serves HTTPS only \(set PROD_CERTIFICATE_ARN\)/,
    );
  });

  it('is optional in dev, which then serves HTTP inside the VPC', () => {
    expect(dev.deployment.certificateArn).toBeUndefined();
    expect(loadConfig('dev', { DEV_CERTIFICATE_ARN: CERT() }).deployment.certificateArn).toBe(CERT());
  });

  it('must be an ACM certificate in the same region and account', () => {
    expect(messageOf(() => loadConfig('dev', { DEV_CERTIFICATE_ARN: 'arn:aws:iam::1:cert' }))).toMatch(
      /DEV_CERTIFICATE_ARN must be an ACM certificate ARN/,
    );
    expect(messageOf(() => loadConfig('dev', { DEV_CERTIFICATE_ARN: CERT('us-east-1') }))).toBe(
      "Invalid configuration: DEV_CERTIFICATE_ARN must be a certificate in eu-west-1 (the ALB's region), got us-east-1",
    );
    expect(
      messageOf(() =>
        loadConfig('prod', { ...TEST_PROCESS_ENV, PROD_CERTIFICATE_ARN: CERT('eu-west-1', '999999999999') }),
      ),
    ).toMatch(/PROD_CERTIFICATE_ARN must be a certificate of account 123456789012, got 999999999999/);
  });

  it('keeps plain HTTP to dev', () => {
    expect(messageOf(() => validateConfig(withDeployment(prod, { requireHttps: false })))).toMatch(
      /prod.deployment.requireHttps must be true in prod/,
    );
  });
});

describe('deployment settings', () => {
  it.each([
    [
      'drainSeconds',
      { drainSeconds: 121 },
      /dev.deployment.drainSeconds must be an integer from 5 to 120, got 121/,
    ],
    ['drainSeconds', { drainSeconds: 2.5 }, /drainSeconds must be an integer/],
    ['bakeMinutes', { bakeMinutes: -1 }, /dev.deployment.bakeMinutes must be an integer from 0 to 1440/],
    [
      'signingKeyRotationDays',
      { signingKeyRotationDays: 0 },
      /dev.deployment.signingKeyRotationDays must be an integer from 1 to 365, got 0/,
    ],
    [
      'serviceConnectNamespace',
      { serviceConnectNamespace: 'Axon_Orbit' },
      /dev.deployment.serviceConnectNamespace must be a lower-case DNS name/,
    ],
  ])('rejects a bad %s', (_field, deployment, message) => {
    expect(messageOf(() => validateConfig(withDeployment(dev, deployment)))).toMatch(message);
  });

  it('refuses Fargate Spot in prod', () => {
    expect(messageOf(() => validateConfig(withDeployment(prod, { fargateSpot: true })))).toMatch(
      /prod.deployment.fargateSpot must be false in prod/,
    );
  });

  it('encrypts Orbit → Axon with Service Connect TLS in staging and prod, not in dev', () => {
    expect(dev.deployment.serviceConnectTls).toBe(false);
    expect(loadConfig('staging', { STAGING_CERTIFICATE_ARN: CERT() }).deployment.serviceConnectTls).toBe(
      true,
    );
    expect(prod.deployment.serviceConnectTls).toBe(true);
  });

  it('rotates the signing key weekly in dev and monthly elsewhere', () => {
    expect(dev.deployment.signingKeyRotationDays).toBe(7);
    expect(prod.deployment.signingKeyRotationDays).toBe(30);
  });
});

describe('image source', () => {
  it('builds from source unless an image tag is given', () => {
    expect(dev.deployment.imageSource).toEqual({ kind: 'asset' });
    expect(loadConfig('dev', {}, { imageTag: 'git-3f2a9c1' }).deployment.imageSource).toEqual({
      kind: 'ecr',
      tag: 'git-3f2a9c1',
    });
    expect(loadConfig('dev', {}, { imageTag: '  ' }).deployment.imageSource).toEqual({ kind: 'asset' });
  });

  it('rejects a tag ECR would not accept', () => {
    expect(messageOf(() => loadConfig('dev', {}, { imageTag: '-latest' }))).toMatch(
      /^Invalid configuration: imageTag must be an ECR image tag/,
    );
    expect(messageOf(() => loadConfig('dev', {}, { imageTag: 'a'.repeat(129) }))).toMatch(/imageTag/);
  });
});

describe('GitHub OIDC provider', () => {
  const github = {
    repository: 'acme/axon-orbit',
    oidcProviderArn: undefined,
    diffEnvironment: 'dev' as const,
  };
  const inAccount = (name: 'dev' | 'staging', account: string) => ({
    config: {
      ...loadConfig(name, {
        STAGING_CERTIFICATE_ARN: CERT('eu-west-1', account),
        CDK_DEFAULT_ACCOUNT: account,
      }),
    },
    github,
  });

  it('refuses two environments that would both create it in one account, naming the variable to set', () => {
    expect(
      messageOf(() =>
        refuseDuplicateOidcProviders([
          inAccount('dev', '111111111111'),
          inAccount('staging', '111111111111'),
        ]),
      ),
    ).toBe(
      'Invalid configuration: STAGING_GITHUB_OIDC_PROVIDER_ARN must be set: dev and staging share account 111111111111 and both would create the GitHub OIDC provider (EntityAlreadyExists); deploy cicd-dev first, then set it to arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com',
    );
  });

  it('accepts separate accounts, or the second environment importing the first one’s provider', () => {
    expect(() =>
      refuseDuplicateOidcProviders([inAccount('dev', '111111111111'), inAccount('staging', '222222222222')]),
    ).not.toThrow();
    const imported = {
      ...inAccount('staging', '111111111111'),
      github: {
        ...github,
        oidcProviderArn: 'arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com',
      },
    };
    expect(() => refuseDuplicateOidcProviders([inAccount('dev', '111111111111'), imported])).not.toThrow();
  });

  it('refuses at the synth of one environment when another environment would create it in the same account', () => {
    const sharedAccount = {
      GITHUB_REPOSITORY: 'acme/axon-orbit',
      DEV_ACCOUNT_ID: '111111111111',
      STAGING_ACCOUNT_ID: '111111111111',
      STAGING_CERTIFICATE_ARN: CERT('eu-west-1', '111111111111'),
    };
    expect(messageOf(() => addPlatform(new App(), { envs: ['staging'], processEnv: sharedAccount }))).toMatch(
      /^Invalid configuration: STAGING_GITHUB_OIDC_PROVIDER_ARN must be set: dev and staging share account 111111111111/,
    );
  });
});
