import { type CompiledPolicy, compilePolicy, type PolicyDocument } from '../engine/index.js';
import type { PolicyStore } from '../store/index.js';

/** Where replay finds the revisions decisions were recorded under: the store, or the admin API. */
export interface RevisionSource {
  /** The revision, or undefined when the policy set has no such revision. */
  revision(policySet: string, revision: number): Promise<PolicyDocument | undefined>;
  /** The head, or undefined when the policy set has no revision at all. */
  head(
    policySet: string,
  ): Promise<{ readonly revision: number; readonly document: PolicyDocument } | undefined>;
}

/** A compiled revision, or why there is none. */
export type Resolved =
  | { readonly policy: CompiledPolicy; readonly document: PolicyDocument; readonly own: boolean }
  | { readonly missing: 'unknown-policy-set' };

/** A window rarely spans more than a few revisions; this bounds memory if one spans thousands. */
const MAX_CACHED = 256;

/**
 * Compiled revisions by policy set and number, each fetched and compiled once per run. A revision
 * the store does not have falls back to the set's head (`own: false`); a set without any revision
 * resolves to `missing`.
 */
export class RevisionCache {
  private readonly entries = new Map<string, Resolved>();
  private readonly heads = new Map<string, Promise<Resolved>>();
  private readonly pending = new Map<string, Promise<Resolved>>();

  constructor(private readonly source: RevisionSource) {}

  /** The last resolution `peek` found: consecutive decisions nearly always share their revision. */
  private last: { policySet: string; revision: number; resolved: Resolved } | undefined;

  /** The cached resolution, without waiting: replay's fast path. */
  peek(policySet: string, revision: number): Resolved | undefined {
    const last = this.last;
    if (last !== undefined && last.revision === revision && last.policySet === policySet)
      return last.resolved;
    const resolved = this.entries.get(`${policySet}#${revision}`);
    if (resolved) this.last = { policySet, revision, resolved };
    return resolved;
  }

  /**
   * The revision, fetched and compiled once however many records ask for it before it arrives (a
   * caller that did not wait for one line before the next compiled it once per record, and ran a
   * 1,000-statement policy out of heap); a fetch that fails is tried again by the next record.
   */
  resolve(policySet: string, revision: number): Promise<Resolved> {
    const key = `${policySet}#${revision}`;
    const cached = this.entries.get(key);
    if (cached) return Promise.resolve(cached);
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.fetch(policySet, revision)
        .finally(() => this.pending.delete(key))
        .then((resolved) => {
          if (this.entries.size >= MAX_CACHED) {
            this.entries.clear();
            this.last = undefined;
          }
          this.entries.set(key, resolved);
          return resolved;
        });
      this.pending.set(key, pending);
    }
    return pending;
  }

  private async fetch(policySet: string, revision: number): Promise<Resolved> {
    const document = await this.source.revision(policySet, revision);
    return document
      ? { policy: compilePolicy(document, revision), document, own: true }
      : await this.head(policySet);
  }

  private head(policySet: string): Promise<Resolved> {
    let head = this.heads.get(policySet);
    if (!head) {
      head = this.source.head(policySet).then(
        (found): Resolved => {
          if (!found) return { missing: 'unknown-policy-set' };
          return {
            policy: compilePolicy(found.document, found.revision),
            document: found.document,
            own: false,
          };
        },
        // Like a revision's, a failed head fetch is tried again by the next ask, not remembered.
        (error: unknown) => {
          this.heads.delete(policySet);
          throw error;
        },
      );
      this.heads.set(policySet, head);
    }
    return head;
  }
}

/** Revisions straight from the policy store; a malformed policy set name in a log is just unknown. */
export function storeRevisions(store: PolicyStore): RevisionSource {
  const guarded = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      if (error instanceof RangeError) return undefined;
      throw error;
    }
  };
  return {
    revision: async (policySet, revision) =>
      (await guarded(() => store.getRevision(policySet, revision)))?.document,
    head: async (policySet) => {
      const head = await guarded(() => store.getHead(policySet));
      return head && { revision: head.revision, document: head.document };
    },
  };
}
