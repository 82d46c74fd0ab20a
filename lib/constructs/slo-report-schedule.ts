import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SLO_REPORT_FUNCTION_ENV as ENV } from '../../contracts/service-env.js';
import { SLO_REPORT_PREFIX } from '../../contracts/slo.js';
import type { EnvironmentConfig } from '../config/index.js';
import { acknowledge, acknowledgeGuard, acknowledgeWildcardResource } from '../nag.js';
import type { AlarmFactory } from './alarm-factory.js';
import { LambdaFunction } from './lambda-function.js';

export interface SloReportScheduleProps {
  /** Environment name, prefix, SLO targets and the schedule (`observability.sloReport`). */
  readonly config: EnvironmentConfig;
  /** The Orbit ALB whose metrics the SLO is measured on. */
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Receives the weekly summary (the warning alarm topic); its KMS key, if any, is granted for publishing. */
  readonly summaryTopic: sns.ITopic;
  /** Keeps the JSON reports under `slo-reports/<env>/`; its KMS key, if any, is granted for writing. */
  readonly archiveBucket: s3.IBucket;
  /** Encrypts the function's log group. */
  readonly logsKey: kms.IKey;
  /** Creates the alarm on the function's failures. */
  readonly alarms: AlarmFactory;
  readonly vpc: ec2.IVpc;
  /** Subnets with a route to the CloudWatch and SNS APIs (NAT) and the S3 gateway endpoint. */
  readonly vpcSubnets: ec2.SubnetSelection;
}

/** Lambda function names are at most 64 characters. */
const MAX_FUNCTION_NAME = 64;
/** Event retries and Lambda's own asynchronous retries; a week's report is worth a few attempts. */
const RETRY_ATTEMPTS = 2;
const MAX_EVENT_AGE = Duration.hours(6);

/**
 * The weekly SLO report: an EventBridge rule (cron, UTC) invokes a function that measures the last
 * complete ISO week of the Orbit dispatch path, stores the JSON report in the log archive and
 * publishes the summary to the warning topic. Runs that fail after their retries (delivery by
 * EventBridge or the function itself) land in one queue, and any failure raises a warning alarm.
 */
export class SloReportSchedule extends Construct {
  readonly function: LambdaFunction;
  readonly rule: events.Rule;
  /** Scheduled events EventBridge could not deliver and invocations that failed every retry. */
  readonly failedRuns: sqs.Queue;
  readonly failureAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SloReportScheduleProps) {
    super(scope, id);
    const { config } = props;
    const functionName = `${config.prefix}-slo-report`;
    if (functionName.length > MAX_FUNCTION_NAME) {
      throw new Error(
        `SloReportSchedule: config.prefix "${config.prefix}" makes the function name ${functionName} longer than ${MAX_FUNCTION_NAME} characters`,
      );
    }

    this.failedRuns = new sqs.Queue(this, 'FailedRuns', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const rule of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
      acknowledge(
        this.failedRuns,
        rule,
        'This queue is itself the dead-letter queue of the weekly SLO report rule target and function.',
      );
    }
    acknowledgeGuard(
      this.failedRuns,
      'sqs_dlq_check',
      'CT.SQS.PR.1: this queue is itself the dead-letter queue of the weekly SLO report rule target and function.',
    );

    const securityGroup = new ec2.SecurityGroup(this, 'Sg', {
      vpc: props.vpc,
      description: 'Weekly SLO report: HTTPS out to the CloudWatch, SNS and S3 APIs only',
      allowAllOutbound: false,
    });
    // CloudWatch and SNS are reached through NAT and S3 through its gateway endpoint: public
    // service addresses, so no narrower peer applies.
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'CloudWatch, SNS and S3 APIs');

    this.function = new LambdaFunction(this, 'Report', {
      functionName,
      description:
        'Weekly SLO report of the Orbit dispatch path: JSON to the log archive, summary to the warning topic',
      entry: fileURLToPath(new URL('../../lambdas/slo-report/handler.ts', import.meta.url)),
      config,
      logsKey: props.logsKey,
      timeout: Duration.minutes(1),
      reservedConcurrentExecutions: 1,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [securityGroup],
      environment: {
        [ENV.environment]: config.name,
        [ENV.loadBalancer]: props.loadBalancer.loadBalancerFullName,
        [ENV.sloTargets]: JSON.stringify(config.observability.slo),
        [ENV.summaryTopicArn]: props.summaryTopic.topicArn,
        [ENV.reportBucket]: props.archiveBucket.bucketName,
      },
    });
    const fn = this.function.fn;
    fn.configureAsyncInvoke({
      retryAttempts: RETRY_ATTEMPTS,
      maxEventAge: MAX_EVENT_AGE,
      onFailure: new destinations.SqsDestination(this.failedRuns),
    });
    for (const rule of ['NIST.800.53.R5-LambdaDLQ', 'Serverless-LambdaDLQ']) {
      acknowledge(
        fn,
        rule,
        'Failed asynchronous invocations go to the on-failure destination (the failed-runs queue), which also records the error; a DeadLetterConfig would duplicate it.',
      );
    }
    this.grantReportPermissions(props);

    const { weekDay, hourUtc } = config.observability.sloReport;
    this.rule = new events.Rule(this, 'Weekly', {
      ruleName: `${config.prefix}-slo-report-weekly`,
      description: `Weekly SLO report of ${config.name} (${weekDay} ${String(hourUtc).padStart(2, '0')}:00 UTC)`,
      schedule: events.Schedule.cron({ minute: '0', hour: String(hourUtc), weekDay }),
      targets: [
        new targets.LambdaFunction(fn, {
          deadLetterQueue: this.failedRuns,
          retryAttempts: RETRY_ATTEMPTS,
          maxEventAge: MAX_EVENT_AGE,
        }),
      ],
    });

    this.failureAlarm = props.alarms.alarm({
      name: 'slo-report-failed',
      severity: 'warning',
      metric: fn.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      evaluationPeriods: 1,
      description:
        "The weekly SLO report function failed; after its retries the run waits in the failed-runs queue and this week's report is missing.",
    });
  }

  /** Exactly what one run does: read ALB metrics, write one object, publish one message. */
  private grantReportPermissions(props: SloReportScheduleProps): void {
    const role = this.function.role;
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadAlbMetrics',
        actions: ['cloudwatch:GetMetricData'],
        resources: ['*'],
      }),
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'cloudwatch:GetMetricData supports no resource-level permissions or namespace condition; the function reads only the Orbit ALB metrics it is configured with.',
    );

    iam.Grant.addToPrincipal({
      grantee: role,
      actions: ['sns:Publish'],
      resourceArns: [props.summaryTopic.topicArn],
    });
    // SNS encrypts the message with a data key under the topic's key on the publisher's behalf.
    props.summaryTopic.masterKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');

    const reports = props.archiveBucket.arnForObjects(`${SLO_REPORT_PREFIX}/${props.config.name}/*`);
    iam.Grant.addToPrincipal({ grantee: role, actions: ['s3:PutObject'], resourceArns: [reports] });
    acknowledgeWildcardResource(
      role,
      reports,
      "Objects are named by ISO week: the function writes only under its environment's SLO report prefix.",
    );
    // A single-part PutObject under the bucket's default SSE-KMS needs only a data key.
    props.archiveBucket.encryptionKey?.grant(role, 'kms:GenerateDataKey');
  }
}
