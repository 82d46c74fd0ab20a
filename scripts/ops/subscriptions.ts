import {
  GetSubscriptionAttributesCommand,
  paginateListSubscriptionsByTopic,
  type SNSClient,
  type Subscription,
} from '@aws-sdk/client-sns';
import { type CheckOutcome, fail, pass } from './checks.js';

/** SNS's placeholder ARN for a subscription its endpoint has not confirmed yet. */
const PENDING = 'PendingConfirmation';

export async function subscriptionsOf(sns: SNSClient, topicArn: string): Promise<Subscription[]> {
  const subscriptions: Subscription[] = [];
  for await (const page of paginateListSubscriptionsByTopic({ client: sns }, { TopicArn: topicArn })) {
    subscriptions.push(...(page.Subscriptions ?? []));
  }
  return subscriptions;
}

export const isConfirmed = (s: Subscription): boolean =>
  s.SubscriptionArn !== undefined && s.SubscriptionArn !== PENDING && s.SubscriptionArn !== 'Deleted';

/**
 * A topic delivers only to confirmed subscriptions: one without any, or with an unconfirmed one,
 * pages nobody (or fewer people than the runbook says).
 */
export function subscriptionOutcome(topicArn: string, subscriptions: readonly Subscription[]): CheckOutcome {
  const topic = topicArn.split(':').pop() ?? topicArn;
  if (subscriptions.length === 0) {
    return fail(
      `${topic} has no subscribers: its alarms notify nobody`,
      'subscribe the on-call address or pager (alarmEmail / <ENV>_ALARM_EMAIL in lib/config) and redeploy',
    );
  }
  const pending = subscriptions.filter((s) => !isConfirmed(s));
  if (pending.length > 0) {
    const endpoints = pending.map((s) => `${s.Protocol}:${s.Endpoint}`).join(', ');
    return fail(
      `${topic}: ${pending.length} of ${subscriptions.length} subscriptions pending confirmation (${endpoints})`,
      'open the "AWS Notification - Subscription Confirmation" message and confirm, or resend it from the SNS console',
    );
  }
  return pass(
    `${topic}: ${subscriptions.length} confirmed (${subscriptions.map((s) => s.Protocol).join(', ')})`,
  );
}

/** The dead-letter queue ARN a subscription redrives undeliverable messages to, if any. */
export async function deadLetterQueueOf(
  sns: SNSClient,
  subscriptionArn: string,
): Promise<string | undefined> {
  const attributes = await sns.send(
    new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }),
  );
  const redrive = attributes.Attributes?.RedrivePolicy;
  if (!redrive) return undefined;
  const parsed = JSON.parse(redrive) as { deadLetterTargetArn?: string };
  return parsed.deadLetterTargetArn;
}
