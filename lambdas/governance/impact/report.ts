import type { SkipKind } from './record.js';

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
