/**
 * The table where Axon tasks record accepted SigV4 signatures, so that a request accepted by one task
 * is refused by every other within the clock-skew window. One item per accepted signature; DynamoDB
 * TTL removes it some time after `expiresAt`, and the write condition ignores an item already past it.
 */
export const REPLAY_TABLE = {
  /** Partition key (S): the request's 64-hex SigV4 signature. */
  partitionKey: 'signature',
  /** Number, epoch seconds: when the signature could no longer pass the clock-skew check; the TTL attribute. */
  expiresAttribute: 'expiresAt',
} as const;
