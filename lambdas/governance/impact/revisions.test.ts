import { describe, expect, it, jest } from '@jest/globals';
import { parsePolicy } from '../engine/index.js';
import { RevisionCache, type RevisionSource } from './revisions.js';

const document = parsePolicy({
  version: 1,
  statements: [{ id: 'orbit-reasons', effect: 'allow', principals: ['orbit'], actions: ['reason:*'] }],
});

function source(revision: RevisionSource['revision']): RevisionSource & { revision: jest.Mock } {
  return {
    revision: jest.fn(revision),
    head: async () => ({ revision: 7, document }),
  } as RevisionSource & { revision: jest.Mock };
}

describe('RevisionCache', () => {
  it('fetches and compiles a revision once for every record that asks before it arrives', async () => {
    const store = source(async () => document);
    const cache = new RevisionCache(store);
    const resolved = await Promise.all(Array.from({ length: 50 }, () => cache.resolve('default', 3)));
    expect(store.revision).toHaveBeenCalledTimes(1);
    expect(new Set(resolved).size).toBe(1);
    expect(resolved[0]).toMatchObject({ own: true });
    expect(cache.peek('default', 3)).toBe(resolved[0]);
    await cache.resolve('default', 3);
    expect(store.revision).toHaveBeenCalledTimes(1);
  });

  it('tries a failed fetch again on the next ask', async () => {
    let calls = 0;
    const store = source(async () => {
      calls++;
      if (calls === 1) throw new Error('throttled');
      return document;
    });
    const cache = new RevisionCache(store);
    await expect(Promise.all([cache.resolve('default', 3), cache.resolve('default', 3)])).rejects.toThrow(
      'throttled',
    );
    expect(store.revision).toHaveBeenCalledTimes(1);
    await expect(cache.resolve('default', 3)).resolves.toMatchObject({ own: true });
    expect(store.revision).toHaveBeenCalledTimes(2);
  });

  it('falls back to the head for a revision the store does not have, fetching the head once', async () => {
    const store = source(async () => undefined);
    const head = jest.spyOn(store, 'head');
    const cache = new RevisionCache(store);
    const [a, b] = await Promise.all([cache.resolve('default', 1), cache.resolve('default', 2)]);
    expect(a).toMatchObject({ own: false });
    expect(b).toMatchObject({ own: false });
    expect(head).toHaveBeenCalledTimes(1);
  });

  it('tries a failed head fetch again on the next ask', async () => {
    const store = source(async () => undefined);
    const head = jest
      .spyOn(store, 'head')
      .mockRejectedValueOnce(new Error('throttled'))
      .mockResolvedValue({ revision: 7, document });
    const cache = new RevisionCache(store);
    await expect(cache.resolve('default', 1)).rejects.toThrow('throttled');
    await expect(cache.resolve('default', 1)).resolves.toMatchObject({ own: false });
    expect(head).toHaveBeenCalledTimes(2);
  });
});
