import {
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  GetMetricDataCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { OPERATOR_PERMISSIONS } from '../../contracts/operator-permissions.js';
import { deployedAlarmNames, describeAlarms, type LiveAlarm } from './alarms.js';
import { type Check, type CheckOutcome, error, fail, pass } from './checks.js';
import { type CommandContext, type OperatorCommand, UsageError } from './cli.js';
import { pollUntil } from './poll.js';
import { deadLetterQueueOf, isConfirmed, subscriptionOutcome, subscriptionsOf } from './subscriptions.js';

/** CloudWatch records the alarm action within seconds of the state change. */
export const ACTION_POLL = { intervalMs: 5_000, timeoutMs: 120_000 } as const;
/** SNS publishes its delivery metrics per minute, a few minutes late. */
export const DELIVERY_POLL = { intervalMs: 30_000, timeoutMs: 600_000 } as const;

const REASON =
  'Alarm drill (npm run drill): checks that this alarm reaches its topic; reset to OK right after.';

/** What the drill learns per topic before forcing any alarm, and what it sends to it. */
interface TopicState {
  readonly arn: string;
  subscriptions: CheckOutcome | undefined;
  confirmed: number;
  deadLetterQueues: string[];
  /** Messages waiting in each dead-letter queue before the drill. */
  baseline: Map<string, number>;
  notified: number;
}

/**
 * Alarms forced into ALARM and not yet reset. The entry point resets them on SIGINT/SIGTERM, where
 * `finally` blocks do not run.
 */
export class ForcedAlarms {
  private readonly forced = new Map<string, CloudWatchClient>();

  add(name: string, cloudWatch: CloudWatchClient): void {
    this.forced.set(name, cloudWatch);
  }

  delete(name: string): void {
    this.forced.delete(name);
  }

  async resetAll(): Promise<string[]> {
    const names = [...this.forced.keys()];
    await Promise.all(
      [...this.forced].map(([name, cloudWatch]) =>
        cloudWatch.send(
          new SetAlarmStateCommand({
            AlarmName: name,
            StateValue: 'OK',
            StateReason: `${REASON} (interrupted)`,
          }),
        ),
      ),
    );
    this.forced.clear();
    return names;
  }
}

const isTopic = (arn: string) => arn.startsWith('arn:') && arn.split(':')[2] === 'sns';
const topicName = (arn: string) => arn.split(':').pop() ?? arn;

/** An alarm by full name or by the part after `<prefix>-<severity>-` (e.g. `orbit-error-rate`). */
function selectAlarms(
  drillable: readonly LiveAlarm[],
  wanted: string | undefined,
  prefix: string,
): LiveAlarm[] {
  if (wanted === undefined) return [...drillable];
  const match = drillable.filter(
    (a) => a.name === wanted || a.name.replace(new RegExp(`^${prefix}-(critical|warning)-`), '') === wanted,
  );
  if (match.length === 1) return match;
  throw new UsageError(`unknown alarm "${wanted}"; valid alarms: ${drillable.map((a) => a.name).join(', ')}`);
}

async function queueDepth(sqs: SQSClient, queueArn: string): Promise<number> {
  const [, , , , account, name] = queueArn.split(':');
  const { QueueUrl } = await sqs.send(
    new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
  );
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
}

function subscriptionCheck(ctx: CommandContext, topic: TopicState): Check {
  return {
    id: `subscriptions:${topicName(topic.arn)}`,
    title: `${topicName(topic.arn)} has confirmed subscribers`,
    async run() {
      const subscriptions = await subscriptionsOf(ctx.aws.sns, topic.arn);
      const confirmed = subscriptions.filter(isConfirmed);
      topic.subscriptions = subscriptionOutcome(topic.arn, subscriptions);
      topic.confirmed = confirmed.length;
      const queues = await Promise.all(
        confirmed.map((s) => deadLetterQueueOf(ctx.aws.sns, s.SubscriptionArn ?? '')),
      );
      topic.deadLetterQueues = [...new Set(queues.filter((q): q is string => q !== undefined))];
      for (const queue of topic.deadLetterQueues)
        topic.baseline.set(queue, await queueDepth(ctx.aws.sqs, queue));
      return topic.subscriptions;
    },
  };
}

function alarmDrill(
  ctx: CommandContext,
  alarm: LiveAlarm,
  topics: readonly TopicState[],
  forced: ForcedAlarms,
): Check {
  return {
    id: `drill:${alarm.name}`,
    title: `${alarm.name} → ALARM → its topics → OK`,
    async run() {
      const unsubscribed = topics.filter((t) => t.subscriptions?.status !== 'pass');
      if (unsubscribed.length > 0) {
        return fail(
          `not drilled: ${unsubscribed.map((t) => topicName(t.arn)).join(', ')} would page nobody`,
          'confirm the topic subscriptions (see the subscriptions rows), then drill again',
        );
      }
      if (alarm.state === 'ALARM') {
        return error(
          'already in ALARM: a drill would prove nothing and hide the real state',
          'handle the alarm (docs/runbook.md), then drill it',
        );
      }
      const cloudWatch = ctx.aws.cloudWatch;
      const start = ctx.clock.now();
      forced.add(alarm.name, cloudWatch);
      try {
        await cloudWatch.send(
          new SetAlarmStateCommand({ AlarmName: alarm.name, StateValue: 'ALARM', StateReason: REASON }),
        );
        const results = await pollUntil(
          async () => {
            const history = await cloudWatch.send(
              new DescribeAlarmHistoryCommand({
                AlarmName: alarm.name,
                HistoryItemType: 'Action',
                StartDate: start,
              }),
            );
            const summaries = (history.AlarmHistoryItems ?? []).map((h) => h.HistorySummary ?? '');
            const outcome = topics.map((t) => ({
              topic: t,
              ok: summaries.some((s) => s.startsWith('Successfully executed action') && s.includes(t.arn)),
              failed: summaries.find((s) => s.startsWith('Failed to execute action') && s.includes(t.arn)),
            }));
            return outcome.every((o) => o.ok || o.failed) ? outcome : undefined;
          },
          { clock: ctx.clock, ...ACTION_POLL },
        );
        if (!results) {
          return fail(
            `no alarm action recorded within ${ACTION_POLL.timeoutMs / 1000} s`,
            `check the alarm's actions: aws cloudwatch describe-alarm-history --alarm-name ${alarm.name}`,
          );
        }
        const failed = results.filter((r) => r.failed);
        if (failed.length > 0) {
          return fail(
            failed.map((r) => r.failed).join('; '),
            'CloudWatch could not publish: check the topic policy and the alarms key policy (cloudwatch.amazonaws.com)',
          );
        }
        for (const r of results) r.topic.notified += 1;
        return pass(`published to ${topics.map((t) => topicName(t.arn)).join(', ')}; reset to OK`);
      } finally {
        await cloudWatch.send(
          new SetAlarmStateCommand({
            AlarmName: alarm.name,
            StateValue: 'OK',
            StateReason: `${REASON} Done.`,
          }),
        );
        forced.delete(alarm.name);
      }
    },
  };
}

async function deliveredSince(cloudWatch: CloudWatchClient, topic: string, start: Date, end: Date) {
  const metric = (id: string, name: string) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/SNS', MetricName: name, Dimensions: [{ Name: 'TopicName', Value: topic }] },
      Period: 60,
      Stat: 'Sum',
    },
  });
  const data = await cloudWatch.send(
    new GetMetricDataCommand({
      StartTime: start,
      EndTime: end,
      MetricDataQueries: [
        metric('delivered', 'NumberOfNotificationsDelivered'),
        metric('failed', 'NumberOfNotificationsFailed'),
      ],
    }),
  );
  const sum = (id: string) =>
    (data.MetricDataResults?.find((r) => r.Id === id)?.Values ?? []).reduce((total, v) => total + v, 0);
  return { delivered: sum('delivered'), failed: sum('failed') };
}

function deliveryCheck(ctx: CommandContext, topic: TopicState, start: Date): Check {
  const name = topicName(topic.arn);
  return {
    id: `delivery:${name}`,
    title: `${name} delivered the drill notifications, none dead-lettered`,
    async run() {
      if (topic.notified === 0)
        return fail('no drilled alarm reached this topic', 'see the drill rows above');
      // Each drilled alarm notifies every confirmed subscriber at least once (ALARM; OK adds more).
      const expected = topic.notified * topic.confirmed;
      const seen = await pollUntil(
        async () => {
          const now = ctx.clock.now();
          const counts = await deliveredSince(ctx.aws.cloudWatch, name, start, now);
          const depths = await Promise.all(topic.deadLetterQueues.map((q) => queueDepth(ctx.aws.sqs, q)));
          const deadLettered = depths.reduce(
            (sum, d, i) => sum + Math.max(0, d - (topic.baseline.get(topic.deadLetterQueues[i] ?? '') ?? 0)),
            0,
          );
          const settled = counts.failed > 0 || deadLettered > 0 || counts.delivered >= expected;
          return settled ? { ...counts, deadLettered } : undefined;
        },
        { clock: ctx.clock, ...DELIVERY_POLL },
      );
      if (!seen) {
        return fail(
          `fewer than ${expected} deliveries reported within ${DELIVERY_POLL.timeoutMs / 60_000} min`,
          `check AWS/SNS NumberOfNotificationsDelivered for ${name} and the subscribers' inboxes`,
        );
      }
      const detail = `${seen.delivered} delivered (expected >= ${expected}), ${seen.failed} failed, ${seen.deadLettered} dead-lettered`;
      if (seen.failed > 0 || seen.deadLettered > 0) {
        return fail(
          detail,
          `read the dead-letter queue (${topic.deadLetterQueues.join(', ') || 'none'}) for the endpoint's error and fix the subscription`,
        );
      }
      return pass(detail);
    },
  };
}

/**
 * The alarm drill: topics' subscriptions first (a topic nobody confirmed fails the drill), then each
 * alarm forced to ALARM and back to OK, one at a time, then each topic's delivery evidence.
 */
export function createDrillCommand(forced: ForcedAlarms): OperatorCommand {
  return {
    name: 'drill',
    summary:
      'Alarm drill: forces each alarm (or one) to ALARM with SetAlarmState, waits for the notification to be delivered (SNS metrics; dead-letter queue = failure) and resets it to OK.',
    options: {
      alarm: { type: 'string', usage: 'drill only this alarm (full name or e.g. orbit-error-rate)' },
    },
    sequential: true,
    permissions: OPERATOR_PERMISSIONS.drill,
    async checks(ctx, options) {
      const live = await describeAlarms(ctx.aws.cloudWatch, await deployedAlarmNames(ctx.stacks));
      // Alarms without a topic (the deployment-rollback ones) page nobody, and forcing them could
      // roll back a deployment in progress: they are not drilled.
      const drillable = live.filter((a) => a.alarmActions.some(isTopic));
      const selected = selectAlarms(drillable, options.alarm, ctx.config.prefix);
      const topics = new Map<string, TopicState>();
      for (const arn of selected.flatMap((a) => a.alarmActions.filter(isTopic))) {
        if (!topics.has(arn)) {
          topics.set(arn, {
            arn,
            subscriptions: undefined,
            confirmed: 0,
            deadLetterQueues: [],
            baseline: new Map(),
            notified: 0,
          });
        }
      }
      const topicsOf = (a: LiveAlarm) =>
        a.alarmActions.filter(isTopic).map((arn) => topics.get(arn) as TopicState);
      // SNS metrics are per-minute buckets stamped at the minute's start.
      const start = new Date(Math.floor(ctx.clock.now().getTime() / 60_000) * 60_000);
      return [
        ...[...topics.values()].map((t) => subscriptionCheck(ctx, t)),
        ...selected.map((a) => alarmDrill(ctx, a, topicsOf(a), forced)),
        ...[...topics.values()].map((t) => deliveryCheck(ctx, t, start)),
      ];
    },
  };
}
