export { isEnvironmentName } from '../../contracts/environments.js';
export {
  CALLERS,
  type CallerConfig,
  type CallerIssuerConfig,
  type CallersConfig,
  rateLimitsOf,
  type WafRateConfig,
} from './callers.js';
export { BASE_CONFIGS } from './environments.js';
export { ConfigError } from './errors.js';
export { GOVERNANCE, type GovernanceConfig } from './governance.js';
export { GOVERNANCE_ADMIN, type GovernanceAdminConfig, roleMappingOf } from './governance-admin.js';
export {
  type LoadOverrides,
  loadConfig,
  type ProcessEnv,
  parseEnvironmentSelection,
} from './load.js';
export { AZ_COUNT, availabilityZonesOf, partitionOf } from './regions.js';
export { removalPolicyOf } from './removal.js';
export * from './types.js';
export { validateConfig } from './validate.js';
