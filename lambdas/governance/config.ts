import {
  isRuntimeEnvironment,
  RUNTIME_ENVIRONMENTS,
  type RuntimeEnvironment,
} from '../../contracts/environments.js';
import { POLICY_SET_PATTERN } from '../../contracts/policy-table.js';
import { DECISION_FUNCTION_ENV as ENV } from '../../contracts/service-env.js';

export interface DecisionFunctionConfig {
  readonly tableName: string;
  readonly policySet: string;
  readonly cacheTtlMs: number;
  readonly environment: RuntimeEnvironment;
}

/**
 * The decision function's settings: `POLICY_TABLE_NAME` (required), `POLICY_SET_NAME` (default
 * `default`), `POLICY_CACHE_TTL_MS` (default 30000), `ENVIRONMENT` (dev|staging|prod|local). Throws
 * one message naming the variable, so a misconfigured function fails at init rather than answering.
 */
export function decisionConfigFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): DecisionFunctionConfig {
  const tableName = env[ENV.tableName];
  if (!tableName) throw new Error(`${ENV.tableName} must name the policy table`);
  const policySet = env[ENV.policySet] || 'default';
  if (!POLICY_SET_PATTERN.test(policySet)) {
    throw new Error(`${ENV.policySet} must match ${POLICY_SET_PATTERN.source}, got "${policySet}"`);
  }
  const rawTtl = env[ENV.cacheTtlMs];
  const cacheTtlMs = Number(rawTtl ?? 30_000);
  if (!Number.isInteger(cacheTtlMs) || cacheTtlMs < 0 || cacheTtlMs > 300_000) {
    throw new Error(`${ENV.cacheTtlMs} must be an integer from 0 to 300000, got "${rawTtl}"`);
  }
  const environment = env[ENV.environment];
  if (!isRuntimeEnvironment(environment)) {
    throw new Error(
      `${ENV.environment} must be one of ${RUNTIME_ENVIRONMENTS.join(', ')}, got "${environment}"`,
    );
  }
  return { tableName, policySet, cacheTtlMs, environment };
}
