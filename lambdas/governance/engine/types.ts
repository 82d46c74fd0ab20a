import type { RuntimeEnvironment as Environment } from '../../../contracts/environments.js';

/** The policy document as `governance/policies/schema.json` describes it (after validation). */
export interface PolicyDocument {
  readonly $schema?: string;
  readonly version: 1;
  readonly description?: string;
  readonly statements: readonly Statement[];
}

export type Effect = 'allow' | 'deny';
export type Scalar = string | number | boolean;
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface Statement {
  readonly id: string;
  readonly description?: string;
  readonly effect: Effect;
  /** Service names, or `*` for any service. */
  readonly principals: readonly string[];
  /** Verified caller ids, or `*` for any verified caller; absent: callers do not matter. */
  readonly callers?: readonly string[];
  /** Tenants of the verified caller, or `*` for any tenant; absent: tenants do not matter. */
  readonly tenants?: readonly string[];
  /** Intent globs: `*` as a whole segment matches exactly one segment. */
  readonly actions: readonly string[];
  /** Resource globs; when present, a request without a resource does not match. */
  readonly resources?: readonly string[];
  readonly conditions?: Conditions;
}

export interface Conditions {
  readonly environments?: readonly Environment[];
  readonly timeWindow?: TimeWindow;
  readonly context?: readonly AttributeCondition[];
}

/** UTC, `HH:MM`, half-open [start, end); start after end wraps past midnight. */
export interface TimeWindow {
  readonly start: string;
  readonly end: string;
  readonly days?: readonly Weekday[];
}

export type AttributeCondition =
  | { readonly attribute: string; readonly equals: Scalar }
  | { readonly attribute: string; readonly in: readonly Scalar[] }
  | { readonly attribute: string; readonly prefix: string };

/**
 * One question to the engine. The engine does no validation of its own: callers check `principal`,
 * `action` and `resource` with `requestProblem` (the handler does) before deciding.
 */
export interface DecisionRequest {
  /** The service asking (e.g. orbit). */
  readonly principal: string;
  /** The verified caller on whose behalf the service asks, when there is one. */
  readonly caller?: string;
  readonly tenant?: string;
  readonly action: string;
  readonly resource?: string;
  readonly environment: Environment;
  /** Epoch milliseconds; time windows are evaluated in UTC. */
  readonly time: number;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

export interface Decision {
  readonly allowed: boolean;
  /** Human-readable: "allowed by statement X", "denied by statement X", "no statement allows orbit:reason:deep". */
  readonly reason: string;
  /** The deciding statement; absent when nothing matched (default deny). */
  readonly statementId?: string;
  readonly policyRevision: number | null;
}

/** A decision, and whether the request's time could change it (see `CompiledPolicy.evaluate`). */
export interface Evaluation {
  readonly decision: Decision;
  readonly dependsOnTime: boolean;
}

/** Why one statement did or did not match a request. */
export interface StatementTrace {
  readonly id: string;
  readonly effect: Effect;
  readonly matched: boolean;
  /** "matched", or the first clause that failed, e.g. "principal axon is not one of orbit". */
  readonly reason: string;
}

export interface Explanation extends Decision {
  /** Every statement of the document, in document order. */
  readonly statements: readonly StatementTrace[];
}

export {
  RUNTIME_ENVIRONMENTS as ENVIRONMENTS,
  type RuntimeEnvironment as Environment,
} from '../../../contracts/environments.js';
