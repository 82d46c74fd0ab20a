import { describe, expect, it } from '@jest/globals';
import { VerificationKeyStore } from '../../services/shared/keys.js';
import type { SecretSource, SecretVersion } from '../../services/shared/secrets.js';
import { memoryLogger, newKey } from '../support/services.js';

/** A key set that changes when the test says so, counting reads. */
function source(initial: Record<string, string>) {
  let keys = initial;
  let reads = 0;
  const src: SecretSource = {
    async getSecretValue(): Promise<SecretVersion> {
      reads++;
      return { versionId: `v${reads}`, secretString: JSON.stringify({ keys }) };
    },
  };
  return {
    src,
    reads: () => reads,
    publish: (next: Record<string, string>) => {
      keys = next;
    },
  };
}

// Found by the secret-rotation scenario: a timer refresh used to reset the unknown-key throttle, so a
// key Orbit started signing with just after Axon's timer ran was rejected until the next timer tick.
describe('VerificationKeyStore unknown-key refresh', () => {
  const old = newKey();
  const rotated = newKey();
  const { logger } = memoryLogger('axon');

  it('looks up a key published after a recent timer refresh', async () => {
    let now = 1_000_000;
    const s = source({ [old.keyId]: old.secret });
    const store = new VerificationKeyStore({
      source: s.src,
      secretId: 'axon/verification-keys',
      refreshMs: 60_000,
      unknownKeyRefreshMs: 5_000,
      logger,
      now: () => now,
    });
    await store.refresh(); // what the timer does
    s.publish({ [rotated.keyId]: rotated.secret, [old.keyId]: old.secret });
    now += 100;
    expect(await store.refreshFor(rotated.keyId)).toBe(rotated.secret);
  });

  it('still refreshes at most once per interval for ids that stay unknown', async () => {
    let now = 1_000_000;
    const s = source({ [old.keyId]: old.secret });
    const store = new VerificationKeyStore({
      source: s.src,
      secretId: 'axon/verification-keys',
      refreshMs: 60_000,
      unknownKeyRefreshMs: 5_000,
      logger,
      now: () => now,
    });
    await store.refresh();
    const before = s.reads();
    for (let i = 0; i < 50; i++) {
      expect(await store.refreshFor(`forged-${i}`)).toBeUndefined();
      now += 10;
    }
    expect(s.reads() - before).toBe(1);
    now += 5_000;
    await store.refreshFor('forged-late');
    expect(s.reads() - before).toBe(2);
  });

  it('lets concurrent requests for a new key share one refresh', async () => {
    const s = source({ [old.keyId]: old.secret });
    const store = new VerificationKeyStore({
      source: s.src,
      secretId: 'axon/verification-keys',
      refreshMs: 60_000,
      unknownKeyRefreshMs: 5_000,
      logger,
    });
    await store.refresh();
    s.publish({ [rotated.keyId]: rotated.secret });
    const before = s.reads();
    const found = await Promise.all(Array.from({ length: 20 }, () => store.refreshFor(rotated.keyId)));
    expect(found.every((k) => k === rotated.secret)).toBe(true);
    expect(s.reads() - before).toBe(1);
  });
});
