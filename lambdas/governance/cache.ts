import { type CompiledPolicy, compilePolicy } from './engine/index.js';
import type { PolicyStore } from './store/index.js';

/**
 * The compiled head revision of one policy set, reloaded at most once per TTL. Revisions are
 * immutable, so once a head is cached a reload asks only for the head's number and fetches and
 * recompiles only when it moved.
 * Load errors are not cached: the next call tries the store again.
 */
export class CompiledHeadCache {
  private entry: { readonly policy: CompiledPolicy | null; readonly loadedAt: number } | undefined;
  private loading: Promise<CompiledPolicy | null> | undefined;

  constructor(
    private readonly store: PolicyStore,
    private readonly policySet: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The compiled head, or null when the policy set has no revision. Concurrent callers share one load. */
  async current(): Promise<CompiledPolicy | null> {
    if (this.entry && this.now() - this.entry.loadedAt < this.ttlMs) return this.entry.policy;
    this.loading ??= this.reload().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async reload(): Promise<CompiledPolicy | null> {
    const cached = this.entry?.policy ?? null;
    let policy: CompiledPolicy | null;
    if (cached === null) {
      // Nothing to compare with: fetch the head and its document in one read.
      const head = await this.store.getHead(this.policySet);
      policy = head ? compilePolicy(head.document, head.revision) : null;
    } else {
      const head = await this.store.getHeadRevision(this.policySet);
      if (head === cached.revision) policy = cached;
      else if (head === undefined) policy = null;
      else {
        const revision = await this.store.getRevision(this.policySet, head);
        policy = revision ? compilePolicy(revision.document, revision.revision) : null;
      }
    }
    this.entry = { policy, loadedAt: this.now() };
    return policy;
  }
}
