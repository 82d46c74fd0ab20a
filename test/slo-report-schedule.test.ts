import { describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SLO_REPORT_FUNCTION_ENV as ENV } from '../contracts/service-env.js';
import { type EnvironmentConfig, loadConfig } from '../lib/config/index.js';
import { OBSERVABILITY } from '../lib/config/observability.js';
import { AlarmFactory } from '../lib/constructs/alarm-factory.js';
import { SloReportSchedule } from '../lib/constructs/slo-report-schedule.js';
import { stackTemplate } from './support/assembly.js';
import { fixtureApp } from './support/fixture-app.js';
import { TEST_PROCESS_ENV } from './support/platform.js';

const template = stackTemplate('dev', 'Observability');

type Statement = { Action: string | string[]; Resource: unknown; Sid?: string };
const idOf = (type: string, match: (properties: Record<string, unknown>) => boolean): string => {
  const found = Object.entries(template.findResources(type)).find(([, r]) =>
    match((r as { Properties: Record<string, unknown> }).Properties),
  );
  if (!found) throw new Error(`no ${type} found`);
  return found[0];
};
const functionId = idOf('AWS::Lambda::Function', (p) => p.FunctionName === 'axon-orbit-dev-slo-report');
const ruleId = idOf('AWS::Events::Rule', (p) => p.Name === 'axon-orbit-dev-slo-report-weekly');
const queueId = idOf('AWS::SQS::Queue', (p) => p.SqsManagedSseEnabled === true);
const warningTopicId = idOf('AWS::SNS::Topic', (p) => p.TopicName === 'axon-orbit-dev-alarms-warning');
const bucketId = idOf('AWS::S3::Bucket', (p) => p.LoggingConfiguration !== undefined);
const roleStatements = (): Statement[] => {
  const [policy] = Object.values(
    template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^SloReportRole') }] },
    }),
  ) as { Properties: { PolicyDocument: { Statement: Statement[] } } }[];
  if (!policy) throw new Error('no policy on the SLO report role');
  return policy.Properties.PolicyDocument.Statement;
};
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const securityOutput = (name: RegExp) =>
  Match.objectLike({
    'Fn::GetStackOutput': Match.objectLike({
      StackName: 'axon-orbit-dev-security',
      OutputName: Match.stringLikeRegexp(name.source),
    }),
  });

describe('SloReportSchedule in the observability stack', () => {
  it('runs every Monday at 08:00 UTC, retrying twice and dead-lettering to the failed-runs queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'axon-orbit-dev-slo-report-weekly',
      ScheduleExpression: 'cron(0 8 ? * MON *)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
          Id: Match.anyValue(),
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21_600 },
        },
      ],
    });
  });

  it('lets only this rule invoke the function and write to the queue', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it('sends invocations that fail every retry to the same queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
  });

  it('is a platform function (Node.js 24, arm64, in the VPC) told the environment, ALB, SLO, topic and bucket', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'axon-orbit-dev-slo-report',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      ReservedConcurrentExecutions: 1,
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          [ENV.environment]: 'dev',
          [ENV.loadBalancer]: Match.objectLike({
            'Fn::GetStackOutput': Match.objectLike({
              StackName: 'axon-orbit-dev-services',
              OutputName: Match.stringLikeRegexp('LoadBalancerFullName'),
            }),
          }),
          [ENV.sloTargets]: JSON.stringify(OBSERVABILITY.dev.slo),
          [ENV.summaryTopicArn]: { Ref: warningTopicId },
          [ENV.reportBucket]: { Ref: bucketId },
        }),
      },
    });
  });

  it('may publish to the warning topic only, with a data key of the alarms key', () => {
    const statements = roleStatements();
    expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sns:')))).toEqual([
      { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: warningTopicId } },
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Resource: securityOutput(/AlarmsKey/),
          }),
        ]),
      },
    });
  });

  it("may put objects only under the environment's SLO report prefix, encrypted with the archive key", () => {
    const statements = roleStatements();
    expect(statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')))).toEqual([
      {
        Action: 's3:PutObject',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/slo-reports/dev/*']] },
      },
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'kms:GenerateDataKey', Resource: securityOutput(/LogsKey/) }),
        ]),
      },
    });
  });

  it('has no wildcard action, and no wildcard resource beyond GetMetricData, VPC networking and X-Ray', () => {
    const statements = roleStatements();
    expect(statements.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
    const anyResource = statements.filter((s) => s.Resource === '*').flatMap(actionsOf);
    expect(anyResource.filter((a) => !/^(ec2|xray):/.test(a))).toEqual(['cloudwatch:GetMetricData']);
  });

  it('warns through the alarm factory when the function fails', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'axon-orbit-dev-warning-slo-report-failed',
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: warningTopicId }],
      AlarmDescription: Match.stringLikeRegexp('Runbook: docs/runbook.md#slo-report-failed$'),
    });
  });
});

describe('SloReportSchedule props', () => {
  const base = loadConfig('dev', TEST_PROCESS_ENV);
  const build = (config: EnvironmentConfig) => {
    const app = fixtureApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const key = new kms.Key(stack, 'Key');
    const topic = new sns.Topic(stack, 'Topic', { masterKey: key });
    new SloReportSchedule(stack, 'SloReport', {
      config,
      loadBalancer: new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc }),
      summaryTopic: topic,
      archiveBucket: new s3.Bucket(stack, 'Archive', { encryptionKey: key }),
      logsKey: key,
      alarms: new AlarmFactory(stack, 'Alarms', {
        prefix: config.prefix,
        criticalTopic: topic,
        warningTopic: topic,
      }),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    return Template.fromStack(stack);
  };

  it('takes the day and hour from the environment config', () => {
    const config = {
      ...base,
      observability: { ...base.observability, sloReport: { weekDay: 'FRI', hourUtc: 17 } },
    };
    build(config as EnvironmentConfig).hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 17 ? * FRI *)',
    });
  });

  it('refuses a prefix that makes the function name too long, naming config.prefix', () => {
    expect(() => build({ ...base, prefix: `axon-orbit-${'x'.repeat(50)}` })).toThrow(
      /SloReportSchedule: config.prefix "axon-orbit-x+" makes the function name .* longer than 64 characters/,
    );
  });
});
