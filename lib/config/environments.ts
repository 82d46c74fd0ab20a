import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CALLERS } from './callers.js';
import { GOVERNANCE } from './governance.js';
import { GOVERNANCE_ADMIN } from './governance-admin.js';
import { OBSERVABILITY } from './observability.js';
import type { DeploymentConfig, EnvironmentConfig, EnvironmentName } from './types.js';

/** Per-environment settings, before account/region are resolved from the process environment. */
export type BaseConfig = Omit<EnvironmentConfig, 'account' | 'region' | 'deployment'> & {
  readonly defaultRegion: string;
  /** The certificate comes from `<ENV>_CERTIFICATE_ARN` at load time. */
  readonly deployment: Omit<DeploymentConfig, 'certificateArn'>;
};

const ports = { orbit: 8080, axon: 8081 } as const;

export const BASE_CONFIGS: Readonly<Record<EnvironmentName, BaseConfig>> = {
  dev: {
    name: 'dev',
    observability: OBSERVABILITY.dev,
    governance: GOVERNANCE.dev,
    governanceAdmin: GOVERNANCE_ADMIN.dev,
    callers: CALLERS.dev,
    prefix: 'axon-orbit-dev',
    defaultRegion: 'eu-west-1',
    network: { cidr: '10.10.0.0/16', natGateways: 1 },
    ports,
    logRetention: RetentionDays.TWO_WEEKS,
    removalPolicy: 'destroy',
    alarmEmail: 'platform-dev-alerts@example.com',
    orbit: { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 },
    axon: { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 },
    deployment: {
      requireHttps: false,
      drainSeconds: 10,
      bakeMinutes: 0,
      serviceConnectNamespace: 'axon-orbit-dev.internal',
      serviceConnectTls: false,
      fargateSpot: true,
      signingKeyRotationDays: 7,
      imageSource: { kind: 'asset' },
    },
  },
  staging: {
    name: 'staging',
    observability: OBSERVABILITY.staging,
    governance: GOVERNANCE.staging,
    governanceAdmin: GOVERNANCE_ADMIN.staging,
    callers: CALLERS.staging,
    prefix: 'axon-orbit-staging',
    defaultRegion: 'eu-west-1',
    network: { cidr: '10.20.0.0/16', natGateways: 1 },
    ports,
    logRetention: RetentionDays.ONE_MONTH,
    removalPolicy: 'destroy',
    alarmEmail: 'platform-staging-alerts@example.com',
    orbit: { cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 4 },
    axon: { cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 4 },
    deployment: {
      requireHttps: true,
      drainSeconds: 30,
      bakeMinutes: 5,
      serviceConnectNamespace: 'axon-orbit-staging.internal',
      serviceConnectTls: true,
      fargateSpot: false,
      signingKeyRotationDays: 30,
      imageSource: { kind: 'asset' },
    },
  },
  prod: {
    name: 'prod',
    observability: OBSERVABILITY.prod,
    governance: GOVERNANCE.prod,
    governanceAdmin: GOVERNANCE_ADMIN.prod,
    callers: CALLERS.prod,
    prefix: 'axon-orbit-prod',
    defaultRegion: 'eu-west-1',
    network: { cidr: '10.30.0.0/16', natGateways: 3 },
    ports,
    logRetention: RetentionDays.ONE_YEAR,
    removalPolicy: 'retain',
    alarmEmail: 'platform-oncall@example.com',
    orbit: { cpu: 1024, memoryMiB: 2048, minTasks: 3, maxTasks: 12 },
    axon: { cpu: 1024, memoryMiB: 2048, minTasks: 3, maxTasks: 12 },
    deployment: {
      requireHttps: true,
      drainSeconds: 60,
      bakeMinutes: 15,
      serviceConnectNamespace: 'axon-orbit-prod.internal',
      serviceConnectTls: true,
      fargateSpot: false,
      signingKeyRotationDays: 30,
      imageSource: { kind: 'asset' },
    },
  },
};
