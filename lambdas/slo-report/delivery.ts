import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ReportWriter, SummaryPublisher } from './report.js';

/** SNS subjects are at most 100 characters. */
const MAX_SUBJECT = 100;

export function snsSummaryPublisher(client: SNSClient, topicArn: string): SummaryPublisher {
  return {
    async publish(subject, message) {
      await client.send(
        new PublishCommand({ TopicArn: topicArn, Subject: subject.slice(0, MAX_SUBJECT), Message: message }),
      );
    },
  };
}

/** Writes under the bucket's default encryption (the archive's KMS key). */
export function s3ReportWriter(client: S3Client, bucket: string): ReportWriter {
  return {
    async write(key, json) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: json, ContentType: 'application/json' }),
      );
      return `s3://${bucket}/${key}`;
    },
  };
}
