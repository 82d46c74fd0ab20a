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
}

const roles = (prefix: string): GovernanceAdminConfig => ({
  admins: [`${prefix}-policy-admin`],
  editors: [`${prefix}-policy-editor`],
  viewers: [`${prefix}-policy-viewer`],
});

export const GOVERNANCE_ADMIN: Readonly<Record<EnvironmentName, GovernanceAdminConfig>> = {
  dev: roles('axon-orbit-dev'),
  staging: roles('axon-orbit-staging'),
  prod: roles('axon-orbit-prod'),
};

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
  const problems = roleMappingProblems(roleMappingOf(admin, account));
  if (problems.length > 0) {
    throw new ConfigError(`${env}.governanceAdmin`, problems.join('; ').replaceAll('roles.', ''));
  }
}
