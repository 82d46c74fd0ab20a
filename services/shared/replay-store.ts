import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Logger } from 'pino';
import { REPLAY_TABLE } from '../../contracts/replay-table.js';
import type { ReplayGuard, ReplayVerdict } from './sigv4.js';

export interface DynamoReplayStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** A write that takes longer is abandoned and the request refused (fail closed). */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Replay protection shared by every Axon task: one conditional PutItem per accepted signature,
 * keyed by the signature, that succeeds only if no live item holds it. A second use anywhere in the
 * fleet fails the condition (`replayed`); a store that errors or does not answer within `timeoutMs`
 * yields `unavailable`, and Axon refuses the request rather than serve it unprotected. Nothing is
 * held in the task, so memory does not grow with the request rate.
 */
export class DynamoReplayStore implements ReplayGuard {
  private readonly now: () => number;

  constructor(private readonly options: DynamoReplayStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  async remember(signature: string, expiresAt: number): Promise<ReplayVerdict> {
    try {
      await this.options.client.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: {
            [REPLAY_TABLE.partitionKey]: { S: signature },
            [REPLAY_TABLE.expiresAttribute]: { N: String(Math.ceil(expiresAt / 1000)) },
          },
          // TTL deletes lazily (hours to days): an item already past its expiry does not count.
          ConditionExpression: 'attribute_not_exists(#sig) OR #exp < :now',
          ExpressionAttributeNames: {
            '#sig': REPLAY_TABLE.partitionKey,
            '#exp': REPLAY_TABLE.expiresAttribute,
          },
          ExpressionAttributeValues: { ':now': { N: String(Math.floor(this.now() / 1000)) } },
        }),
        { abortSignal: AbortSignal.timeout(this.options.timeoutMs) },
      );
      return 'fresh';
    } catch (err) {
      if (
        err instanceof ConditionalCheckFailedException ||
        (err as { name?: unknown }).name === 'ConditionalCheckFailedException'
      ) {
        return 'replayed';
      }
      this.options.logger.error({ err, table: this.options.tableName }, 'replay store unavailable');
      return 'unavailable';
    }
  }
}
