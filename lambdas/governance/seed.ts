import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import defaultPolicy from '../../governance/policies/default.json' with { type: 'json' };
import { PARTITION_KEY, PolicyStore, RevisionConflictError, SORT_KEY } from './store/index.js';

export interface SeedOptions {
  /** DynamoDB-compatible endpoint, e.g. dynalite's `http://127.0.0.1:4567`. */
  readonly endpoint: string;
  readonly tableName: string;
  /** Defaults to `default`, what the decision handler reads unless `POLICY_SET_NAME` says otherwise. */
  readonly policySet?: string;
  /** Defaults to `governance/policies/default.json`. */
  readonly document?: unknown;
  readonly region?: string;
}

export interface SeedResult {
  /** False when the table already existed. */
  readonly tableCreated: boolean;
  /** The head revision after seeding. */
  readonly headRevision: number;
  /** False when the policy set already had a revision (nothing was written). */
  readonly seeded: boolean;
}

const TABLE_ACTIVE_TIMEOUT_MS = 10_000;

/**
 * For the local platform and tests: creates the policy table on a local DynamoDB endpoint (same keys
 * as the CDK table) and writes revision 1 of the policy set from `default.json`. Idempotent: an
 * existing table or an existing revision is left as it is. Uses fixed local credentials, since a
 * local endpoint checks none; never point it at real AWS.
 */
export async function seedPolicyTable(options: SeedOptions): Promise<SeedResult> {
  const client = new DynamoDBClient({
    endpoint: options.endpoint,
    region: options.region ?? 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const tableCreated = await createPolicyTable(client, options.tableName);
    const store = new PolicyStore({ client, tableName: options.tableName });
    const policySet = options.policySet ?? 'default';
    const head = await store.getHeadRevision(policySet);
    if (head !== undefined) return { tableCreated, headRevision: head, seeded: false };
    try {
      const written = await store.putRevision(policySet, {
        document: options.document ?? defaultPolicy,
        expectedRevision: 0,
        actor: 'seed',
        reason: 'initial policy from governance/policies/default.json',
      });
      return { tableCreated, headRevision: written.revision, seeded: true };
    } catch (error) {
      // A concurrent seeder wrote revision 1 first: the outcome is the same.
      if (error instanceof RevisionConflictError && error.headRevision !== undefined) {
        return { tableCreated, headRevision: error.headRevision, seeded: false };
      }
      throw error;
    }
  } finally {
    client.destroy();
  }
}

/** Creates the policy table if it does not exist and waits until it is active; true if it created it. */
export async function createPolicyTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  let created = true;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: PARTITION_KEY, AttributeType: 'S' },
          { AttributeName: SORT_KEY, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
          { AttributeName: SORT_KEY, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    created = false;
  }
  const deadline = Date.now() + TABLE_ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return created;
    if (Date.now() > deadline) {
      throw new Error(
        `table ${tableName} is still ${Table?.TableStatus} after ${TABLE_ACTIVE_TIMEOUT_MS} ms`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
