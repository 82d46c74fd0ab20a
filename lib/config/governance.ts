import { ConfigError } from './errors.js';
import type { EnvironmentName } from './types.js';

/** Sizing of the governance decision Lambda. */
export interface GovernanceConfig {
  /** Concurrent executions reserved for (and capping) the decision function; at least 1. */
  readonly reservedConcurrency: number;
  /** Memory of the decision function, MiB (Lambda allows 128 to 10240). */
  readonly memoryMiB: number;
  /** How long a compiled policy revision serves decisions before the table is read again, seconds. */
  readonly cacheTtlSeconds: number;
}

export const GOVERNANCE: Readonly<Record<EnvironmentName, GovernanceConfig>> = {
  dev: { reservedConcurrency: 5, memoryMiB: 512, cacheTtlSeconds: 5 },
  staging: { reservedConcurrency: 20, memoryMiB: 512, cacheTtlSeconds: 15 },
  prod: { reservedConcurrency: 100, memoryMiB: 1024, cacheTtlSeconds: 30 },
};

export function validateGovernance(env: string, g: GovernanceConfig): void {
  const check = (field: keyof GovernanceConfig, min: number, max: number) => {
    const value = g[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(
        `${env}.governance.${field}`,
        `must be an integer from ${min} to ${max}, got ${value}`,
      );
    }
  };
  check('reservedConcurrency', 1, 1000);
  check('memoryMiB', 128, 10240);
  check('cacheTtlSeconds', 0, 300);
}
