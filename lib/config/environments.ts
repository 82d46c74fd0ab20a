import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { EnvironmentConfig, EnvironmentName } from './types.js';

/** Per-environment settings, before account/region are resolved from the process environment. */
export type BaseConfig = Omit<EnvironmentConfig, 'account' | 'region'> & { readonly defaultRegion: string };

const ports = { orbit: 8080, axon: 8081 } as const;
const azSuffixes = ['a', 'b', 'c'] as const;

export const BASE_CONFIGS: Readonly<Record<EnvironmentName, BaseConfig>> = {
  dev: {
    name: 'dev',
    prefix: 'axon-orbit-dev',
    defaultRegion: 'eu-west-1',
    network: { cidr: '10.10.0.0/16', natGateways: 1, azSuffixes },
    ports,
    logRetention: RetentionDays.TWO_WEEKS,
    removalPolicy: 'destroy',
    alarmEmail: 'platform-dev-alerts@example.com',
    orbit: { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 },
    axon: { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 },
    enableExecuteCommand: true,
  },
  staging: {
    name: 'staging',
    prefix: 'axon-orbit-staging',
    defaultRegion: 'eu-west-1',
    network: { cidr: '10.20.0.0/16', natGateways: 1, azSuffixes },
    ports,
    logRetention: RetentionDays.ONE_MONTH,
    removalPolicy: 'destroy',
    alarmEmail: 'platform-staging-alerts@example.com',
    orbit: { cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 4 },
    axon: { cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 4 },
    enableExecuteCommand: true,
  },
  prod: {
    name: 'prod',
    prefix: 'axon-orbit-prod',
    defaultRegion: 'eu-west-1',
    network: { cidr: '10.30.0.0/16', natGateways: 3, azSuffixes },
    ports,
    logRetention: RetentionDays.ONE_YEAR,
    removalPolicy: 'retain',
    alarmEmail: 'platform-oncall@example.com',
    orbit: { cpu: 1024, memoryMiB: 2048, minTasks: 3, maxTasks: 12 },
    axon: { cpu: 1024, memoryMiB: 2048, minTasks: 3, maxTasks: 12 },
    enableExecuteCommand: false,
  },
};
