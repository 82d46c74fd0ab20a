import { Logger } from '@aws-lambda-powertools/logger';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { loadSloReportConfig } from './config.js';
import { s3ReportWriter, snsSummaryPublisher } from './delivery.js';
import { createSloReportHandler } from './report.js';

const config = loadSloReportConfig(process.env);

/** Invoked weekly by an EventBridge rule; `{"week": "YYYY-Www"}` re-runs a given week. */
export const handler = createSloReportHandler({
  cloudwatch: new CloudWatchClient({}),
  publisher: snsSummaryPublisher(new SNSClient({}), config.summaryTopicArn),
  writer: s3ReportWriter(new S3Client({}), config.reportBucket),
  now: () => new Date(),
  settings: config,
  logger: new Logger({ serviceName: 'slo-report' }),
});
