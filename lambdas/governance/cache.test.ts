import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type LocalDynamo, startDynalite } from '../../test/support/dynalite.js';
import { CompiledHeadCache } from './cache.js';
import type { Statement } from './engine/index.js';
import { createPolicyTable } from './seed.js';
import { PolicyStore } from './store/index.js';

const TABLE = 'cache-policies';
let dynamo: LocalDynamo;
let client: DynamoDBClient;

beforeAll(async () => {
  dynamo = await startDynalite();
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createPolicyTable(client, TABLE);
});

afterAll(async () => {
  client.destroy();
  await dynamo.close();
});

const allow = (id: string): Statement => ({
  id,
  effect: 'allow',
  principals: ['orbit'],
  actions: ['reason:*'],
});

describe('CompiledHeadCache', () => {
  it('loads once per TTL, shares a load between concurrent callers, and refetches only a moved head', async () => {
    const store = new PolicyStore({ client, tableName: TABLE });
    const writer = new PolicyStore({ client, tableName: TABLE });
    await writer.putRevision('cached', {
      document: { version: 1, statements: [allow('a')] },
      expectedRevision: 0,
      actor: 't',
      reason: 'r',
    });
    const reads = {
      head: jest.spyOn(store, 'getHead'),
      number: jest.spyOn(store, 'getHeadRevision'),
      revision: jest.spyOn(store, 'getRevision'),
    };
    const counts = () => [
      reads.head.mock.calls.length,
      reads.number.mock.calls.length,
      reads.revision.mock.calls.length,
    ];
    let now = 0;
    const cache = new CompiledHeadCache(store, 'cached', 1_000, () => now);

    const [first, second] = await Promise.all([cache.current(), cache.current()]);
    expect(first?.revision).toBe(1);
    expect(second).toBe(first);
    expect(counts()).toEqual([1, 0, 0]);

    now = 999;
    expect(await cache.current()).toBe(first);
    expect(counts()).toEqual([1, 0, 0]);

    now = 1_000;
    expect(await cache.current()).toBe(first);
    expect(counts()).toEqual([1, 1, 0]);

    await writer.putRevision('cached', {
      document: { version: 1, statements: [allow('b')] },
      expectedRevision: 1,
      actor: 't',
      reason: 'r',
    });
    now = 2_000;
    const moved = await cache.current();
    expect(moved?.revision).toBe(2);
    expect(moved?.statementIds).toEqual(['b']);
    expect(counts()).toEqual([1, 2, 1]);
  });

  it('caches the absence of a policy set for the TTL', async () => {
    const store = new PolicyStore({ client, tableName: TABLE });
    const head = jest.spyOn(store, 'getHead');
    const cache = new CompiledHeadCache(store, 'absent', 100, () => 0);
    expect(await cache.current()).toBeNull();
    expect(await cache.current()).toBeNull();
    expect(head).toHaveBeenCalledTimes(1);
  });

  it('does not cache a failed load: the next call asks the store again', async () => {
    const store = new PolicyStore({ client, tableName: TABLE });
    const head = jest.spyOn(store, 'getHead').mockRejectedValueOnce(new Error('network down'));
    const cache = new CompiledHeadCache(store, 'absent', 100, () => 0);
    await expect(cache.current()).rejects.toThrow('network down');
    expect(await cache.current()).toBeNull();
    expect(head).toHaveBeenCalledTimes(2);
  });
});
