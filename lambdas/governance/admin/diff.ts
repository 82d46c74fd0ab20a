import type { Statement } from '../engine/index.js';
import { canonicalJson, type DiffSummary, diffOf, type PolicyRevision } from '../store/index.js';

export interface RevisionDiff extends DiffSummary {
  readonly policySet: string;
  readonly from: number;
  readonly to: number;
  /** Equal content (e.g. a rollback and the revision it restored). */
  readonly identical: boolean;
  /** For each changed statement, the fields that differ, e.g. `{ "orbit-reasons": ["actions"] }`. */
  readonly fields: Readonly<Record<string, readonly string[]>>;
  /** Statement ids present in both revisions whose position changed (first match decides among allows). */
  readonly reordered: readonly string[];
}

const STATEMENT_FIELDS = [
  'description',
  'effect',
  'principals',
  'actions',
  'resources',
  'conditions',
] as const;

/** The store's statement-level summary between any two revisions, plus which fields of each changed statement differ. */
export function detailedDiff(from: PolicyRevision, to: PolicyRevision): RevisionDiff {
  const summary = diffOf(from.document.statements, to.document.statements);
  const before = new Map(from.document.statements.map((s) => [s.id, s]));
  const fields: Record<string, string[]> = {};
  for (const s of to.document.statements) {
    const old = before.get(s.id);
    if (old && summary.changed.includes(s.id)) fields[s.id] = changedFields(old, s);
  }
  const common = (statements: readonly Statement[], other: Map<string, unknown>) =>
    statements.filter((s) => other.has(s.id)).map((s) => s.id);
  const after = new Map(to.document.statements.map((s) => [s.id, s]));
  const oldOrder = common(from.document.statements, after);
  const newOrder = common(to.document.statements, before);
  return {
    policySet: from.policySet,
    from: from.revision,
    to: to.revision,
    identical: from.digest === to.digest,
    ...summary,
    fields,
    reordered: newOrder.filter((id, i) => oldOrder[i] !== id),
  };
}

function changedFields(a: Statement, b: Statement): string[] {
  return STATEMENT_FIELDS.filter((f) => canonicalJson(a[f]) !== canonicalJson(b[f]));
}
