import { ROLES, type Role, type RoleMapping } from '../../../contracts/admin-roles.js';

function patternRegex(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** The ARNs a caller may be known by: itself, and for a role session the role it assumed. */
function identities(principalArn: string): string[] {
  const session = /^arn:([a-z-]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principalArn);
  if (!session) return [principalArn];
  const [, partition, account, role] = session;
  return [principalArn, `arn:${partition}:iam::${account}:role/${role}`];
}

/** The strongest role the mapping grants a principal, or undefined when it grants none. */
export function roleOf(mapping: RoleMapping, principalArn: string): Role | undefined {
  const names = identities(principalArn);
  const holds = (patterns: readonly string[]) =>
    patterns.some((p) => {
      const regex = patternRegex(p);
      return names.some((n) => regex.test(n));
    });
  if (holds(mapping.admins)) return 'admin';
  if (holds(mapping.editors)) return 'editor';
  if (holds(mapping.viewers)) return 'viewer';
  return undefined;
}

export function atLeast(role: Role | undefined, required: Role): boolean {
  return role !== undefined && ROLES.indexOf(role) >= ROLES.indexOf(required);
}
