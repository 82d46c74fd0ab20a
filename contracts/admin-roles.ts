/** Admin roles, weakest first: each role may do everything the ones before it may. */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Which IAM principals hold which role: ARN patterns, `*` matching any run of characters. A role
 * pattern (`arn:aws:iam::123456789012:role/ops`) also matches that role's sessions
 * (`arn:aws:sts::123456789012:assumed-role/ops/alice`), which is what a caller signed with role
 * credentials looks like to the handler.
 */
export interface RoleMapping {
  readonly admins: readonly string[];
  readonly editors: readonly string[];
  readonly viewers: readonly string[];
}

const ARN_PATTERN = /^arn:(\*|aws[a-z-]*):(iam|sts|\*)::(\*|\d{12}):[A-Za-z0-9+=,.@_/*-]+$/;
const MAX_PATTERNS = 100;
const FIELDS = ['admins', 'editors', 'viewers'] as const;

/** Everything wrong with a mapping, each naming its field; empty when the mapping is usable. */
export function roleMappingProblems(input: unknown): string[] {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return ['roles must be an object with admins, editors and viewers (arrays of IAM ARN patterns)'];
  }
  const problems: string[] = [];
  for (const key of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      problems.push(`roles.${key} is not allowed (allowed: ${FIELDS.join(', ')})`);
    }
  }
  for (const field of FIELDS) {
    const value = (input as Record<string, unknown>)[field];
    if (!Array.isArray(value) || value.length > MAX_PATTERNS) {
      problems.push(`roles.${field} must be an array of at most ${MAX_PATTERNS} IAM ARN patterns`);
      continue;
    }
    value.forEach((pattern: unknown, i) => {
      if (typeof pattern !== 'string' || !ARN_PATTERN.test(pattern)) {
        problems.push(
          `roles.${field}[${i}] must be an IAM or STS ARN pattern such as arn:aws:iam::123456789012:role/ops, got ${JSON.stringify(pattern)}`,
        );
      }
    });
  }
  if (problems.length === 0 && (input as RoleMapping).admins.length === 0) {
    problems.push('roles.admins must name at least one principal, or nobody could change roles again');
  }
  return problems;
}

export function parseRoleMapping(input: unknown): RoleMapping {
  const problems = roleMappingProblems(input);
  if (problems.length > 0) throw new RangeError(problems.join('; '));
  return input as RoleMapping;
}
