import { createServer, type Server } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createReplayTable } from '../../local/replay-table.js';
import { type LocalDynamo, startDynalite } from '../../test/support/dynalite.js';
import { memoryLogger } from '../../test/support/services.js';
import { DynamoReplayStore } from './replay-store.js';

const TABLE = 'replay';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let dynamo: LocalDynamo;
const clients: DynamoDBClient[] = [];

function client(endpoint: string): DynamoDBClient {
  const c = new DynamoDBClient({ endpoint, region: 'local', credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
}

/** One Axon task's store: its own client (own connections), the shared table. */
function task(endpoint = dynamo.endpoint, now = () => Date.now(), timeoutMs = 2_000) {
  return new DynamoReplayStore({
    client: client(endpoint),
    tableName: TABLE,
    timeoutMs,
    logger: memoryLogger('axon').logger,
    now,
  });
}

const sig = (n: number) => n.toString(16).padStart(64, '0');

beforeAll(async () => {
  dynamo = await startDynalite();
  await createReplayTable(client(dynamo.endpoint), TABLE);
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await dynamo.close();
});

describe('DynamoReplayStore', () => {
  it('accepts a signature once across tasks: the second task sees the first task’s write', async () => {
    const [a, b] = [task(), task()];
    const expires = Date.now() + 300_000;
    await expect(a.remember(sig(1), expires)).resolves.toBe('fresh');
    await expect(b.remember(sig(1), expires)).resolves.toBe('replayed');
    await expect(a.remember(sig(1), expires)).resolves.toBe('replayed');
    await expect(b.remember(sig(2), expires)).resolves.toBe('fresh');
  });

  it('lets a signature whose item has expired be recorded again (TTL deletes late)', async () => {
    let now = Date.now();
    const store = task(dynamo.endpoint, () => now);
    await expect(store.remember(sig(3), now + 1_000)).resolves.toBe('fresh');
    await expect(store.remember(sig(3), now + 1_000)).resolves.toBe('replayed');
    now += 3_000;
    await expect(store.remember(sig(3), now + 1_000)).resolves.toBe('fresh');
  });

  it('answers unavailable, not fresh, when the store is unreachable', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    await expect(task(`http://127.0.0.1:${closed}`).remember(sig(4), Date.now() + 1_000)).resolves.toBe(
      'unavailable',
    );
  });

  it('answers unavailable when the store does not answer within the timeout', async () => {
    const sockets: import('node:net').Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const store = task(`http://127.0.0.1:${port}`, Date.now, 100);
      await expect(store.remember(sig(5), Date.now() + 1_000)).resolves.toBe('unavailable');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
