import type { StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import type { AlarmFactory } from '../constructs/alarm-factory.js';
import { AlarmTopics } from '../constructs/alarm-topics.js';
import { CostBudget } from '../constructs/cost-budget.js';
import { LogArchive } from '../constructs/log-archive.js';
import type { ObservedPlatform } from '../constructs/observed-platform.js';
import { PlatformAlarms } from '../constructs/platform-alarms.js';
import { PlatformDashboard } from '../constructs/platform-dashboard.js';
import { SavedQueries } from '../constructs/saved-queries.js';
import { SloReportSchedule } from '../constructs/slo-report-schedule.js';
import { SectionedStack } from '../constructs/stack-section.js';

export interface ObservabilityStackProps extends StackProps, ObservedPlatform {
  readonly config: EnvironmentConfig;
  /** Encrypts the alarm topics; its policy lets CloudWatch and Budgets publish. */
  readonly alarmsKey: kms.IKey;
  /** Encrypts the log archive. */
  readonly logsKey: kms.IKey;
  /** Where the weekly SLO report function runs. */
  readonly vpc: ec2.IVpc;
  readonly functionSubnets: ec2.SubnetSelection;
}

/**
 * What on-call sees and is paged by: two alarm topics (critical pages, warning notifies), every
 * alarm through one factory, a "platform unhealthy" composite, one dashboard, saved Logs Insights
 * queries, a log archive, the cost budget and the weekly SLO report.
 */
export class ObservabilityStack extends SectionedStack {
  readonly criticalTopic: sns.Topic;
  readonly warningTopic: sns.Topic;
  readonly alarms: AlarmFactory;
  readonly dashboard: cloudwatch.Dashboard;
  readonly composite: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { prefix, name: environment } = config;

    const topics = new AlarmTopics(this, 'AlarmTopics', {
      prefix,
      environment,
      key: props.alarmsKey,
      email: config.alarmEmail,
      webhookUrl: config.observability.webhookUrl,
    });
    this.criticalTopic = topics.critical;
    this.warningTopic = topics.warning;

    const alarms = new PlatformAlarms(this, 'PlatformAlarms', {
      prefix,
      environment,
      thresholds: config.observability.alarms,
      criticalTopic: topics.critical,
      warningTopic: topics.warning,
      platform: props,
    });
    this.alarms = alarms.factory;
    this.composite = alarms.composite;

    this.dashboard = new PlatformDashboard(this, 'PlatformDashboard', {
      environment,
      prefix,
      platform: props,
      alarms: alarms.all,
    }).dashboard;
    new SavedQueries(this, 'SavedQueries', { prefix, platform: props });

    const archive = new LogArchive(this, 'LogArchive', {
      key: props.logsKey,
      removalPolicy: removalPolicyOf(config),
      glacierAfterDays: config.observability.logArchive.glacierAfterDays,
      expireAfterDays: config.observability.logArchive.expireAfterDays,
    });
    archive.archive(props.orbit.logGroup, 'Orbit');
    archive.archive(props.axon.logGroup, 'Axon');
    archive.archive(props.governance.decisionLogGroup, 'Governance');

    new CostBudget(this, 'CostBudget', { config, topic: topics.warning });
    new SloReportSchedule(this, 'SloReport', {
      config,
      loadBalancer: props.orbit.loadBalancer,
      summaryTopic: topics.warning,
      archiveBucket: archive.bucket,
      logsKey: props.logsKey,
      alarms: alarms.factory,
      vpc: props.vpc,
      vpcSubnets: props.functionSubnets,
    });
  }
}
