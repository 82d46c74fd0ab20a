import type {
  AttributeCondition,
  Conditions,
  Decision,
  DecisionRequest,
  Evaluation,
  Explanation,
  PolicyDocument,
  Statement,
  StatementTrace,
  TimeWindow,
} from './types.js';
import { WEEKDAYS } from './types.js';

/** A parsed glob: `*` segments match exactly one segment; other segments match themselves. */
interface Glob {
  readonly text: string;
  readonly segments: readonly string[];
}

/** One clause of a statement's conditions: a fast test, and the sentence explain mode prints when it fails. */
interface Clause {
  readonly test: (request: DecisionRequest) => boolean;
  readonly failure: (request: DecisionRequest) => string;
}

interface CompiledStatement {
  /** Position in the document: among several matches the first one decides. */
  readonly index: number;
  readonly statement: Statement;
  readonly deny: boolean;
  readonly principals: ReadonlySet<string>;
  /** Undefined when the statement names no callers (any request, with or without one). */
  readonly callers: ReadonlySet<string> | undefined;
  readonly tenants: ReadonlySet<string> | undefined;
  readonly actions: readonly Glob[];
  readonly resources: readonly Glob[] | undefined;
  readonly clauses: readonly Clause[];
  /** Whether a time window is among its conditions. */
  readonly timed: boolean;
}

interface GlobEntry {
  readonly glob: Glob;
  readonly statement: CompiledStatement;
}

/**
 * Statements of one principal (or of `*`), by action. A literal action is a map lookup; a glob is
 * filed under its segment count and first segment (`*` when that is a wildcard), so a lookup tests
 * only globs that can possibly match.
 */
interface ActionIndex {
  readonly exact: Map<string, CompiledStatement[]>;
  readonly globs: Map<string, GlobEntry[]>;
}

const ANY_PRINCIPAL = '*';
/** In `callers`/`tenants`: any verified caller, any tenant (one must be present). */
const ANY_NAME = '*';
/** Index key of statements that name no callers. */
const UNCONSTRAINED = '';
const NO_CALLER_KEYS = [UNCONSTRAINED] as const;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** 1970-01-01 was a Thursday. */
const EPOCH_WEEKDAY = 4;

function parseGlob(text: string): Glob {
  return { text, segments: text.split(':') };
}

function globMatches(glob: Glob, segments: readonly string[]): boolean {
  const pattern = glob.segments;
  if (pattern.length !== segments.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p !== '*' && p !== segments[i]) return false;
  }
  return true;
}

function anyGlobMatches(globs: readonly Glob[], name: string): boolean {
  const segments = name.split(':');
  return globs.some((g) => globMatches(g, segments));
}

function isLiteral(glob: Glob): boolean {
  return !glob.segments.includes('*');
}

function globKey(segmentCount: number, first: string): string {
  return `${segmentCount}:${first}`;
}

/** Minutes since midnight UTC, and the UTC weekday, of an epoch-milliseconds instant. */
export function utcClock(time: number): { minute: number; weekday: (typeof WEEKDAYS)[number] } {
  const minute = ((Math.floor(time / MINUTE_MS) % 1440) + 1440) % 1440;
  const day = (((Math.floor(time / DAY_MS) + EPOCH_WEEKDAY) % 7) + 7) % 7;
  return { minute, weekday: WEEKDAYS[day] ?? 'sun' };
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function hhmm(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function timeClause(window: TimeWindow): Clause {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const days = window.days ? new Set<string>(window.days) : undefined;
  const inWindow = (minute: number) =>
    start < end ? minute >= start && minute < end : minute >= start || minute < end;
  const daysText = window.days ? ` on ${window.days.join(', ')}` : '';
  return {
    test: (r) => {
      const clock = utcClock(r.time);
      return inWindow(clock.minute) && (days === undefined || days.has(clock.weekday));
    },
    failure: (r) => {
      const clock = utcClock(r.time);
      return `time ${clock.weekday} ${hhmm(clock.minute)} UTC is outside ${window.start}-${window.end}${daysText}`;
    },
  };
}

function attributeClause(condition: AttributeCondition): Clause {
  const name = condition.attribute;
  const read = (r: DecisionRequest): { present: boolean; value: unknown } => {
    const attributes = r.attributes;
    if (attributes === undefined || !Object.hasOwn(attributes, name))
      return { present: false, value: undefined };
    return { present: true, value: attributes[name] };
  };
  let test: (value: unknown) => boolean;
  let expectation: string;
  if ('equals' in condition) {
    const expected = condition.equals;
    test = (v) => v === expected;
    expectation = `does not equal ${show(expected)}`;
  } else if ('in' in condition) {
    const expected = condition.in;
    test = (v) => expected.includes(v as never);
    expectation = `is not one of ${expected.map(show).join(', ')}`;
  } else {
    const prefix = condition.prefix;
    test = (v) => typeof v === 'string' && v.startsWith(prefix);
    expectation = `does not start with ${show(prefix)}`;
  }
  return {
    test: (r) => {
      const { present, value } = read(r);
      return present && test(value);
    },
    failure: (r) => {
      const { present, value } = read(r);
      return present ? `context.${name} = ${show(value)} ${expectation}` : `context.${name} is missing`;
    },
  };
}

function conditionClauses(conditions: Conditions | undefined): Clause[] {
  if (!conditions) return [];
  const clauses: Clause[] = [];
  const environments = conditions.environments;
  if (environments) {
    const allowed = new Set<string>(environments);
    clauses.push({
      test: (r) => allowed.has(r.environment),
      failure: (r) => `environment ${r.environment} is not one of ${environments.join(', ')}`,
    });
  }
  if (conditions.timeWindow) clauses.push(timeClause(conditions.timeWindow));
  for (const condition of conditions.context ?? []) clauses.push(attributeClause(condition));
  return clauses;
}

/** Whether a `callers`/`tenants` list admits a request's value (absent list: always). */
function admits(names: ReadonlySet<string> | undefined, value: string | undefined): boolean {
  return names === undefined || (value !== undefined && (names.has(ANY_NAME) || names.has(value)));
}

/** Why a `callers`/`tenants` list refuses a request's value, for explain mode. */
function principalFailure(
  kind: 'caller' | 'tenant',
  names: ReadonlySet<string> | undefined,
  value: string | undefined,
  listed: readonly string[] | undefined,
): string | undefined {
  if (admits(names, value)) return undefined;
  const wanted = listed?.join(', ') ?? '';
  return value === undefined
    ? `request names no ${kind}; statement requires ${wanted}`
    : `${kind} ${value} is not one of ${wanted}`;
}

/** Statements are filed by service and by each caller they name (or `*`, or unconstrained). */
function indexKey(principal: string, caller: string): string {
  return `${principal}\n${caller}`;
}

function compileStatement(statement: Statement, index: number): CompiledStatement {
  return {
    index,
    statement,
    deny: statement.effect === 'deny',
    principals: new Set(statement.principals),
    callers: statement.callers ? new Set(statement.callers) : undefined,
    tenants: statement.tenants ? new Set(statement.tenants) : undefined,
    actions: statement.actions.map(parseGlob),
    resources: statement.resources?.map(parseGlob),
    clauses: conditionClauses(statement.conditions),
    timed: statement.conditions?.timeWindow !== undefined,
  };
}

/** Tenant, resource and conditions: everything the index has not already established. */
function matchesRemainder(s: CompiledStatement, request: DecisionRequest): boolean {
  if (!admits(s.tenants, request.tenant)) return false;
  if (s.resources !== undefined) {
    if (request.resource === undefined || !anyGlobMatches(s.resources, request.resource)) return false;
  }
  for (const clause of s.clauses) if (!clause.test(request)) return false;
  return true;
}

/**
 * The deciding statement so far: the first matching deny, else the first matching allow. Also
 * notes whether any statement it was offered has a time window.
 */
class Selection {
  private deny: CompiledStatement | undefined;
  private allow: CompiledStatement | undefined;
  timed = false;

  constructor(private readonly request: DecisionRequest) {}

  consider(s: CompiledStatement): void {
    if (s.timed) this.timed = true;
    // Skip what cannot change the outcome: a later deny, or any allow once a deny is known.
    if (s.deny ? this.deny !== undefined && this.deny.index <= s.index : this.deny !== undefined) return;
    if (!s.deny && this.allow !== undefined && this.allow.index <= s.index) return;
    if (!matchesRemainder(s, this.request)) return;
    if (s.deny) this.deny = s;
    else this.allow = s;
  }

  deciding(): CompiledStatement | undefined {
    return this.deny ?? this.allow;
  }
}

/** Feeds one principal's candidate statements for an action to the selection; splits the action lazily. */
function collect(
  index: ActionIndex,
  action: string,
  segments: string[] | undefined,
  selection: Selection,
): string[] | undefined {
  const exact = index.exact.get(action);
  if (exact) for (const s of exact) selection.consider(s);
  if (index.globs.size === 0) return segments;
  const parts = segments ?? action.split(':');
  for (const key of [globKey(parts.length, parts[0] ?? ''), globKey(parts.length, '*')]) {
    for (const entry of index.globs.get(key) ?? []) {
      if (globMatches(entry.glob, parts)) selection.consider(entry.statement);
    }
  }
  return parts;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function noMatchReason(request: DecisionRequest): string {
  const on = request.resource === undefined ? '' : ` on ${request.resource}`;
  const tenant = request.tenant === undefined ? '' : ` (tenant ${request.tenant})`;
  const caller = request.caller === undefined ? '' : ` for caller ${request.caller}${tenant}`;
  return `no statement allows ${request.principal}:${request.action}${on}${caller}`;
}

/**
 * A policy document compiled for evaluation. Immutable and free of I/O: build it once per revision
 * and share it across requests.
 */
export class CompiledPolicy {
  readonly revision: number | null;
  readonly statementCount: number;
  /** Statement ids in document order. */
  readonly statementIds: readonly string[];
  private readonly statements: readonly CompiledStatement[];
  private readonly byPrincipal = new Map<string, ActionIndex>();

  constructor(document: PolicyDocument, revision: number | null) {
    this.revision = revision;
    this.statements = document.statements.map(compileStatement);
    this.statementCount = this.statements.length;
    this.statementIds = document.statements.map((s) => s.id);
    for (const s of this.statements) {
      for (const principal of s.principals) {
        for (const caller of s.statement.callers ?? [UNCONSTRAINED]) {
          this.file(s, this.indexFor(indexKey(principal, caller)));
        }
      }
    }
  }

  private indexFor(key: string): ActionIndex {
    let index = this.byPrincipal.get(key);
    if (!index) {
      index = { exact: new Map(), globs: new Map() };
      this.byPrincipal.set(key, index);
    }
    return index;
  }

  /** A statement listing overlapping patterns may be filed twice; evaluation is idempotent. */
  private file(s: CompiledStatement, index: ActionIndex): void {
    for (const glob of s.actions) {
      if (isLiteral(glob)) push(index.exact, glob.text, s);
      else push(index.globs, globKey(glob.segments.length, glob.segments[0] ?? '*'), { glob, statement: s });
    }
  }

  /** Default deny; a matching deny wins over any allow; among matches the first in the document decides. */
  decide(request: DecisionRequest): Decision {
    return this.decision(request, this.select(request).deciding());
  }

  /**
   * The decision, and whether the request's time could change it: whether some statement that may
   * apply to its principal, caller and action has a time window. When not, the decision is the
   * same at any time.
   */
  evaluate(request: DecisionRequest): Evaluation {
    const selection = this.select(request);
    return { decision: this.decision(request, selection.deciding()), dependsOnTime: selection.timed };
  }

  /** Offers a selection every statement the index files under the request's principal, caller and action. */
  private select(request: DecisionRequest): Selection {
    const selection = new Selection(request);
    let segments: string[] | undefined;
    const callers = request.caller === undefined ? NO_CALLER_KEYS : [request.caller, ANY_NAME, UNCONSTRAINED];
    for (const principal of [request.principal, ANY_PRINCIPAL]) {
      for (const caller of callers) {
        const index = this.byPrincipal.get(indexKey(principal, caller));
        if (index) segments = collect(index, request.action, segments, selection);
      }
    }
    return selection;
  }

  /**
   * Evaluates every statement without the index and says, for each, why it matched or which clause
   * failed. Slower than `decide`, and always reaches the same decision.
   */
  explain(request: DecisionRequest): Explanation {
    let deciding: CompiledStatement | undefined;
    const traces: StatementTrace[] = this.statements.map((s) => {
      const reason = this.firstFailure(s, request);
      const matched = reason === undefined;
      if (matched && (deciding === undefined || (s.deny && !deciding.deny))) deciding = s;
      return { id: s.statement.id, effect: s.statement.effect, matched, reason: reason ?? 'matched' };
    });
    return { ...this.decision(request, deciding), statements: traces };
  }

  private firstFailure(s: CompiledStatement, request: DecisionRequest): string | undefined {
    const { statement } = s;
    if (!s.principals.has(request.principal) && !s.principals.has(ANY_PRINCIPAL)) {
      return `principal ${request.principal} is not one of ${statement.principals.join(', ')}`;
    }
    const who = principalFailure('caller', s.callers, request.caller, statement.callers);
    if (who) return who;
    const tenant = principalFailure('tenant', s.tenants, request.tenant, statement.tenants);
    if (tenant) return tenant;
    if (!anyGlobMatches(s.actions, request.action)) {
      return `action ${request.action} matches none of ${statement.actions.join(', ')}`;
    }
    if (s.resources !== undefined) {
      const wanted = statement.resources?.join(', ') ?? '';
      if (request.resource === undefined) return `request names no resource; statement requires ${wanted}`;
      if (!anyGlobMatches(s.resources, request.resource)) {
        return `resource ${request.resource} matches none of ${wanted}`;
      }
    }
    for (const clause of s.clauses) if (!clause.test(request)) return clause.failure(request);
    return undefined;
  }

  private decision(request: DecisionRequest, deciding: CompiledStatement | undefined): Decision {
    const policyRevision = this.revision;
    if (!deciding) return { allowed: false, reason: noMatchReason(request), policyRevision };
    const id = deciding.statement.id;
    return deciding.deny
      ? { allowed: false, reason: `denied by statement ${id}`, statementId: id, policyRevision }
      : { allowed: true, reason: `allowed by statement ${id}`, statementId: id, policyRevision };
  }
}

/** Compiles a validated document (see `parsePolicy`); `revision` is echoed in every decision. */
export function compilePolicy(document: PolicyDocument, revision: number | null): CompiledPolicy {
  return new CompiledPolicy(document, revision);
}
