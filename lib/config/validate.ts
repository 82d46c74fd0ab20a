import { ConfigError } from './errors.js';
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

  const azCount = network.azSuffixes.length;
  if (
    azCount !== 3 ||
    new Set(network.azSuffixes).size !== 3 ||
    network.azSuffixes.some((s) => !/^[a-z]$/.test(s))
  ) {
    throw new ConfigError(
      `${name}.network.azSuffixes`,
      'must be three distinct letters such as ["a", "b", "c"]',
    );
  }
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
  if (name === 'prod' && config.enableExecuteCommand) {
    throw new ConfigError(`${name}.enableExecuteCommand`, 'must be false in prod');
  }
  validateTaskSize(`${name}.orbit`, config.orbit);
  validateTaskSize(`${name}.axon`, config.axon);
  return config;
}
