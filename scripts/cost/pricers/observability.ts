import { METRICS } from '../../../contracts/metrics.js';
import type { Resource } from '../assembly.js';
import {
  DAYS_PER_MONTH,
  HOURS_PER_MONTH,
  type LineItem,
  NEVER_EXPIRES_DAYS,
  type Pricer,
  type PricingContext,
  STAGE_WIDE,
} from '../model.js';

interface AlarmMetric {
  readonly Expression?: string;
  readonly MetricStat?: { Period?: number };
}

/**
 * Metrics an alarm is billed for: each metric it reads, two more per anomaly detection band
 * (the band's upper and lower bound), at the high-resolution rate when its period is under a minute.
 */
function alarmMetrics(alarm: Resource): { count: number; highResolution: boolean } {
  const metrics = (alarm.properties.Metrics ?? []) as AlarmMetric[];
  if (metrics.length === 0) {
    return { count: 1, highResolution: Number(alarm.properties.Period ?? 60) < 60 };
  }
  const read = metrics.filter((metric) => metric.MetricStat).length;
  const bands = metrics.filter((metric) => metric.Expression?.includes('ANOMALY_DETECTION_BAND')).length;
  const highResolution = metrics.some((metric) => Number(metric.MetricStat?.Period ?? 60) < 60);
  return { count: read + 2 * bands, highResolution };
}

function retentionDays(group: Resource): number {
  const days = group.properties.RetentionInDays;
  return typeof days === 'number' ? Math.min(days, NEVER_EXPIRES_DAYS) : NEVER_EXPIRES_DAYS;
}

function logGroupLines(context: PricingContext, group: Resource): LineItem[] {
  const { volumes, usage } = context;
  const ingested = volumes.logIngestGb(group);
  const vended = volumes.logVendedGb(group);
  const days = retentionDays(group);
  return [
    context.line(group, 'ingestion GB', ingested, 'logs.ingest.gb'),
    ...(vended > 0 ? [context.line(group, 'vended (flow log) ingestion GB', vended, 'logs.vended.gb')] : []),
    context.line(
      group,
      `stored GB-months (${days} days retention, ${usage.logCompression} compression)`,
      ((ingested + vended) * usage.logCompression * days) / DAYS_PER_MONTH,
      'logs.storage.gbMonth',
    ),
  ];
}

/** GB one month of runs of a saved Logs Insights query scans, over the log groups it names (in any stack). */
function insightsLines(context: PricingContext, query: Resource): LineItem[] {
  const { graph, volumes, usage } = context;
  const groups = ((query.properties.LogGroupNames ?? []) as unknown[])
    .map((name) => graph.resolve(query, name))
    .filter((group): group is Resource => group !== undefined);
  const gbPerHour =
    groups.reduce((sum, group) => sum + volumes.logIngestGb(group) + volumes.logVendedGb(group), 0) /
    HOURS_PER_MONTH;
  const scanned = gbPerHour * usage.insightsHoursPerQuery * usage.insightsQueriesPerMonth;
  return [
    context.line(
      query,
      `GB scanned (${usage.insightsQueriesPerMonth} runs × ${usage.insightsHoursPerQuery} h of ${groups.length} log groups)`,
      scanned,
      'logs.insights.gb',
    ),
  ];
}

/** Custom metrics the platform emits (the EMF metric catalogue) plus one per metric filter transformation. */
function customMetricLines(context: PricingContext): LineItem[] {
  const emf = Object.values(METRICS).reduce((sum, metrics) => sum + Object.keys(metrics).length, 0);
  const lines = [
    context.line(
      { ...STAGE_WIDE, type: 'CloudWatch custom metrics (EMF catalogue)' },
      'metric-months',
      emf,
      'cloudwatch.metric.month',
    ),
  ];
  for (const filter of context.graph.ofType('AWS::Logs::MetricFilter')) {
    const transformations = ((filter.properties.MetricTransformations ?? []) as unknown[]).length;
    lines.push(context.line(filter, 'metric-months', transformations, 'cloudwatch.metric.month'));
  }
  return lines;
}

/** CloudWatch alarms, dashboards, custom metrics, log ingestion/storage, Logs Insights, Firehose and SNS. */
export const observabilityPricer: Pricer = {
  types: [
    'AWS::CloudWatch::Alarm',
    'AWS::CloudWatch::CompositeAlarm',
    'AWS::CloudWatch::Dashboard',
    'AWS::Logs::LogGroup',
    'AWS::Logs::MetricFilter',
    'AWS::Logs::QueryDefinition',
    'AWS::EC2::FlowLog',
    'AWS::KinesisFirehose::DeliveryStream',
    'AWS::SNS::Topic',
  ],
  price(context) {
    const { graph, usage, volumes } = context;
    const lines: LineItem[] = [];
    for (const alarm of graph.ofType('AWS::CloudWatch::Alarm')) {
      const { count, highResolution } = alarmMetrics(alarm);
      lines.push(
        context.line(
          alarm,
          `alarm metric-months${highResolution ? ' (high resolution)' : ''}`,
          count,
          highResolution ? 'cloudwatch.alarm.highResMetric' : 'cloudwatch.alarm.metric',
        ),
      );
    }
    for (const alarm of graph.ofType('AWS::CloudWatch::CompositeAlarm')) {
      lines.push(context.line(alarm, 'composite alarm-months', 1, 'cloudwatch.alarm.composite'));
    }
    for (const dashboard of graph.ofType('AWS::CloudWatch::Dashboard')) {
      lines.push(context.line(dashboard, 'dashboard-months', 1, 'cloudwatch.dashboard.month'));
    }
    lines.push(...customMetricLines(context));
    for (const group of graph.ofType('AWS::Logs::LogGroup')) lines.push(...logGroupLines(context, group));
    for (const query of graph.ofType('AWS::Logs::QueryDefinition'))
      lines.push(...insightsLines(context, query));
    for (const stream of graph.ofType('AWS::KinesisFirehose::DeliveryStream')) {
      lines.push(
        context.line(
          stream,
          'GB ingested (subscribed log groups)',
          volumes.firehoseGb(stream),
          'firehose.directPut.gb',
        ),
      );
    }
    for (const topic of graph.ofType('AWS::SNS::Topic')) {
      const emails = graph
        .ofType('AWS::SNS::Subscription')
        .filter((subscription) => subscription.properties.Protocol === 'email')
        .filter((subscription) => {
          const target = graph.resolve(subscription, subscription.properties.TopicArn);
          return target?.stack === topic.stack && target.logicalId === topic.logicalId;
        }).length;
      lines.push(
        context.line(topic, 'publishes', usage.alarmNotificationsPerMonth, 'sns.publish.request'),
        context.line(
          topic,
          `email deliveries (${emails} subscriptions)`,
          usage.alarmNotificationsPerMonth * emails,
          'sns.email.notification',
        ),
      );
    }
    return { lines };
  },
};
