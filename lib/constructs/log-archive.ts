import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeGuard, acknowledgeWildcardResource } from '../nag.js';

export interface LogArchiveProps {
  /** Encrypts the archive bucket, the access-log bucket and the delivery stream. */
  readonly key: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
  readonly glacierAfterDays: number;
  readonly expireAfterDays: number;
}

/**
 * Long-term, tamper-evident copy of the platform's logs: CloudWatch Logs subscription filters feed a
 * Firehose delivery stream that writes compressed batches to a KMS-encrypted, versioned S3 bucket,
 * which moves them to Glacier Instant Retrieval and expires them on schedule.
 */
export class LogArchive extends Construct {
  readonly bucket: s3.Bucket;
  readonly deliveryStream: firehose.DeliveryStream;
  private readonly destination: destinations.FirehoseDestination;

  constructor(scope: Construct, id: string, props: LogArchiveProps) {
    super(scope, id);
    const common = {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      removalPolicy: props.removalPolicy,
      // A bucket that still holds objects cannot be deleted: a torn-down environment empties it.
      autoDeleteObjects: props.removalPolicy === RemovalPolicy.DESTROY,
    } satisfies s3.BucketProps;

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...common,
      // S3 server access logs cannot be delivered to a KMS-encrypted bucket; SSE-S3 is the only option.
      encryption: s3.BucketEncryption.S3_MANAGED,
      encryptionKey: undefined,
      bucketKeyEnabled: undefined,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [
        { expiration: Duration.days(props.expireAfterDays), noncurrentVersionExpiration: Duration.days(7) },
      ],
    });
    acknowledge(
      accessLogs,
      'AwsSolutions-S1',
      'This is the server-access-log bucket itself; logging it to itself would loop.',
    );
    acknowledge(
      accessLogs,
      'NIST.800.53.R5-S3BucketLoggingEnabled',
      'This is the server-access-log bucket itself.',
    );
    acknowledge(
      accessLogs,
      'NIST.800.53.R5-S3DefaultEncryptionKMS',
      'S3 cannot deliver server access logs to a KMS-encrypted bucket.',
    );
    acknowledge(
      accessLogs,
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      'Access logs are kept in-region; the archive is the record.',
    );

    acknowledgeGuard(
      accessLogs,
      's3_bucket_default_encryption_kms_check',
      'CT.S3.PR.10: S3 cannot deliver server access logs to a KMS-encrypted bucket.',
    );
    acknowledgeGuard(
      accessLogs,
      's3_bucket_acl_prohibited_check',
      'CT.S3.PR.5: S3 server access logging delivers to this bucket through the log-delivery group ACL (object ownership BucketOwnerPreferred).',
    );
    acknowledgeGuard(
      accessLogs,
      's3_bucket_logging_enabled_check',
      'CT.S3.PR.2: this is the server-access-log bucket itself; logging it to itself would loop.',
    );

    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...common,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'archive/',
      lifecycleRules: [
        {
          transitions: [
            {
              storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
              transitionAfter: Duration.days(props.glacierAfterDays),
            },
          ],
          expiration: Duration.days(props.expireAfterDays),
          noncurrentVersionExpiration: Duration.days(7),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    acknowledge(
      this.bucket,
      'NIST.800.53.R5-S3BucketReplicationEnabled',
      'Single-region platform; versioning plus lifecycle is the retention control. Cross-region replication is a cost decision left to the operator.',
    );

    const deliveryErrors = new logs.LogGroup(this, 'DeliveryErrors', {
      encryptionKey: props.key,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    acknowledgeGuard(
      deliveryErrors,
      'cloudwatch_log_group_retention_period_check',
      'CT.CLOUDWATCH.PR.2: Firehose delivery errors are diagnostics for the operator, kept a month; the archive itself is the record.',
    );
    this.deliveryStream = new firehose.DeliveryStream(this, 'Stream', {
      encryption: firehose.StreamEncryption.customerManagedKey(props.key),
      destination: new firehose.S3Bucket(this.bucket, {
        loggingConfig: new firehose.EnableLogging(deliveryErrors),
        encryptionKey: props.key,
        compression: firehose.Compression.GZIP,
        bufferingInterval: Duration.minutes(5),
        bufferingSize: Size.mebibytes(64),
        dataOutputPrefix: 'logs/!{timestamp:yyyy/MM/dd}/',
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
      }),
    });
    this.destination = new destinations.FirehoseDestination(this.deliveryStream);
    this.acknowledgeGeneratedGrants();
  }

  /**
   * The delivery roles are CDK's own: their policies are the standard grant sets (bucket read/write,
   * key encrypt/decrypt) scoped to this one bucket and key, written inline by the grant methods.
   */
  private acknowledgeGeneratedGrants(): void {
    const stream = this.deliveryStream.node;
    const serviceRole = stream.findChild('Service Role');
    const destinationRole = stream.findChild('S3 Destination Role');
    const why =
      'CDK grant on the archive bucket and its key only: the wildcard is the action family, not the resource.';
    for (const role of [serviceRole, destinationRole]) {
      for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
        acknowledge(role, `AwsSolutions-IAM5[Action::${action}]`, why);
      }
      acknowledge(
        role,
        'NIST.800.53.R5-IAMNoInlinePolicy',
        'Delivery role policy generated by the Firehose construct grants.',
      );
    }
    for (const action of ['s3:Abort*', 's3:DeleteObject*', 's3:GetBucket*', 's3:GetObject*', 's3:List*']) {
      acknowledge(destinationRole, `AwsSolutions-IAM5[Action::${action}]`, why);
    }
    acknowledgeWildcardResource(
      destinationRole,
      this.bucket.arnForObjects('*'),
      'Firehose writes objects under any key of the archive bucket.',
    );
  }

  /** Streams every event of a log group into the archive. */
  archive(logGroup: logs.ILogGroup, id: string): void {
    new logs.SubscriptionFilter(this, id, {
      logGroup,
      destination: this.destination,
      filterPattern: logs.FilterPattern.allEvents(),
    });
    acknowledge(
      this.node.findChild(id),
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'Role generated by the subscription filter; its only permission is firehose:PutRecord* on the archive stream.',
    );
  }
}
