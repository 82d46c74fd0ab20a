import { describe, expect, it } from '@jest/globals';
import {
  BASE_CONFIGS,
  ConfigError,
  loadConfig,
  parseEnvironmentSelection,
  validateConfig,
} from '../lib/config/index.js';

const PROD = {
  PROD_ACCOUNT_ID: '123456789012',
  PROD_CERTIFICATE_ARN: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
  STAGING_CERTIFICATE_ARN:
    'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000',
};

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('environment selection', () => {
  it('selects every environment in pipeline order by default', () => {
    expect(parseEnvironmentSelection(undefined)).toEqual(['dev', 'staging', 'prod']);
    expect(parseEnvironmentSelection('all')).toEqual(['dev', 'staging', 'prod']);
    expect(parseEnvironmentSelection('prod, dev')).toEqual(['dev', 'prod']);
  });

  it('rejects an unknown environment and lists the allowed names', () => {
    expect(messageOf(() => parseEnvironmentSelection('dev,qa'))).toBe(
      'Invalid configuration: env "qa" is not an environment; allowed: dev, staging, prod, all',
    );
  });
});

describe('account and region', () => {
  it('requires an explicit prod account', () => {
    expect(messageOf(() => loadConfig('prod', {}))).toMatch(
      /^Invalid configuration: PROD_ACCOUNT_ID is required for prod/,
    );
    expect(messageOf(() => loadConfig('prod', { CDK_DEFAULT_ACCOUNT: '123456789012' }))).toMatch(
      /PROD_ACCOUNT_ID/,
    );
  });

  it('rejects a malformed account or region, naming the variable', () => {
    expect(messageOf(() => loadConfig('prod', { PROD_ACCOUNT_ID: '12345' }))).toMatch(
      /PROD_ACCOUNT_ID must be a 12-digit/,
    );
    expect(messageOf(() => loadConfig('dev', { DEV_REGION: 'Europe' }))).toMatch(
      /DEV_REGION must be an AWS region/,
    );
  });

  it('lets dev fall back to the CLI account, then to an environment-agnostic synth', () => {
    expect(loadConfig('dev', { CDK_DEFAULT_ACCOUNT: '210987654321' }).account).toBe('210987654321');
    expect(loadConfig('dev', {}).account).toBeUndefined();
    expect(
      loadConfig('staging', {
        STAGING_REGION: 'us-east-2',
        STAGING_CERTIFICATE_ARN:
          'arn:aws:acm:us-east-2:123456789012:certificate/00000000-0000-0000-0000-000000000000',
      }).region,
    ).toBe('us-east-2');
  });

  it('takes the alarm e-mail from the environment and validates it', () => {
    expect(loadConfig('prod', { ...PROD, PROD_ALARM_EMAIL: 'pager@corp.example' }).alarmEmail).toBe(
      'pager@corp.example',
    );
    expect(messageOf(() => loadConfig('dev', { DEV_ALARM_EMAIL: 'nobody' }))).toMatch(
      /dev.alarmEmail must be an e-mail/,
    );
  });
});

describe('shipped environments', () => {
  it('has one NAT gateway in dev and one per AZ in prod', () => {
    expect(loadConfig('dev', {}).network.natGateways).toBe(1);
    expect(loadConfig('prod', PROD).network.natGateways).toBe(3);
  });

  it('retains stateful resources in prod', () => {
    expect(loadConfig('prod', PROD).removalPolicy).toBe('retain');
  });
});

describe('validation', () => {
  const dev = loadConfig('dev', {});
  const withNetwork = (network: Partial<typeof dev.network>) => ({
    ...dev,
    network: { ...dev.network, ...network },
  });

  it.each([
    ['10.10.0.0', /must be an IPv4 CIDR from \/16 to \/17/],
    ['10.10.0.0/24', /got \/24/],
    ['10.300.0.0/16', /octet above 255/],
    ['10.10.1.0/16', /host bits set/],
  ])('rejects the CIDR %s', (cidr, message) => {
    expect(messageOf(() => validateConfig(withNetwork({ cidr })))).toMatch(message);
  });

  it('rejects more NAT gateways than AZs, or none', () => {
    expect(messageOf(() => validateConfig(withNetwork({ natGateways: 4 })))).toBe(
      'Invalid configuration: dev.network.natGateways must be an integer from 1 to 3 (the AZ count), got 4',
    );
    expect(messageOf(() => validateConfig(withNetwork({ natGateways: 0 })))).toMatch(/from 1 to 3/);
  });

  it('rejects a region with fewer than three availability zones, or none on record, naming the region', () => {
    expect(messageOf(() => validateConfig({ ...dev, region: 'us-west-1' }))).toBe(
      'Invalid configuration: dev.region us-west-1 offers 2 availability zones (us-west-1b, us-west-1c); the platform spans 3, choose another region',
    );
    expect(messageOf(() => validateConfig({ ...dev, region: 'me-central-1' }))).toMatch(
      /^Invalid configuration: dev\.region has no availability zones on record for me-central-1; add .* to lib\/config\/regions\.ts/,
    );
  });

  it('rejects a memory size Fargate does not offer for the CPU, listing the allowed ones', () => {
    expect(
      messageOf(() => validateConfig({ ...dev, axon: { ...dev.axon, cpu: 256, memoryMiB: 4096 } })),
    ).toBe(
      'Invalid configuration: dev.axon.memoryMiB 4096 is not valid on Fargate with cpu 256; allowed: 512, 1024, 2048',
    );
    expect(messageOf(() => validateConfig({ ...dev, axon: { ...dev.axon, cpu: 300 } }))).toMatch(
      /dev.axon.cpu must be one of/,
    );
  });

  it('rejects min tasks above max tasks', () => {
    expect(
      messageOf(() => validateConfig({ ...dev, orbit: { ...dev.orbit, minTasks: 3, maxTasks: 2 } })),
    ).toMatch(/dev.orbit.maxTasks must be an integer not below minTasks \(3\), got 2/);
  });

  it('rejects clashing or privileged ports', () => {
    expect(messageOf(() => validateConfig({ ...dev, ports: { orbit: 80, axon: 8081 } }))).toMatch(
      /dev.ports.orbit/,
    );
    expect(messageOf(() => validateConfig({ ...dev, ports: { orbit: 8080, axon: 8080 } }))).toMatch(
      /must differ/,
    );
  });

  it('refuses a prod that would delete its data', () => {
    const prod = loadConfig('prod', PROD);
    expect(messageOf(() => validateConfig({ ...prod, removalPolicy: 'destroy' }))).toMatch(
      /prod.removalPolicy/,
    );
  });

  it('accepts every shipped environment', () => {
    for (const name of Object.keys(BASE_CONFIGS) as (keyof typeof BASE_CONFIGS)[]) {
      expect(() => loadConfig(name, PROD)).not.toThrow();
    }
  });
});
