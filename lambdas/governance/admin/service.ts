import { type Role, type RoleMapping, roleMappingProblems } from '../../../contracts/admin-roles.js';
import { type ImpactRecord, sinceMs, type WindowImpact } from '../../../contracts/impact.js';
import {
  type AskedRequest,
  compilePolicy,
  type DecisionRequest,
  decisionRequestOf,
  type Explanation,
  type PolicyDocument,
  type PolicyTestSuite,
  PolicyValidationError,
  parsePolicy,
} from '../engine/index.js';
import {
  type PolicyRevision,
  type PolicyStore,
  RevisionConflictError,
  type RevisionMetadata,
  type RevisionPage,
} from '../store/index.js';
import { detailedDiff, type RevisionDiff } from './diff.js';
import { type Catalog, checkDocument } from './document-checks.js';
import { AdminError } from './errors.js';
import type { ImpactGate } from './impact-gate.js';
import { RoleConflictError, type RoleStore, type StoredRoleMapping } from './role-store.js';
import { atLeast, roleOf } from './roles.js';
import { checkTestSuite, runSuite, type TestOutcome } from './test-suite.js';

/** The operations of the admin API. `policySet` defaults to `default`. */
export type AdminRequest =
  | { readonly operation: 'whoami' }
  | { readonly operation: 'validate'; readonly document: unknown; readonly tests?: unknown }
  | {
      readonly operation: 'dry-run';
      readonly policySet?: string;
      /** The candidate; the head when omitted. */
      readonly document?: unknown;
      readonly tests?: unknown;
      readonly requests?: readonly AskedRequest[];
      /** Replay the recorded decisions of a window (`since`: `24h`; the configured window when omitted). */
      readonly impact?: { readonly since?: string };
    }
  | { readonly operation: 'get'; readonly policySet?: string; readonly revision?: number }
  | {
      readonly operation: 'list';
      readonly policySet?: string;
      readonly limit?: number;
      readonly before?: number;
    }
  | { readonly operation: 'diff'; readonly policySet?: string; readonly from: number; readonly to: number }
  | {
      readonly operation: 'put';
      readonly policySet?: string;
      readonly document: unknown;
      readonly tests?: unknown;
      readonly expectedRevision: number;
      readonly reason: string;
      /** Publish even though the candidate flips more recorded decisions than the threshold. */
      readonly acceptImpact?: boolean;
    }
  | {
      readonly operation: 'rollback';
      readonly policySet?: string;
      readonly toRevision: number;
      readonly expectedRevision: number;
      readonly reason: string;
    }
  | { readonly operation: 'get-roles' }
  | {
      readonly operation: 'put-roles';
      readonly roles: unknown;
      readonly expectedRevision: number;
      readonly reason: string;
    };

export type Operation = AdminRequest['operation'];

/** The weakest role each operation needs: viewers read, editors put, admins roll back and manage roles. */
export const REQUIRED_ROLE: Readonly<Record<Operation, Role | 'anyone'>> = {
  whoami: 'anyone',
  validate: 'viewer',
  'dry-run': 'viewer',
  get: 'viewer',
  list: 'viewer',
  diff: 'viewer',
  'get-roles': 'viewer',
  put: 'editor',
  rollback: 'admin',
  'put-roles': 'admin',
};

export interface ValidationReport {
  readonly valid: true;
  readonly statementCount: number;
  readonly bytes: number;
  readonly tests?: TestOutcome;
}

export interface DryRunReport extends ValidationReport {
  readonly basedOn: number | null;
  readonly decisions: readonly Explanation[];
  /** Present when the dry run asked for it. */
  readonly impact?: WindowImpact;
}

export interface AdminServiceOptions {
  readonly store: PolicyStore;
  readonly roles: RoleStore;
  /** The mapping in force until an admin stores one (revision 0). */
  readonly configuredRoles: RoleMapping;
  readonly catalog?: Catalog;
  readonly now?: () => number;
  /**
   * The caller reached the table directly (the CLI with table credentials): IAM on the table is then
   * the only gate, so role mappings are not consulted and the caller acts as admin.
   */
  readonly directAccess?: boolean;
  /** Replays recorded decisions for dry runs, and gates puts whose flips exceed its threshold. */
  readonly impact?: ImpactGate;
}

const DEFAULT_POLICY_SET = 'default';
const MAX_DRY_RUN_REQUESTS = 1000;

/**
 * The admin side of governance: every operation checks the caller's role, validates its input
 * completely, and writes only through the store's conditional put, so revisions are never
 * overwritten, updated or deleted. Transport-free: the Lambda handler and the CLI both call `execute`.
 */
export class AdminService {
  private readonly now: () => number;

  constructor(private readonly options: AdminServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  async execute(caller: string, request: AdminRequest): Promise<unknown> {
    const operation = (request as { operation?: unknown } | null)?.operation;
    // Own properties only: "toString" or "constructor" must not pass as operations.
    const required = Object.hasOwn(REQUIRED_ROLE, String(operation))
      ? REQUIRED_ROLE[operation as Operation]
      : undefined;
    if (typeof operation !== 'string' || required === undefined) {
      throw new AdminError(
        'bad-request',
        `operation must be one of ${Object.keys(REQUIRED_ROLE).join(', ')}, got ${JSON.stringify(operation)}`,
      );
    }
    const role = this.options.directAccess ? 'admin' : roleOf((await this.mapping()).mapping, caller);
    if (required !== 'anyone' && !atLeast(role, required)) {
      throw new AdminError(
        'forbidden',
        `${operation} needs the ${required} role; ${caller} has ${role ? `only ${role}` : 'no role'}`,
        { role: role ?? null, required },
      );
    }
    try {
      return await this.run(caller, role, request);
    } catch (error) {
      throw translate(error);
    }
  }

  private async run(caller: string, role: Role | undefined, request: AdminRequest): Promise<unknown> {
    switch (request.operation) {
      case 'whoami':
        return { principal: caller, role: role ?? null };
      case 'validate':
        return this.validate(request.document, request.tests);
      case 'dry-run':
        return this.dryRun(request);
      case 'get':
        return this.get(policySetOf(request), request.revision);
      case 'list':
        return this.list(policySetOf(request), request.limit, request.before);
      case 'diff':
        return this.diff(policySetOf(request), request.from, request.to);
      case 'put':
        return this.put(caller, request);
      case 'rollback':
        return this.rollback(caller, request);
      case 'get-roles':
        return this.mapping();
      case 'put-roles':
        return this.putRoles(caller, request);
    }
  }

  /** Document checks, then the candidate's own tests; throws `invalid-policy` or `tests-failed`. */
  validate(document: unknown, tests: unknown): ValidationReport {
    return validateCandidate(document, tests, this.options.catalog);
  }

  private async dryRun(request: Extract<AdminRequest, { operation: 'dry-run' }>): Promise<DryRunReport> {
    const requests = request.requests ?? [];
    if (!Array.isArray(requests) || requests.length > MAX_DRY_RUN_REQUESTS) {
      throw new AdminError(
        'bad-request',
        `requests must be an array of at most ${MAX_DRY_RUN_REQUESTS} requests`,
      );
    }
    let document: unknown = request.document;
    let basedOn: number | null = null;
    if (document === undefined) {
      const head = await this.revision(policySetOf(request), undefined);
      document = head.document;
      basedOn = head.revision;
    }
    const report = this.validate(document, request.tests);
    const policy = compilePolicy(document as PolicyDocument, basedOn);
    const decisions = requests.map((r, i) =>
      policy.explain(toDecisionRequest(r, `requests[${i}]`, this.now())),
    );
    if (request.impact === undefined) return { ...report, basedOn, decisions };
    const impact = await this.gate().measure(parsePolicy(document), impactWindow(request.impact));
    return { ...report, basedOn, decisions, impact };
  }

  private gate(): ImpactGate {
    if (!this.options.impact) {
      throw new AdminError(
        'bad-request',
        'impact is not available here: no decision log is configured to replay (the admin function reads its decision function log group)',
      );
    }
    return this.options.impact;
  }

  private async revision(policySet: string, revision: number | undefined): Promise<PolicyRevision> {
    if (revision !== undefined) checkRevisionNumber('revision', revision);
    const found =
      revision === undefined
        ? await this.options.store.getHead(policySet)
        : await this.options.store.getRevision(policySet, revision);
    if (!found) {
      throw new AdminError(
        'not-found',
        revision === undefined
          ? `policy set ${policySet} has no revisions`
          : `policy set ${policySet} has no revision ${revision}`,
      );
    }
    return found;
  }

  private get(policySet: string, revision: number | undefined): Promise<PolicyRevision> {
    return this.revision(policySet, revision);
  }

  private list(
    policySet: string,
    limit: number | undefined,
    before: number | undefined,
  ): Promise<RevisionPage> {
    return this.options.store.listRevisions(policySet, { limit, before });
  }

  private async diff(policySet: string, from: number, to: number): Promise<RevisionDiff> {
    const [a, b] = await Promise.all([this.revision(policySet, from), this.revision(policySet, to)]);
    return detailedDiff(a, b);
  }

  private async put(caller: string, request: Extract<AdminRequest, { operation: 'put' }>) {
    checkReason(request.reason);
    checkRevisionNumber('expectedRevision', request.expectedRevision, 0);
    if (request.acceptImpact !== undefined && typeof request.acceptImpact !== 'boolean') {
      throw new AdminError(
        'bad-request',
        `acceptImpact must be true or false, got ${JSON.stringify(request.acceptImpact)}`,
      );
    }
    const report = this.validate(request.document, request.tests);
    const impact: ImpactRecord | undefined = await this.options.impact?.check(
      parsePolicy(request.document),
      caller,
      request.acceptImpact === true,
    );
    const written = await this.options.store.putRevision(policySetOf(request), {
      document: request.document,
      expectedRevision: request.expectedRevision,
      actor: caller,
      reason: request.reason,
      impact,
    });
    return { revision: metadataOf(written), tests: report.tests };
  }

  /** A rollback appends a new revision whose content equals the old one; history stays intact. */
  private async rollback(caller: string, request: Extract<AdminRequest, { operation: 'rollback' }>) {
    checkReason(request.reason);
    checkRevisionNumber('expectedRevision', request.expectedRevision, 1);
    const policySet = policySetOf(request);
    const target = await this.revision(policySet, request.toRevision);
    const written = await this.options.store.putRevision(policySet, {
      document: target.document,
      expectedRevision: request.expectedRevision,
      actor: caller,
      reason: `rollback to revision ${target.revision}: ${request.reason}`,
    });
    return { revision: metadataOf(written), restored: target.revision };
  }

  private async mapping(): Promise<{ revision: number; mapping: RoleMapping; stored?: StoredRoleMapping }> {
    const stored = await this.options.roles.head();
    return stored
      ? { revision: stored.revision, mapping: stored.roles, stored }
      : { revision: 0, mapping: this.options.configuredRoles };
  }

  private async putRoles(caller: string, request: Extract<AdminRequest, { operation: 'put-roles' }>) {
    checkReason(request.reason);
    checkRevisionNumber('expectedRevision', request.expectedRevision, 0);
    const problems = roleMappingProblems(request.roles);
    if (problems.length > 0)
      throw new AdminError('bad-request', 'the role mapping is invalid', { errors: problems });
    const roles = request.roles as RoleMapping;
    if (!this.options.directAccess && roleOf(roles, caller) !== 'admin') {
      throw new AdminError('bad-request', `the new mapping would remove your own admin role (${caller})`);
    }
    return this.options.roles.put({
      roles,
      expectedRevision: request.expectedRevision,
      actor: caller,
      reason: request.reason,
    });
  }
}

/**
 * Everything a candidate must pass before it is stored: the document checks, then its own tests.
 * Throws `invalid-policy` (malformed document or tests) or `tests-failed`.
 */
export function validateCandidate(document: unknown, tests: unknown, catalog?: Catalog): ValidationReport {
  let suite: PolicyTestSuite | undefined;
  if (tests !== undefined) {
    const checked = checkTestSuite(tests);
    if (!checked.valid) {
      throw new AdminError('invalid-policy', `the candidate's tests are malformed`, {
        errors: checked.errors,
      });
    }
    suite = checked.suite;
  }
  const checked = checkDocument(document, { catalog, tests: suite });
  if (!checked.valid) {
    const n = checked.errors.length;
    throw new AdminError('invalid-policy', `the policy document has ${n} error${n === 1 ? '' : 's'}`, {
      errors: checked.errors,
    });
  }
  const base = {
    valid: true as const,
    statementCount: checked.document.statements.length,
    bytes: checked.bytes,
  };
  if (!suite) return base;
  const outcome = runSuite(checked.document, suite);
  if (outcome.failed > 0) {
    throw new AdminError(
      'tests-failed',
      `${outcome.failed} of ${outcome.results.length} policy tests failed`,
      {
        tests: outcome,
      },
    );
  }
  return { ...base, tests: outcome };
}

/** A dry-run request as the engine's `DecisionRequest`, or a `bad-request` naming what is wrong. */
export function toDecisionRequest(r: AskedRequest, where: string, now: number): DecisionRequest {
  if (r === null || typeof r !== 'object') throw new AdminError('bad-request', `${where} must be an object`);
  const asked = decisionRequestOf(r, now);
  if ('problem' in asked) throw new AdminError('bad-request', `${where}: ${asked.problem}`);
  return asked.request;
}

/** The window a dry run asked for, or undefined for the configured one. */
function impactWindow(impact: unknown): number | undefined {
  const since = (impact as { since?: unknown } | null)?.since;
  if (impact === null || typeof impact !== 'object' || Array.isArray(impact)) {
    throw new AdminError('bad-request', 'impact must be an object such as {"since":"24h"}');
  }
  if (since === undefined) return undefined;
  const ms = sinceMs(since);
  if (ms === undefined) {
    throw new AdminError(
      'bad-request',
      `impact.since must be a duration such as 90m, 24h or 7d (at most 400d), got ${JSON.stringify(since)}`,
    );
  }
  return ms;
}

function policySetOf(request: { readonly policySet?: string }): string {
  return request.policySet ?? DEFAULT_POLICY_SET;
}

function metadataOf(revision: PolicyRevision): RevisionMetadata {
  const { document: _document, ...metadata } = revision;
  return metadata;
}

function checkReason(reason: unknown): void {
  if (typeof reason !== 'string' || reason.trim() === '') {
    throw new AdminError(
      'bad-request',
      'reason is required: say why the change is made (it is kept in the audit trail)',
    );
  }
}

function checkRevisionNumber(field: string, value: unknown, min = 1): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new AdminError(
      'bad-request',
      `${field} must be an integer of at least ${min}, got ${JSON.stringify(value)}`,
    );
  }
}

/** Store and engine errors, in the admin API's terms; anything else is left to the caller (a 5xx). */
function translate(error: unknown): unknown {
  if (error instanceof AdminError) return error;
  if (error instanceof RevisionConflictError) {
    return new AdminError(
      'conflict',
      `${error.message}; nothing was written. Fetch revision ${error.headRevision ?? 0}, reapply your change and retry with expectedRevision ${error.headRevision ?? 0}`,
      { headRevision: error.headRevision ?? null, expectedRevision: error.expectedRevision },
    );
  }
  if (error instanceof RoleConflictError) {
    return new AdminError('conflict', `${error.message}; nothing was written`, {
      headRevision: error.headRevision ?? 0,
      expectedRevision: error.expectedRevision,
    });
  }
  if (error instanceof PolicyValidationError) {
    return new AdminError('invalid-policy', 'the policy document is invalid', { errors: error.errors });
  }
  if (error instanceof RangeError) return new AdminError('bad-request', error.message);
  return error;
}
