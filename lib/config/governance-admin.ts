import { type RoleMapping, roleMappingProblems } from '../../contracts/admin-roles.js';
import { ConfigError } from './errors.js';
import type { EnvironmentName } from './types.js';

/**
 * Who may administer policies, before an admin stores a mapping of their own: IAM role names in the
 * environment's account (`*` allowed), or full IAM/STS ARN patterns for anything else.
 */
export interface GovernanceAdminConfig {
  /** May roll back and change role mappings (and everything editors may). */
  readonly admins: readonly string[];
  /** May publish new revisions (and everything viewers may). */
  readonly editors: readonly string[];
  /** May read revisions, diffs and run validations and dry runs. */
  readonly viewers: readonly string[];
  /** The impact gate every push through the admin function passes. */
  readonly impact: ImpactGateConfig;
}

/**
 * Before a revision is written, the admin function replays the last `windowHours` of recorded
 * decisions against it; more than `maxFlips` flips refuse the push unless it says `--accept-impact`
 * (recorded, with who accepted, in the revision's audit entry).
 */
export interface ImpactGateConfig {
  /** Integer ≥ 0; 0 means any flip needs an explicit acceptance. */
  readonly maxFlips: number;
  /** Integer from 1 to 9,600 (400 days). */
  readonly windowHours: number;
}

const roles = (prefix: string, impact: ImpactGateConfig): GovernanceAdminConfig => ({
  admins: [`${prefix}-policy-admin`],
  editors: [`${prefix}-policy-editor`],
  viewers: [`${prefix}-policy-viewer`],
  impact,
});

/** Production refuses any unaccepted flip; the other environments leave room for experiments. */
export const GOVERNANCE_ADMIN: Readonly<Record<EnvironmentName, GovernanceAdminConfig>> = {
  dev: roles('axon-orbit-dev', { maxFlips: 100, windowHours: 24 }),
  staging: roles('axon-orbit-staging', { maxFlips: 20, windowHours: 24 }),
  prod: roles('axon-orbit-prod', { maxFlips: 0, windowHours: 24 }),
};

const MAX_WINDOW_HOURS = 400 * 24;

const ROLE_NAME = /^[A-Za-z0-9+=,.@_*-]{1,64}$/;

/** The mapping the admin function starts with: role names become role ARNs in `account` (any account when unknown). */
export function roleMappingOf(
  admin: GovernanceAdminConfig,
  account: string | undefined,
  partition = 'aws',
): RoleMapping {
  const arn = (entry: string) =>
    entry.startsWith('arn:') ? entry : `arn:${partition}:iam::${account ?? '*'}:role/${entry}`;
  return { admins: admin.admins.map(arn), editors: admin.editors.map(arn), viewers: admin.viewers.map(arn) };
}

export function validateGovernanceAdmin(env: string, admin: GovernanceAdminConfig, account?: string): void {
  for (const field of ['admins', 'editors', 'viewers'] as const) {
    admin[field].forEach((entry, i) => {
      if (!entry.startsWith('arn:') && !ROLE_NAME.test(entry)) {
        throw new ConfigError(
          `${env}.governanceAdmin.${field}[${i}]`,
          `must be an IAM role name or an IAM/STS ARN pattern, got "${entry}"`,
        );
      }
    });
  }
  const { maxFlips, windowHours } = admin.impact;
  if (!Number.isSafeInteger(maxFlips) || maxFlips < 0) {
    throw new ConfigError(
      `${env}.governanceAdmin.impact.maxFlips`,
      `must be an integer of at least 0, got ${maxFlips}`,
    );
  }
  if (!Number.isInteger(windowHours) || windowHours < 1 || windowHours > MAX_WINDOW_HOURS) {
    throw new ConfigError(
      `${env}.governanceAdmin.impact.windowHours`,
      `must be an integer from 1 to ${MAX_WINDOW_HOURS}, got ${windowHours}`,
    );
  }
  const problems = roleMappingProblems(roleMappingOf(admin, account));
  if (problems.length > 0) {
    throw new ConfigError(`${env}.governanceAdmin`, problems.join('; ').replaceAll('roles.', ''));
  }
}
