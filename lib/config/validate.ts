import { validateCallers } from './callers.js';
import { ConfigError } from './errors.js';
import { validateGovernance } from './governance.js';
import { validateGovernanceAdmin } from './governance-admin.js';
import { validateObservability } from './observability.js';
import { availabilityZonesOf } from './regions.js';
import type { EnvironmentConfig, TaskSize } from './types.js';

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Smallest and largest VPC the subnet plan (3 × public /24, private /20, isolated /22) fits in. */
const VPC_PREFIX = { min: 16, max: 17 } as const;

/** Fargate's valid memory sizes (MiB) for each CPU size (CPU units). */
const FARGATE_MEMORY: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

export function validateAccount(field: string, value: string): void {
  if (!ACCOUNT.test(value)) throw new ConfigError(field, `must be a 12-digit AWS account id, got "${value}"`);
}

export function validateRegion(field: string, value: string): void {
  if (!REGION.test(value))
    throw new ConfigError(field, `must be an AWS region such as eu-west-1, got "${value}"`);
}

/** Parses `a.b.c.d/n` strictly: four octets 0-255, no host bits set, prefix in the allowed range. */
export function validateCidr(field: string, cidr: string): void {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const allowed = `an IPv4 CIDR from /${VPC_PREFIX.min} to /${VPC_PREFIX.max} such as 10.10.0.0/16`;
  if (!match) throw new ConfigError(field, `must be ${allowed}, got "${cidr}"`);
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255)) throw new ConfigError(field, `has an octet above 255 in "${cidr}"`);
  if (prefix < VPC_PREFIX.min || prefix > VPC_PREFIX.max) {
    throw new ConfigError(field, `must be ${allowed}, got /${prefix}`);
  }
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (address % 2 ** (32 - prefix) !== 0) {
    throw new ConfigError(field, `has host bits set in "${cidr}"; use the network address`);
  }
}

const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):(\d{12}):certificate\/[0-9a-f-]{36}$/;
/** ECR's tag grammar. */
const IMAGE_TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const NAMESPACE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** Fargate's container stop timeout is at most 120 s; below 5 s in-flight requests get cut off. */
const DRAIN_SECONDS = { min: 5, max: 120 } as const;

/** An ACM certificate usable by this environment's ALB: same region and, when known, same account. */
export function validateCertificateArn(
  field: string,
  arn: string,
  region: string,
  account: string | undefined,
): void {
  const match = CERTIFICATE_ARN.exec(arn);
  if (!match) {
    throw new ConfigError(
      field,
      `must be an ACM certificate ARN such as arn:aws:acm:${region}:123456789012:certificate/<uuid>, got "${arn}"`,
    );
  }
  if (match[1] !== region) {
    throw new ConfigError(field, `must be a certificate in ${region} (the ALB's region), got ${match[1]}`);
  }
  if (account !== undefined && match[2] !== account) {
    throw new ConfigError(field, `must be a certificate of account ${account}, got ${match[2]}`);
  }
}

function integerIn(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function validateDeployment(config: EnvironmentConfig): void {
  const field = `${config.name}.deployment`;
  const { deployment } = config;
  if (deployment.requireHttps && deployment.certificateArn === undefined) {
    throw new ConfigError(
      `${field}.certificateArn`,
      `is required: ${config.name} serves HTTPS only (set ${config.name.toUpperCase()}_CERTIFICATE_ARN)`,
    );
  }
  if (deployment.certificateArn !== undefined) {
    validateCertificateArn(
      `${field}.certificateArn`,
      deployment.certificateArn,
      config.region,
      config.account,
    );
  }
  if (config.name !== 'dev' && !deployment.requireHttps) {
    throw new ConfigError(
      `${field}.requireHttps`,
      `must be true in ${config.name}: plain HTTP is for dev only`,
    );
  }
  if (config.name === 'prod' && deployment.fargateSpot) {
    throw new ConfigError(
      `${field}.fargateSpot`,
      'must be false in prod: Spot tasks can be interrupted at two minutes notice',
    );
  }
  integerIn(`${field}.drainSeconds`, deployment.drainSeconds, DRAIN_SECONDS.min, DRAIN_SECONDS.max);
  integerIn(`${field}.bakeMinutes`, deployment.bakeMinutes, 0, 1440);
  integerIn(`${field}.signingKeyRotationDays`, deployment.signingKeyRotationDays, 1, 365);
  if (!NAMESPACE.test(deployment.serviceConnectNamespace)) {
    throw new ConfigError(
      `${field}.serviceConnectNamespace`,
      `must be a lower-case DNS name such as axon-orbit-dev.internal, got "${deployment.serviceConnectNamespace}"`,
    );
  }
  const source = deployment.imageSource;
  if (source.kind === 'ecr' && !IMAGE_TAG.test(source.tag)) {
    throw new ConfigError(
      'imageTag',
      `must be an ECR image tag (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-"), got "${source.tag}"`,
    );
  }
}

function validateTaskSize(field: string, size: TaskSize): void {
  const memories = FARGATE_MEMORY[size.cpu];
  if (!memories) {
    throw new ConfigError(
      `${field}.cpu`,
      `must be one of ${Object.keys(FARGATE_MEMORY).join(', ')}, got ${size.cpu}`,
    );
  }
  if (!memories.includes(size.memoryMiB)) {
    throw new ConfigError(
      `${field}.memoryMiB`,
      `${size.memoryMiB} is not valid on Fargate with cpu ${size.cpu}; allowed: ${memories.join(', ')}`,
    );
  }
  if (!Number.isInteger(size.minTasks) || size.minTasks < 1) {
    throw new ConfigError(`${field}.minTasks`, `must be an integer of at least 1, got ${size.minTasks}`);
  }
  if (!Number.isInteger(size.maxTasks) || size.maxTasks < size.minTasks) {
    throw new ConfigError(
      `${field}.maxTasks`,
      `must be an integer not below minTasks (${size.minTasks}), got ${size.maxTasks}`,
    );
  }
}

/** Throws a `ConfigError` naming the first invalid field; returns the config unchanged otherwise. */
export function validateConfig(config: EnvironmentConfig): EnvironmentConfig {
  const { name, network, ports } = config;
  if (config.account !== undefined) validateAccount(`${name}.account`, config.account);
  validateRegion(`${name}.region`, config.region);
  validateCidr(`${name}.network.cidr`, network.cidr);

  const azCount = availabilityZonesOf(`${name}.region`, config.region).length;
  if (!Number.isInteger(network.natGateways) || network.natGateways < 1 || network.natGateways > azCount) {
    throw new ConfigError(
      `${name}.network.natGateways`,
      `must be an integer from 1 to ${azCount} (the AZ count), got ${network.natGateways}`,
    );
  }
  for (const [service, port] of Object.entries(ports)) {
    if (!Number.isInteger(port) || port < 1024 || port > 65535) {
      throw new ConfigError(`${name}.ports.${service}`, `must be an integer from 1024 to 65535, got ${port}`);
    }
  }
  if (ports.orbit === ports.axon) throw new ConfigError(`${name}.ports`, 'orbit and axon must differ');
  if (!EMAIL.test(config.alarmEmail)) {
    throw new ConfigError(`${name}.alarmEmail`, `must be an e-mail address, got "${config.alarmEmail}"`);
  }
  if (name === 'prod' && config.removalPolicy !== 'retain') {
    throw new ConfigError(
      `${name}.removalPolicy`,
      'must be "retain" in prod so data survives a stack deletion',
    );
  }
  validateObservability(name, config.observability);
  validateGovernance(name, config.governance);
  validateGovernanceAdmin(name, config.governanceAdmin, config.account);
  validateCallers(name, config.callers);
  validateTaskSize(`${name}.orbit`, config.orbit);
  validateTaskSize(`${name}.axon`, config.axon);
  validateDeployment(config);
  return config;
}
