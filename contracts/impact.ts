/**
 * Policy impact: what replaying recorded decisions against a candidate found. One shape for the
 * CLI (`governance impact`), the admin API's dry run, and the audit entry of a revision whose
 * impact was accepted.
 */

/** Why a log line was not replayed; each kind is counted in the report, none stops the run. */
export type SkipKind =
  /** Not JSON, or a decision line missing a field replay needs. */
  | 'malformed'
  /** A log line of the function that is not a decision (errors, cold start notices). */
  | 'not-a-decision'
  /** The recorded input failed the handler's checks: it was denied before any policy was consulted. */
  | 'invalid-request'
  /** Decided without a policy revision (store unavailable, no policy, internal error). */
  | 'no-revision'
  /** The policy set has no revision in the store, so there is nothing to replay against. */
  | 'unknown-policy-set'
  /** An archive object whose gzip stream ends early or is corrupt; its complete records were still read. */
  | 'truncated-gzip'
  /** An archive object that could not be read at all (permissions, a non-JSON batch). */
  | 'unreadable-object'
  /** A Logs Insights slice that still held 10,000 rows at one second, or failed: rows may be missing. */
  | 'incomplete-window';

export type Effect = 'allow' | 'deny';

/** A decision quoted as evidence: the ids to find it in the logs and the traces. */
export interface Example {
  readonly decisionId: string;
  readonly correlationId?: string;
  readonly time: string;
}

/** Recorded decisions of one caller and intent that the candidate decides the other way, for the same reason. */
export interface FlipGroup {
  readonly caller: string;
  readonly intent: string;
  readonly from: Effect;
  readonly to: Effect;
  /** The statement that decided before, or `null` for "no statement matched" (default deny). */
  readonly fromStatement: string | null;
  readonly toStatement: string | null;
  readonly count: number;
  readonly examples: readonly Example[];
}

/** A recorded decision its own revision no longer reproduces: a bug, or a log that was altered. */
export interface NonReproducing extends Example {
  readonly policySet: string;
  readonly revision: number;
  readonly recorded: { readonly allowed: boolean; readonly statementId: string | null };
  /** What replay gives, or why the recorded input cannot be evaluated at all. */
  readonly replayed:
    | { readonly allowed: boolean; readonly statementId: string | null }
    | { readonly problem: string };
}

export interface ImpactTotals {
  /** Lines (log events) read from the source. */
  readonly lines: number;
  /** Decision records replayed against a baseline and the candidate. */
  readonly replayed: number;
  readonly unchanged: number;
  readonly flips: number;
  readonly allowToDeny: number;
  readonly denyToAllow: number;
  /** Same outcome, decided by a different statement. */
  readonly statementChanged: number;
  readonly nonReproducing: number;
}

/**
 * What each replayed decision was compared with: its own revision (and checked to reproduce), the
 * head because its revision is not in the store, or its recorded result because no store was given.
 */
export interface BaselineCounts {
  readonly ownRevision: number;
  readonly headForUnknownRevision: number;
  readonly recordedResult: number;
}

export interface ImpactReport {
  readonly totals: ImpactTotals;
  readonly baseline: BaselineCounts;
  /** Largest group first. */
  readonly flips: readonly FlipGroup[];
  readonly nonReproducing: readonly NonReproducing[];
  readonly skipped: Readonly<
    Partial<Record<SkipKind, { readonly count: number; readonly examples: readonly string[] }>>
  >;
  /** Fields the decision lines carry that this replay does not know, with how many lines carry each. */
  readonly unknownFields: Readonly<Record<string, number>>;
}

/** Where the replayed decisions came from: a log group and window, an archive, a file. */
export interface DecisionSourceInfo {
  /** e.g. `/aws/lambda/axon-orbit-prod-governance-decide, 2026-12-01T10:00:00.000Z to 2026-12-02T10:00:00.000Z`. */
  readonly source: string;
  /** ISO 8601 bounds of the window (from inclusive, to exclusive); null for a file, replayed whole. */
  readonly from: string | null;
  readonly to: string | null;
}

/** The admin API's dry-run impact: the report and what it was computed over. */
export interface WindowImpact extends ImpactReport, DecisionSourceInfo {}

/**
 * The impact a push was checked against, kept in the revision's audit entry. `acceptedBy` is set
 * when the flips exceeded the threshold and the author published anyway (`--accept-impact`).
 */
export interface ImpactRecord extends DecisionSourceInfo {
  readonly flips: number;
  readonly allowToDeny: number;
  readonly denyToAllow: number;
  readonly replayed: number;
  readonly nonReproducing: number;
  /** The environment's threshold: more flips than this need an explicit acceptance. */
  readonly maxFlips: number;
  readonly acceptedBy?: string;
}

/** A window as `90m`, `24h` or `7d`: how far back the CLI's `--since` and the dry run's `since` reach. */
export const SINCE_PATTERN = /^(\d{1,6})(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** The longest window the decision logs keep in any environment (prod: 400 days archived). */
export const MAX_SINCE_MS = 400 * UNIT_MS.d;

/** Milliseconds of a `since` window, or undefined when it is not one (or exceeds `MAX_SINCE_MS`). */
export function sinceMs(value: unknown): number | undefined {
  const match = typeof value === 'string' ? SINCE_PATTERN.exec(value) : null;
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return ms > 0 && ms <= MAX_SINCE_MS ? ms : undefined;
}
