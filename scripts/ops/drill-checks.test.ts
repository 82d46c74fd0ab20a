import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import type { CheckResult } from './checks.js';
import { runCommand } from './cli.js';
import { createDrillCommand, ForcedAlarms } from './drill-checks.js';
import type { CommandReport } from './report.js';
import {
  ACCOUNT,
  ALARMS,
  accessDenied,
  actionsCalled,
  cliDeps,
  fakeClock,
  mockCaller,
  mockDeployedStacks,
  PHYSICAL,
  PREFIX,
  REGION,
} from './test-support.js';

const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);
const cloudWatch = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);

const QUEUE_URL = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${PHYSICAL.undeliveredQueue.split(':').pop()}`;

function alarm(name: string, actions: string[], state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' = 'OK') {
  return {
    AlarmName: name,
    AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`,
    StateValue: state,
    ActionsEnabled: true,
    AlarmActions: actions,
    OKActions: actions,
  };
}

function alarms(errorRateState: 'OK' | 'ALARM' = 'OK') {
  return {
    MetricAlarms: [
      alarm(ALARMS.errorRate, [PHYSICAL.criticalTopic], errorRateState),
      alarm(ALARMS.cpu, [PHYSICAL.warningTopic], 'INSUFFICIENT_DATA'),
      alarm(ALARMS.rollback, []),
    ],
    CompositeAlarms: [
      { ...alarm(ALARMS.composite, [PHYSICAL.criticalTopic]), AlarmRule: `ALARM("${ALARMS.errorRate}")` },
    ],
  };
}

function confirmedEmail(topic: string) {
  return {
    SubscriptionArn: `${topic}:7f3b2c1a-0d4e-4f5a-8b6c-9d0e1f2a3b4c`,
    Owner: ACCOUNT,
    Protocol: 'email',
    Endpoint: 'platform-dev-alerts@example.com',
    TopicArn: topic,
  };
}

/** CloudWatch's history entry for an alarm action it executed. */
function actionHistory(name: string, topic: string, ok = true) {
  return {
    AlarmHistoryItems: [
      {
        AlarmName: name,
        AlarmType: 'MetricAlarm' as const,
        Timestamp: new Date('2026-12-02T12:00:03Z'),
        HistoryItemType: 'Action' as const,
        HistorySummary: ok
          ? `Successfully executed action ${topic}`
          : `Failed to execute action ${topic}. Received error: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."`,
        HistoryData: JSON.stringify({
          actionState: ok ? 'Succeeded' : 'Failed',
          notificationResource: topic,
        }),
      },
    ],
  };
}

function deliveries(delivered: number, failed = 0) {
  return {
    MetricDataResults: [
      {
        Id: 'delivered',
        Label: 'NumberOfNotificationsDelivered',
        Timestamps: [],
        Values: delivered ? [delivered] : [],
        StatusCode: 'Complete' as const,
      },
      {
        Id: 'failed',
        Label: 'NumberOfNotificationsFailed',
        Timestamps: [],
        Values: failed ? [failed] : [],
        StatusCode: 'Complete' as const,
      },
    ],
  };
}

function healthyAlarms(): void {
  mockCaller(sts);
  mockDeployedStacks(cloudFormation);
  cloudWatch.on(DescribeAlarmsCommand).resolves(alarms());
  cloudWatch.on(SetAlarmStateCommand).resolves({});
  cloudWatch.on(DescribeAlarmHistoryCommand).callsFake((input) => {
    const topic = input.AlarmName === ALARMS.cpu ? PHYSICAL.warningTopic : PHYSICAL.criticalTopic;
    return actionHistory(input.AlarmName, topic);
  });
  cloudWatch.on(GetMetricDataCommand).resolves(deliveries(4));
  sns
    .on(ListSubscriptionsByTopicCommand)
    .callsFake((input) => ({ Subscriptions: [confirmedEmail(input.TopicArn)] }));
  sns.on(GetSubscriptionAttributesCommand).resolves({
    Attributes: {
      Protocol: 'email',
      PendingConfirmation: 'false',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: PHYSICAL.undeliveredQueue }),
    },
  });
  sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: QUEUE_URL });
  sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '0' } });
}

async function runDrill(args: string[] = [], forced = new ForcedAlarms()) {
  const { deps, out } = cliDeps({}, fakeClock());
  const code = await runCommand(createDrillCommand(forced), ['--env', 'dev', '--json', ...args], deps);
  const report = JSON.parse(out.join('\n')) as CommandReport;
  const checks: Record<string, CheckResult> = Object.fromEntries(report.checks.map((c) => [c.id, c]));
  return { code, report, checks };
}

const states = () =>
  cloudWatch
    .commandCalls(SetAlarmStateCommand)
    .map((c) => [c.args[0].input.AlarmName, c.args[0].input.StateValue]);

beforeEach(() => {
  for (const m of [sts, cloudFormation, cloudWatch, sns, sqs]) m.reset();
  healthyAlarms();
});

describe('npm run drill', () => {
  it('drills every alarm with a topic, one at a time, each back to OK (exit 0)', async () => {
    const { code, report } = await runDrill();
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      [`subscriptions:${PREFIX}-alarms-critical`, 'pass'],
      [`subscriptions:${PREFIX}-alarms-warning`, 'pass'],
      [`drill:${ALARMS.errorRate}`, 'pass'],
      [`drill:${ALARMS.cpu}`, 'pass'],
      [`drill:${ALARMS.composite}`, 'pass'],
      [`delivery:${PREFIX}-alarms-critical`, 'pass'],
      [`delivery:${PREFIX}-alarms-warning`, 'pass'],
    ]);
    expect(states()).toEqual([
      [ALARMS.errorRate, 'ALARM'],
      [ALARMS.errorRate, 'OK'],
      [ALARMS.cpu, 'ALARM'],
      [ALARMS.cpu, 'OK'],
      [ALARMS.composite, 'ALARM'],
      [ALARMS.composite, 'OK'],
    ]);
    expect(code).toBe(0);
    const called = actionsCalled([
      ['sts', sts],
      ['cloudformation', cloudFormation],
      ['cloudwatch', cloudWatch],
      ['sns', sns],
      ['sqs', sqs],
    ]);
    expect(called.filter((a) => !createDrillCommand(new ForcedAlarms()).permissions.includes(a))).toEqual([]);
  });

  it('never forces the deployment-rollback alarms, which have no topic', async () => {
    await runDrill();
    expect(states().map(([name]) => name)).not.toContain(ALARMS.rollback);
  });

  it('drills one alarm by its short name', async () => {
    const { code, report } = await runDrill(['--alarm', 'orbit-error-rate']);
    expect(report.checks.map((c) => c.id)).toEqual([
      `subscriptions:${PREFIX}-alarms-critical`,
      `drill:${ALARMS.errorRate}`,
      `delivery:${PREFIX}-alarms-critical`,
    ]);
    expect(code).toBe(0);
  });

  it('lists the valid alarms in one line for an unknown name (exit 2)', async () => {
    const { code, report } = await runDrill(['--alarm', 'orbit-eror-rate']);
    expect(code).toBe(2);
    expect(report.error).toEqual({
      kind: 'usage',
      message: `unknown alarm "orbit-eror-rate"; valid alarms: ${ALARMS.errorRate}, ${ALARMS.cpu}, ${ALARMS.composite}`,
    });
    expect(states()).toEqual([]);
  });

  it('fails the drill of a topic without subscribers instead of skipping it', async () => {
    sns
      .on(ListSubscriptionsByTopicCommand, { TopicArn: PHYSICAL.warningTopic })
      .resolves({ Subscriptions: [] });
    const { code, checks } = await runDrill();
    expect(checks[`subscriptions:${PREFIX}-alarms-warning`]).toMatchObject({
      status: 'fail',
      detail: `${PREFIX}-alarms-warning has no subscribers: its alarms notify nobody`,
    });
    expect(checks[`drill:${ALARMS.cpu}`]).toMatchObject({
      status: 'fail',
      detail: `not drilled: ${PREFIX}-alarms-warning would page nobody`,
    });
    expect(checks[`delivery:${PREFIX}-alarms-warning`]?.status).toBe('fail');
    expect(code).toBe(1);
  });

  it('fails when CloudWatch cannot publish, and still resets the alarm to OK', async () => {
    cloudWatch
      .on(DescribeAlarmHistoryCommand, { AlarmName: ALARMS.errorRate })
      .resolves(actionHistory(ALARMS.errorRate, PHYSICAL.criticalTopic, false));
    const { checks } = await runDrill(['--alarm', 'orbit-error-rate']);
    expect(checks[`drill:${ALARMS.errorRate}`]?.status).toBe('fail');
    expect(checks[`drill:${ALARMS.errorRate}`]?.detail).toContain('Failed to execute action');
    expect(states()).toEqual([
      [ALARMS.errorRate, 'ALARM'],
      [ALARMS.errorRate, 'OK'],
    ]);
  });

  it('resets the alarm to OK when the history cannot be read', async () => {
    cloudWatch
      .on(DescribeAlarmHistoryCommand)
      .rejects(
        accessDenied(
          'cloudwatch:DescribeAlarmHistory',
          `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${ALARMS.errorRate}`,
        ),
      );
    const forced = new ForcedAlarms();
    const { checks } = await runDrill(['--alarm', 'orbit-error-rate'], forced);
    expect(checks[`drill:${ALARMS.errorRate}`]).toMatchObject({
      status: 'error',
      permission: 'cloudwatch:DescribeAlarmHistory',
    });
    expect(states().at(-1)).toEqual([ALARMS.errorRate, 'OK']);
    expect(await forced.resetAll()).toEqual([]);
  });

  it('names a missing SetAlarmState permission without touching the alarm further', async () => {
    cloudWatch
      .on(SetAlarmStateCommand)
      .rejects(
        accessDenied(
          'cloudwatch:SetAlarmState',
          `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${ALARMS.errorRate}`,
        ),
      );
    const { code, checks } = await runDrill(['--alarm', 'orbit-error-rate']);
    expect(checks[`drill:${ALARMS.errorRate}`]).toMatchObject({
      status: 'error',
      permission: 'cloudwatch:SetAlarmState',
    });
    expect(code).toBe(1);
  });

  it('fails a notification that lands on the dead-letter queue', async () => {
    sqs
      .on(GetQueueAttributesCommand)
      .resolvesOnce({ Attributes: { ApproximateNumberOfMessages: '2' } })
      .resolves({ Attributes: { ApproximateNumberOfMessages: '3' } });
    cloudWatch.on(GetMetricDataCommand).resolves(deliveries(0, 1));
    const { checks } = await runDrill(['--alarm', 'orbit-error-rate']);
    expect(checks[`delivery:${PREFIX}-alarms-critical`]).toMatchObject({
      status: 'fail',
      detail: '0 delivered (expected >= 1), 1 failed, 1 dead-lettered',
    });
  });

  it('fails when no delivery shows up within its bound', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves(deliveries(0));
    const { checks } = await runDrill(['--alarm', 'orbit-error-rate']);
    expect(checks[`delivery:${PREFIX}-alarms-critical`]).toMatchObject({
      status: 'fail',
      detail: 'fewer than 1 deliveries reported within 10 min',
    });
  });

  it('does not force an alarm that is already in ALARM', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves(alarms('ALARM'));
    const { checks } = await runDrill(['--alarm', 'orbit-error-rate']);
    expect(checks[`drill:${ALARMS.errorRate}`]?.status).toBe('error');
    expect(states()).toEqual([]);
  });

  it('reports a denied alarm listing as one failed row (exit 1)', async () => {
    cloudWatch.on(DescribeAlarmsCommand).rejects(accessDenied('cloudwatch:DescribeAlarms'));
    const { code, report } = await runDrill();
    expect(report.checks).toEqual([
      expect.objectContaining({ id: 'discover', status: 'error', permission: 'cloudwatch:DescribeAlarms' }),
    ]);
    expect(code).toBe(1);
  });
});

describe('forced alarms', () => {
  it('resets every alarm still forced, as the entry point does on SIGINT/SIGTERM', async () => {
    cloudWatch.reset();
    cloudWatch.on(SetAlarmStateCommand).resolves({});
    const forced = new ForcedAlarms();
    const client = new CloudWatchClient({ region: REGION });
    forced.add(ALARMS.errorRate, client);
    forced.add(ALARMS.cpu, client);
    forced.delete(ALARMS.cpu);
    expect(await forced.resetAll()).toEqual([ALARMS.errorRate]);
    expect(states()).toEqual([[ALARMS.errorRate, 'OK']]);
    expect(await forced.resetAll()).toEqual([]);
  });
});
