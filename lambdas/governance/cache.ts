import { type CompiledPolicy, compilePolicy } from './engine/index.js';
import type { PolicyStore } from './store/index.js';

/**
 * The compiled head revision of one policy set, reloaded at most once per TTL. Revisions are
 * immutable, so a reload first asks only for the head's number and recompiles only when it moved.
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
    const head = await this.store.getHeadRevision(this.policySet);
    const cached = this.entry?.policy ?? null;
    let policy: CompiledPolicy | null = null;
    if (head !== undefined && cached?.revision === head) {
      policy = cached;
    } else if (head !== undefined) {
      const revision = await this.store.getRevision(this.policySet, head);
      policy = revision ? compilePolicy(revision.document, revision.revision) : null;
    }
    this.entry = { policy, loadedAt: this.now() };
    return policy;
  }
}
