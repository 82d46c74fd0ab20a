import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createPolicyTable } from '../../lambdas/governance/seed.js';
import { type LocalDynamo, startDynamo } from '../../local/dynamo.js';

export type { LocalDynamo };

/** The local platform's dynalite on a random free loopback port, tables active immediately. */
export function startDynalite(): Promise<LocalDynamo> {
  return startDynamo(0);
}

export interface LocalPolicyTable {
  readonly dynamo: LocalDynamo;
  /** A client of that dynalite; the caller destroys it. */
  readonly client: DynamoDBClient;
}

/** A fresh dynalite holding an empty policy table named `tableName`, and a client of it. */
export async function startPolicyTable(tableName: string): Promise<LocalPolicyTable> {
  const dynamo = await startDynalite();
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await createPolicyTable(client, tableName);
  return { dynamo, client };
}
