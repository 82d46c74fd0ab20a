import type { ReplayGuard } from './sigv4.js';

/**
 * Remembers each accepted signature until its request would fail the clock-skew check anyway, so a
 * captured request cannot be replayed inside the window. Entries arrive in roughly time order, so
 * expiry sweeps from the oldest. When full it refuses new requests (fail closed) rather than evict
 * entries that are still inside the window.
 */
export class ReplayCache implements ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly maxEntries = 1_000_000,
    private readonly now: () => number = Date.now,
  ) {}

  remember(signature: string, expiresAt: number): 'fresh' | 'replayed' | 'full' {
    this.sweep();
    const known = this.seen.get(signature);
    if (known !== undefined && known > this.now()) return 'replayed';
    if (this.seen.size >= this.maxEntries) return 'full';
    this.seen.set(signature, expiresAt);
    return 'fresh';
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(): void {
    const now = this.now();
    let budget = 64;
    for (const [signature, expiresAt] of this.seen) {
      if (expiresAt > now || budget-- === 0) break;
      this.seen.delete(signature);
    }
  }
}
