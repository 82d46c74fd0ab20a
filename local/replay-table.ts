import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { REPLAY_TABLE } from '../contracts/replay-table.js';

/**
 * Creates the replay table on the local DynamoDB (dynalite) as CDK defines it in AWS: on-demand,
 * partition key `signature`, TTL on `expiresAt`. Idempotent.
 */
export async function createReplayTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: REPLAY_TABLE.partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: REPLAY_TABLE.partitionKey, KeyType: 'HASH' }],
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  await client
    .send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: REPLAY_TABLE.expiresAttribute, Enabled: true },
      }),
    )
    .catch((err: unknown) => {
      // dynalite does not implement TTL; the write condition ignores expired items anyway.
      if ((err as { name?: string }).name !== 'UnknownOperationException') throw err;
    });
}

/** Runs `work` with a client for the local DynamoDB, closed afterwards. */
export async function withLocalDynamo<T>(
  endpoint: string,
  region: string,
  work: (client: DynamoDBClient) => Promise<T>,
): Promise<T> {
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    return await work(client);
  } finally {
    client.destroy();
  }
}
