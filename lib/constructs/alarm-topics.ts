import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge, acknowledgeGuard } from '../nag.js';
import { StackSection } from './stack-section.js';

export interface AlarmTopicsProps {
  /** Names the topics (`<prefix>-alarms-<severity>`). */
  readonly prefix: string;
  readonly environment: string;
  /** Encrypts the topics and the undelivered-notification queue. */
  readonly key: kms.IKey;
  /** Subscribed to both topics. */
  readonly email: string;
  /** Subscribed to the critical topic (a pager or chat webhook). */
  readonly webhookUrl?: string;
}

/**
 * The two alarm topics (critical pages, warning notifies), their subscriptions, and the queue
 * where notifications SNS could not deliver (bounced e-mail, webhook down) wait for two weeks.
 */
export class AlarmTopics extends StackSection {
  readonly critical: sns.Topic;
  readonly warning: sns.Topic;
  readonly undelivered: sqs.Queue;

  constructor(scope: Construct, id: string, props: AlarmTopicsProps) {
    super(scope, id);
    this.undelivered = new sqs.Queue(this, 'UndeliveredAlarms', {
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const rule of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
      acknowledge(
        this.undelivered,
        rule,
        'This queue is itself the dead-letter queue of the alarm subscriptions.',
      );
    }
    acknowledgeGuard(
      this.undelivered,
      'sqs_dlq_check',
      'CT.SQS.PR.1: this queue is itself the dead-letter queue of the alarm subscriptions.',
    );
    this.critical = this.topic('Critical', 'critical', props);
    this.warning = this.topic('Warning', 'warning', props);
    if (props.webhookUrl) {
      this.critical.addSubscription(
        new subscriptions.UrlSubscription(props.webhookUrl, { deadLetterQueue: this.undelivered }),
      );
    }
  }

  private topic(id: string, severity: string, props: AlarmTopicsProps): sns.Topic {
    const topic = new sns.Topic(this, `${id}Topic`, {
      topicName: `${props.prefix}-alarms-${severity}`,
      displayName: `Axon/Orbit ${props.environment} ${severity} alarms`,
      masterKey: props.key,
      enforceSSL: true,
    });
    topic.addSubscription(
      new subscriptions.EmailSubscription(props.email, { deadLetterQueue: this.undelivered }),
    );
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAndBudgetsPublish',
        principals: [
          new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
          new iam.ServicePrincipal('budgets.amazonaws.com'),
        ],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    return topic;
  }
}
