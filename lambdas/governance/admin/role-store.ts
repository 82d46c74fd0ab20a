import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { parseRoleMapping, type RoleMapping } from '../../../contracts/admin-roles.js';
import { revisionKey } from '../store/index.js';

/** Role mappings live in the policy table under their own partition, append-only like policy sets. */
export const ROLES_PARTITION = 'ADMIN#ROLES';

export interface StoredRoleMapping {
  readonly revision: number;
  readonly parentRevision: number | null;
  readonly actor: string;
  readonly reason: string;
  readonly createdAt: string;
  readonly roles: RoleMapping;
}

export class RoleConflictError extends Error {
  constructor(
    readonly expectedRevision: number,
    readonly headRevision: number | undefined,
  ) {
    super(
      `role mapping: expected head revision ${expectedRevision}, but the head is ${headRevision ?? 'absent'}`,
    );
    this.name = 'RoleConflictError';
  }
}

/**
 * Versioned role mappings. Until an admin writes one, the mapping from configuration applies
 * (revision 0); afterwards the newest stored revision does. Same optimistic lock as the policy
 * store: revision n+1 is a conditional put that only one writer can win.
 */
export class RoleStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async head(): Promise<StoredRoleMapping | undefined> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :rev)',
        ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
        ExpressionAttributeValues: { ':pk': { S: ROLES_PARTITION }, ':rev': { S: 'REV#' } },
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    const item = result.Items?.[0];
    if (!item) return undefined;
    return {
      revision: Number(item.revision?.N),
      parentRevision: item.parentRevision?.N ? Number(item.parentRevision.N) : null,
      actor: item.actor?.S ?? '',
      reason: item.reason?.S ?? '',
      createdAt: item.createdAt?.S ?? '',
      roles: parseRoleMapping(JSON.parse(item.roles?.S ?? 'null')),
    };
  }

  async put(input: {
    roles: RoleMapping;
    expectedRevision: number;
    actor: string;
    reason: string;
  }): Promise<StoredRoleMapping> {
    const stored: StoredRoleMapping = {
      revision: input.expectedRevision + 1,
      parentRevision: input.expectedRevision === 0 ? null : input.expectedRevision,
      actor: input.actor,
      reason: input.reason,
      createdAt: this.now().toISOString(),
      roles: input.roles,
    };
    const head = await this.head();
    if ((head?.revision ?? 0) !== input.expectedRevision) {
      throw new RoleConflictError(input.expectedRevision, head?.revision);
    }
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            PK: { S: ROLES_PARTITION },
            SK: { S: revisionKey(stored.revision) },
            revision: { N: String(stored.revision) },
            ...(stored.parentRevision === null
              ? {}
              : { parentRevision: { N: String(stored.parentRevision) } }),
            actor: { S: stored.actor },
            reason: { S: stored.reason },
            createdAt: { S: stored.createdAt },
            roles: { S: JSON.stringify(stored.roles) },
          },
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': 'SK' },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new RoleConflictError(input.expectedRevision, (await this.head())?.revision);
      }
      throw error;
    }
    return stored;
  }
}
