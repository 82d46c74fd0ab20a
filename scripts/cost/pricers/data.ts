import type { Resource } from '../assembly.js';
import {
  DAYS_PER_MONTH,
  type LineItem,
  NEVER_EXPIRES_DAYS,
  type Pricer,
  type PricingContext,
  type Unpriced,
} from '../model.js';
import { entryFor } from '../usage.js';

/** DynamoDB on-demand tables: request units, storage and point-in-time recovery. */
export const dynamoDbPricer: Pricer = {
  types: ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'],
  price(context) {
    const { graph, usage } = context;
    const lines: LineItem[] = [];
    const unpriced: Unpriced[] = [];
    for (const table of [
      ...graph.ofType('AWS::DynamoDB::Table'),
      ...graph.ofType('AWS::DynamoDB::GlobalTable'),
    ]) {
      if (table.properties.BillingMode !== 'PAY_PER_REQUEST') {
        unpriced.push({ type: `${table.type} (provisioned capacity)`, count: 1 });
        continue;
      }
      const tableUsage = entryFor(usage.tables, table.properties.TableName as string | undefined);
      if (!tableUsage) throw new Error('usage.tables needs a "*" entry');
      const reads =
        (tableUsage.readsPerMonth ?? 0) + (tableUsage.readsPerRequest ?? 0) * usage.requestsPerMonth;
      const writes =
        (tableUsage.writesPerMonth ?? 0) + (tableUsage.writesPerRequest ?? 0) * usage.requestsPerMonth;
      lines.push(
        context.line(table, 'read request units', reads, 'dynamodb.read'),
        context.line(table, 'write request units', writes, 'dynamodb.write'),
        context.line(table, 'storage GB-months', tableUsage.storageGb, 'dynamodb.storage.gbMonth'),
      );
      const pitr = table.properties.PointInTimeRecoverySpecification as
        | { PointInTimeRecoveryEnabled?: boolean }
        | undefined;
      if (pitr?.PointInTimeRecoveryEnabled) {
        lines.push(
          context.line(
            table,
            'point-in-time recovery GB-months',
            tableUsage.storageGb,
            'dynamodb.pitr.gbMonth',
          ),
        );
      }
    }
    return { lines, unpriced };
  },
};

interface LifecycleRule {
  readonly Status?: string;
  readonly ExpirationInDays?: number;
  readonly Transitions?: Array<{ StorageClass: string; TransitionInDays: number }>;
}

/** GB per month written to a bucket, from the writers the templates wire to it. */
function bucketWrites(
  context: PricingContext,
  bucket: Resource,
): { gb: number; puts: number; writers: string[] } {
  const { graph, usage, volumes } = context;
  let gb = 0;
  let puts = 0;
  const writers: string[] = [];
  const isThisBucket = (from: Resource, value: unknown) => {
    const target = graph.resolve(from, value);
    return target?.stack === bucket.stack && target.logicalId === bucket.logicalId;
  };
  for (const alb of graph.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    const attributes = (alb.properties.LoadBalancerAttributes ?? []) as Array<{
      Key: string;
      Value: unknown;
    }>;
    if (
      attributes.some(
        (attribute) => attribute.Key === 'access_logs.s3.bucket' && isThisBucket(alb, attribute.Value),
      )
    ) {
      gb += (usage.requestsPerMonth * usage.albLogBytesPerRequest) / 1e9;
      writers.push('ALB access logs');
    }
  }
  for (const stream of graph.ofType('AWS::KinesisFirehose::DeliveryStream')) {
    const destination = stream.properties.ExtendedS3DestinationConfiguration as
      | { BucketARN?: unknown; BufferingHints?: { IntervalInSeconds?: number } }
      | undefined;
    if (destination && isThisBucket(stream, destination.BucketARN)) {
      gb += volumes.firehoseGb(stream) * usage.archiveCompression;
      // Firehose writes at least one object per buffer interval while data flows.
      puts += (DAYS_PER_MONTH * 86_400) / (destination.BufferingHints?.IntervalInSeconds ?? 300);
      writers.push('Firehose archive');
    }
  }
  return { gb, puts, writers };
}

/** S3 buckets: steady-state storage per class from the monthly writes and the lifecycle rules, plus PUTs. */
export const s3Pricer: Pricer = {
  types: ['AWS::S3::Bucket'],
  price(context) {
    const lines: LineItem[] = [];
    for (const bucket of context.graph.ofType('AWS::S3::Bucket')) {
      const { gb, puts, writers } = bucketWrites(context, bucket);
      const rules = (
        (bucket.properties.LifecycleConfiguration as { Rules?: LifecycleRule[] } | undefined)?.Rules ?? []
      ).filter((rule) => rule.Status !== 'Disabled');
      const expiry = Math.min(
        NEVER_EXPIRES_DAYS,
        ...rules.map((rule) => rule.ExpirationInDays ?? NEVER_EXPIRES_DAYS),
      );
      const toGlacierIr = rules
        .flatMap((rule) => rule.Transitions ?? [])
        .find((transition) => transition.StorageClass === 'GLACIER_IR')?.TransitionInDays;
      const standardDays = Math.min(expiry, toGlacierIr ?? expiry);
      const source = writers.length > 0 ? writers.join(' + ') : 'no writer in the templates';
      lines.push(
        context.line(
          bucket,
          `Standard GB-months (${source}, ${standardDays} days)`,
          (gb * standardDays) / DAYS_PER_MONTH,
          's3.standard.gbMonth',
        ),
      );
      if (toGlacierIr !== undefined && expiry > toGlacierIr) {
        lines.push(
          context.line(
            bucket,
            `Glacier IR GB-months (days ${toGlacierIr}–${expiry})`,
            (gb * (expiry - toGlacierIr)) / DAYS_PER_MONTH,
            's3.glacierIr.gbMonth',
          ),
        );
      }
      if (puts > 0) lines.push(context.line(bucket, 'PUT requests', puts, 's3.put.request'));
    }
    return { lines };
  },
};

/** ECR private repositories: stored image GB. */
export const ecrPricer: Pricer = {
  types: ['AWS::ECR::Repository'],
  price(context) {
    return {
      lines: context.graph
        .ofType('AWS::ECR::Repository')
        .map((repository) =>
          context.line(
            repository,
            'image storage GB-months',
            context.usage.ecrGbPerRepository,
            'ecr.storage.gbMonth',
          ),
        ),
    };
  },
};
