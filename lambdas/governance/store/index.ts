import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import type { ImpactRecord } from '../../../contracts/impact.js';
import {
  MAX_REVISION,
  POLICY_SET_PATTERN,
  policySetKey,
  revisionKey,
} from '../../../contracts/policy-table.js';
import { type PolicyDocument, parsePolicy, type Statement } from '../engine/index.js';

export {
  PARTITION_KEY,
  POLICY_SET_PATTERN,
  policySetKey,
  revisionKey,
  SORT_KEY,
} from '../../../contracts/policy-table.js';

/** What changed between a revision and its parent, by statement id. */
export interface DiffSummary {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
}

/** The audit record of one revision (everything but the document). */
export interface RevisionMetadata {
  readonly policySet: string;
  readonly revision: number;
  /** The revision this one was based on; null for revision 1. */
  readonly parentRevision: number | null;
  /** Who wrote it (an IAM principal ARN, a user name, `seed`). */
  readonly actor: string;
  readonly reason: string;
  /** ISO 8601 UTC. */
  readonly createdAt: string;
  /** SHA-256 of the document's canonical JSON: equal digests mean equal content (e.g. after a rollback). */
  readonly digest: string;
  readonly statementCount: number;
  readonly diff: DiffSummary;
  /** The recorded decisions the revision was checked against before it was written, and who accepted its flips. */
  readonly impact?: ImpactRecord;
}

export interface PolicyRevision extends RevisionMetadata {
  readonly document: PolicyDocument;
}

export interface PutRevisionInput {
  /** A policy document (object or JSON text); validated against the schema before anything is written. */
  readonly document: unknown;
  /** The head revision the change is based on (0 for a new policy set). The write fails if that is no longer the head. */
  readonly expectedRevision: number;
  readonly actor: string;
  readonly reason: string;
  /** Kept in the audit entry as is. */
  readonly impact?: ImpactRecord;
}

export interface RevisionPage {
  /** Newest first. */
  readonly revisions: readonly RevisionMetadata[];
  /** Pass as `before` to get the next (older) page; absent on the last page. */
  readonly nextBefore?: number;
}

/** The policy set's head is not the revision the writer expected (someone else wrote first). */
export class RevisionConflictError extends Error {
  constructor(
    readonly policySet: string,
    readonly expectedRevision: number,
    readonly headRevision: number | undefined,
  ) {
    super(
      `policy set ${policySet}: expected head revision ${expectedRevision}, but the head is ${headRevision ?? 'absent'}`,
    );
    this.name = 'RevisionConflictError';
  }
}

/** A stored revision failed validation: it was written around the store, or by an incompatible version. */
export class CorruptRevisionError extends Error {
  constructor(
    readonly policySet: string,
    readonly revision: number,
    cause: unknown,
  ) {
    super(`policy set ${policySet} revision ${revision} is not a valid policy document`, { cause });
    this.name = 'CorruptRevisionError';
  }
}

export interface PolicyStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Clock for `createdAt`; injectable for tests. */
  readonly now?: () => Date;
}

const METADATA_ATTRIBUTES = [
  'revision',
  'parentRevision',
  'actor',
  'reason',
  'createdAt',
  'digest',
  'statementCount',
  'diff',
  'impact',
] as const;

/**
 * Policy sets as append-only logs of revisions in one DynamoDB table. The revision number is the
 * optimistic lock: revision n+1 is written with `attribute_not_exists(SK)`, so of two writers based
 * on the same head exactly one succeeds. No transactions, so it works on DynamoDB and dynalite alike.
 * Every read is strongly consistent: a reader never sees a head older than a confirmed write.
 */
export class PolicyStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly now: () => Date;

  constructor(options: PolicyStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? (() => new Date());
  }

  /** The latest revision, or undefined when the policy set has none. */
  async getHead(policySet: string): Promise<PolicyRevision | undefined> {
    checkPolicySet(policySet);
    const result = await this.client.send(
      new QueryCommand({
        ...this.newestFirst(policySet),
        Limit: 1,
      }),
    );
    const item = result.Items?.[0];
    return item ? toRevision(policySet, item) : undefined;
  }

  /** Only the head's number: one small read, so a cache can tell cheaply whether its copy is current. */
  async getHeadRevision(policySet: string): Promise<number | undefined> {
    checkPolicySet(policySet);
    const query = this.newestFirst(policySet);
    const result = await this.client.send(
      new QueryCommand({
        ...query,
        Limit: 1,
        ProjectionExpression: '#revision',
        ExpressionAttributeNames: { ...query.ExpressionAttributeNames, '#revision': 'revision' },
      }),
    );
    const item = result.Items?.[0];
    return item ? numberOf(item, 'revision') : undefined;
  }

  async getRevision(policySet: string, revision: number): Promise<PolicyRevision | undefined> {
    checkPolicySet(policySet);
    checkRevision('revision', revision, 1);
    const result = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { PK: { S: policySetKey(policySet) }, SK: { S: revisionKey(revision) } },
        ConsistentRead: true,
      }),
    );
    return result.Item ? toRevision(policySet, result.Item) : undefined;
  }

  /** Audit records, newest first, `limit` (1-100, default 20) per page, older than `before` if given. */
  async listRevisions(
    policySet: string,
    options: { readonly limit?: number; readonly before?: number } = {},
  ): Promise<RevisionPage> {
    checkPolicySet(policySet);
    const limit = options.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new RangeError(`limit must be an integer from 1 to 100, got ${limit}`);
    }
    const base = this.newestFirst(policySet);
    const names: Record<string, string> = { ...base.ExpressionAttributeNames };
    for (const attribute of METADATA_ATTRIBUTES) names[`#${attribute}`] = attribute;
    const query = { ...base, Limit: limit, ExpressionAttributeNames: names };
    if (options.before !== undefined) {
      checkRevision('before', options.before, 1);
      query.KeyConditionExpression = '#pk = :pk AND #sk < :before';
      query.ExpressionAttributeValues = {
        ':pk': { S: policySetKey(policySet) },
        ':before': { S: revisionKey(options.before) },
      };
    }
    const result = await this.client.send(
      new QueryCommand({
        ...query,
        ProjectionExpression: METADATA_ATTRIBUTES.map((a) => `#${a}`).join(', '),
      }),
    );
    const revisions = (result.Items ?? []).map((item) => toMetadata(policySet, item));
    const last = revisions.at(-1);
    return result.LastEvaluatedKey && last ? { revisions, nextBefore: last.revision } : { revisions };
  }

  /**
   * Appends revision `expectedRevision + 1`. Throws `PolicyValidationError` for an invalid document
   * (nothing is written) and `RevisionConflictError` when `expectedRevision` is not the current head.
   */
  async putRevision(policySet: string, input: PutRevisionInput): Promise<PolicyRevision> {
    checkPolicySet(policySet);
    checkRevision('expectedRevision', input.expectedRevision, 0);
    checkText('actor', input.actor, 256);
    checkText('reason', input.reason, 1024);
    const document = parsePolicy(input.document);

    const parent =
      input.expectedRevision === 0 ? undefined : await this.getRevision(policySet, input.expectedRevision);
    if (input.expectedRevision > 0 && !parent) {
      throw new RevisionConflictError(
        policySet,
        input.expectedRevision,
        await this.getHeadRevision(policySet),
      );
    }
    const revision: PolicyRevision = {
      policySet,
      revision: input.expectedRevision + 1,
      parentRevision: parent ? parent.revision : null,
      actor: input.actor,
      reason: input.reason,
      createdAt: this.now().toISOString(),
      digest: digestOf(document),
      statementCount: document.statements.length,
      diff: diffOf(parent?.document.statements ?? [], document.statements),
      ...(input.impact ? { impact: input.impact } : {}),
      document,
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem(revision),
          ConditionExpression: 'attribute_not_exists(#sk)',
          ExpressionAttributeNames: { '#sk': 'SK' },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new RevisionConflictError(
          policySet,
          input.expectedRevision,
          await this.getHeadRevision(policySet),
        );
      }
      throw error;
    }
    return revision;
  }

  private newestFirst(policySet: string) {
    return {
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :rev)',
      ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' } as Record<string, string>,
      ExpressionAttributeValues: {
        ':pk': { S: policySetKey(policySet) },
        ':rev': { S: 'REV#' },
      } as Record<string, AttributeValue>,
      ScanIndexForward: false,
      ConsistentRead: true,
    };
  }
}

function checkPolicySet(policySet: string): void {
  if (!POLICY_SET_PATTERN.test(policySet)) {
    throw new RangeError(`policy set name must match ${POLICY_SET_PATTERN.source}, got "${policySet}"`);
  }
}

function checkRevision(field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value >= MAX_REVISION) {
    throw new RangeError(`${field} must be an integer from ${min} to ${MAX_REVISION - 1}, got ${value}`);
  }
}

function checkText(field: string, value: string, max: number): void {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new RangeError(`${field} must be a non-empty string of at most ${max} characters`);
  }
}

/** JSON with object keys sorted, so equal content always has equal text (and digest). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function digestOf(document: PolicyDocument): string {
  return createHash('sha256').update(canonicalJson(document)).digest('hex');
}

export function diffOf(before: readonly Statement[], after: readonly Statement[]): DiffSummary {
  const old = new Map(before.map((s) => [s.id, canonicalJson(s)]));
  const next = new Map(after.map((s) => [s.id, canonicalJson(s)]));
  return {
    added: after.filter((s) => !old.has(s.id)).map((s) => s.id),
    removed: before.filter((s) => !next.has(s.id)).map((s) => s.id),
    changed: after.filter((s) => old.has(s.id) && old.get(s.id) !== next.get(s.id)).map((s) => s.id),
  };
}

function toItem(r: PolicyRevision): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    PK: { S: policySetKey(r.policySet) },
    SK: { S: revisionKey(r.revision) },
    revision: { N: String(r.revision) },
    actor: { S: r.actor },
    reason: { S: r.reason },
    createdAt: { S: r.createdAt },
    digest: { S: r.digest },
    statementCount: { N: String(r.statementCount) },
    diff: { S: JSON.stringify(r.diff) },
    document: { S: JSON.stringify(r.document) },
  };
  if (r.parentRevision !== null) item.parentRevision = { N: String(r.parentRevision) };
  if (r.impact) item.impact = { S: JSON.stringify(r.impact) };
  return item;
}

function stringOf(item: Record<string, AttributeValue>, name: string): string {
  const value = item[name]?.S;
  if (value === undefined) throw new Error(`policy table item lacks string attribute ${name}`);
  return value;
}

function numberOf(item: Record<string, AttributeValue>, name: string): number {
  const value = item[name]?.N;
  if (value === undefined) throw new Error(`policy table item lacks number attribute ${name}`);
  return Number(value);
}

function toMetadata(policySet: string, item: Record<string, AttributeValue>): RevisionMetadata {
  return {
    policySet,
    revision: numberOf(item, 'revision'),
    parentRevision: item.parentRevision ? numberOf(item, 'parentRevision') : null,
    actor: stringOf(item, 'actor'),
    reason: stringOf(item, 'reason'),
    createdAt: stringOf(item, 'createdAt'),
    digest: stringOf(item, 'digest'),
    statementCount: numberOf(item, 'statementCount'),
    diff: JSON.parse(stringOf(item, 'diff')) as DiffSummary,
    ...(item.impact ? { impact: JSON.parse(stringOf(item, 'impact')) as ImpactRecord } : {}),
  };
}

function toRevision(policySet: string, item: Record<string, AttributeValue>): PolicyRevision {
  try {
    return { ...toMetadata(policySet, item), document: parsePolicy(stringOf(item, 'document')) };
  } catch (error) {
    throw new CorruptRevisionError(policySet, Number(item.revision?.N), error);
  }
}
