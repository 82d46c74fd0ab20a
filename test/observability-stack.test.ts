import { describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { OBSERVABILITY } from '../lib/config/observability.js';
import { stackTemplate } from './support/assembly.js';
import { ALARM_WEBHOOK_URL as WEBHOOK } from './support/platform.js';

const prod = stackTemplate('prod', 'Observability');
const dev = stackTemplate('dev', 'Observability');

type Alarm = { Properties: Record<string, unknown> & { AlarmName: string } };
const alarms = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')) as Alarm[];
const alarmNamed = (t: Template, name: string) => {
  const found = alarms(t).find((a) => a.Properties.AlarmName === name);
  if (!found) throw new Error(`no alarm ${name}`);
  return found.Properties;
};
const topicIdOf = (t: Template, severity: string) => {
  const [id] =
    Object.entries(t.findResources('AWS::SNS::Topic')).find(
      ([, r]) =>
        (r as { Properties: { TopicName: string } }).Properties.TopicName ===
        `axon-orbit-prod-alarms-${severity}`,
    ) ?? [];
  if (!id) throw new Error(`no ${severity} topic`);
  return id;
};

const CRITICAL = [
  'orbit-no-healthy-targets',
  'orbit-tasks-below-desired',
  'axon-tasks-below-desired',
  'orbit-error-rate',
  'orbit-latency-p99',
  'governance-throttles',
  'secret-rotation-failed',
];
const WARNING = [
  'orbit-cpu-high',
  'orbit-memory-high',
  'axon-cpu-high',
  'axon-memory-high',
  'governance-concurrency-near-reserved',
  'governance-errors',
  'governance-denial-spike',
  'orbit-breaker-opened',
  'orbit-callers-throttled',
  'axon-signature-rejects',
  'axon-decision-token-rejects',
  'axon-replay-store-unavailable',
  'policy-table-throttles',
  'policy-admin-errors',
  'slo-report-failed',
];

describe('ObservabilityStack: alarms', () => {
  const thresholds = OBSERVABILITY.prod.alarms;

  it('creates every alarm once, named <prefix>-<severity>-<name>', () => {
    const names = alarms(prod)
      .map((a) => a.Properties.AlarmName)
      .sort();
    const expected = [
      ...CRITICAL.map((n) => `axon-orbit-prod-critical-${n}`),
      ...WARNING.map((n) => `axon-orbit-prod-warning-${n}`),
    ].sort();
    expect(names).toEqual(expected);
  });

  it('sends critical alarms to the paging topic and warnings to the notification topic, on alarm and on recovery', () => {
    const critical = topicIdOf(prod, 'critical');
    const warning = topicIdOf(prod, 'warning');
    for (const alarm of alarms(prod)) {
      const topic = alarm.Properties.AlarmName.includes('-critical-') ? critical : warning;
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.OKActions).toEqual([{ Ref: topic }]);
      expect(alarm.Properties.AlarmDescription).toMatch(/Runbook: docs\/runbook.md#[a-z0-9-]+$/);
    }
  });

  it('pages on an error rate above the configured percentage of requests (5xx from Orbit or the ALB)', () => {
    const alarm = alarmNamed(prod, 'axon-orbit-prod-critical-orbit-error-rate');
    expect(alarm.Threshold).toBe(thresholds.errorRatePercent);
    const expression = (alarm.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression;
    expect(expression).toBe('100 * (FILL(t5, 0) + FILL(e5, 0)) / MAX([requests, 1])');
  });

  it('pages on p99 latency above the configured milliseconds', () => {
    expect(alarmNamed(prod, 'axon-orbit-prod-critical-orbit-latency-p99')).toMatchObject({
      Threshold: thresholds.latencyP99Ms / 1000,
      ExtendedStatistic: 'p99',
      MetricName: 'TargetResponseTime',
    });
  });

  it('pages when a service runs fewer tasks than desired, or Orbit has no healthy target', () => {
    const axonDown = alarmNamed(prod, 'axon-orbit-prod-critical-axon-tasks-below-desired');
    expect((axonDown.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression).toBe(
      'desired - running',
    );
    const noTargets = alarmNamed(prod, 'axon-orbit-prod-critical-orbit-no-healthy-targets');
    expect(noTargets).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    // Blue and green both count: ECS swaps them at every deployment.
    expect((noTargets.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression).toBe(
      'FILL(blue, 0) + FILL(green, 0)',
    );
  });

  it('warns at the configured CPU and memory utilisation', () => {
    for (const name of ['orbit-cpu-high', 'axon-cpu-high', 'orbit-memory-high', 'axon-memory-high']) {
      expect(alarmNamed(prod, `axon-orbit-prod-warning-${name}`).Threshold).toBe(
        thresholds.resourceUtilisationPercent,
      );
    }
  });

  it('warns when governance concurrency nears its reservation', () => {
    const [decisionFunction, ...others] = Object.values(
      stackTemplate('prod', 'Governance').findResources('AWS::Lambda::Function', {
        Properties: { ReservedConcurrentExecutions: Match.anyValue() },
      }),
    ) as { Properties: { ReservedConcurrentExecutions: number } }[];
    expect(others).toEqual([]);
    expect(alarmNamed(prod, 'axon-orbit-prod-warning-governance-concurrency-near-reserved').Threshold).toBe(
      ((decisionFunction?.Properties.ReservedConcurrentExecutions ?? 0) *
        thresholds.concurrencyOfReservedPercent) /
        100,
    );
  });

  it('detects denial spikes with an anomaly band of the configured width', () => {
    const alarm = alarmNamed(prod, 'axon-orbit-prod-warning-governance-denial-spike');
    expect(alarm.ComparisonOperator).toBe('GreaterThanUpperThreshold');
    const band = (alarm.Metrics as { Expression?: string }[]).find((m) => m.Expression)?.Expression;
    expect(band).toMatch(new RegExp(`^ANOMALY_DETECTION_BAND\\(\\w+, ${thresholds.denialAnomalyBand}\\)$`));
  });

  it('pages on any failed rotation step or governance throttle', () => {
    expect(alarmNamed(prod, 'axon-orbit-prod-critical-secret-rotation-failed')).toMatchObject({
      MetricName: 'Errors',
      Threshold: 0,
    });
    expect(alarmNamed(prod, 'axon-orbit-prod-critical-governance-throttles')).toMatchObject({
      MetricName: 'Throttles',
      Threshold: 0,
    });
  });

  it('warns when callers are throttled beyond the configured count in 5 minutes (the total, without the Caller dimension)', () => {
    expect(alarmNamed(prod, 'axon-orbit-prod-warning-orbit-callers-throttled')).toMatchObject({
      Namespace: 'AxonOrbit',
      MetricName: 'CallerThrottled',
      Dimensions: [
        { Name: 'Environment', Value: 'prod' },
        { Name: 'Service', Value: 'orbit' },
      ],
      Statistic: 'Sum',
      Period: 300,
      Threshold: thresholds.throttledCallersPer5Min,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('raises one "platform unhealthy" composite over every critical alarm', () => {
    const composite = Object.values(prod.findResources('AWS::CloudWatch::CompositeAlarm'));
    expect(composite).toHaveLength(1);
    const rule = JSON.stringify(
      (composite[0] as { Properties: { AlarmRule: unknown } }).Properties.AlarmRule,
    );
    expect(rule.match(/ALARM\(/g)).toHaveLength(CRITICAL.length);
    prod.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', {
      AlarmName: 'axon-orbit-prod-critical-platform-unhealthy',
      AlarmActions: [{ Ref: topicIdOf(prod, 'critical') }],
    });
  });
});

describe('ObservabilityStack: topics', () => {
  it('encrypts both topics, enforces TLS and subscribes the alarm e-mail with a dead-letter queue', () => {
    prod.resourceCountIs('AWS::SNS::Topic', 2);
    prod.allResourcesProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    prod.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'platform-oncall@example.com',
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
    });
    prod.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('subscribes the pager webhook to critical alarms only, when one is configured', () => {
    prod.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'https',
      Endpoint: WEBHOOK,
      TopicArn: { Ref: topicIdOf(prod, 'critical') },
    });
    expect(
      Object.keys(dev.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'https' } })),
    ).toEqual([]);
  });
});

describe('ObservabilityStack: dashboard, queries, logs, budget', () => {
  const body = JSON.stringify(prod.findResources('AWS::CloudWatch::Dashboard'));

  it.each([
    'Alarms',
    'Dispatch requests and 5xx (ALB)',
    'Dispatch error rate % (5xx of requests)',
    'Dispatch latency (ALB target response time, s)',
    'ALB target health',
    'Tasks running vs desired',
    'CPU utilisation %',
    'Memory utilisation %',
    'Orbit to Axon latency (ms)',
    'Governance latency seen by Orbit (ms)',
    'Denials and breaker',
    'Governance Lambda errors and throttles',
    'Governance Lambda duration (ms)',
    'Governance Lambda concurrency',
    'Policy table throttles',
    'Latest errors (all services)',
    'Top throttled callers (429 per caller, 5 min)',
    'Refused callers',
  ])('has the dashboard widget "%s"', (title) => {
    expect(body).toContain(JSON.stringify(title).slice(1, -1).replace(/"/g, '\\"'));
  });

  it('ranks the ten most throttled callers with a SEARCH over the per-caller CallerThrottled metric', () => {
    // Quotes inside the SEARCH are escaped twice in the template (dashboard JSON inside CloudFormation JSON).
    expect(body).toMatch(
      /SORT\(SEARCH\('\{AxonOrbit,Caller,Environment,Service\} MetricName=\W+CallerThrottled\W+ Service=\W+orbit\W+ Environment=\W+prod\W+', 'Sum', 300\), SUM, DESC, 10\)/,
    );
  });

  it('plots the WAF backstop: BlockedRequests of the rate rule and AllowedRequests of the web ACL, by WebACL, Rule and Region', () => {
    const [acl] = Object.values(stackTemplate('prod', 'Services').findResources('AWS::WAFv2::WebACL')) as {
      Properties: {
        VisibilityConfig: { MetricName: string };
        Rules: { VisibilityConfig: { MetricName: string } }[];
      };
    }[];
    const webAcl = acl?.Properties.VisibilityConfig.MetricName;
    const rule = acl?.Properties.Rules[0]?.VisibilityConfig.MetricName;
    expect(webAcl).toBe('axon-orbit-prod-orbit');
    expect(body).toContain('WAF rate backstop (ALB)');
    // The dashboard lists dimensions in name order.
    const metric = (name: string, ruleValue: string) =>
      new RegExp(
        `AWS/WAFV2\\W+${name}\\W+Region\\W+eu-west-1\\W+Rule\\W+${ruleValue}\\W+WebACL\\W+${webAcl}\\W`,
      );
    expect(body).toMatch(metric('BlockedRequests', rule as string));
    expect(body).toMatch(metric('AllowedRequests', 'ALL'));
  });

  it("plots the dispatch error rate as a percentage with the alarm's expression", () => {
    expect(body).toContain('100 * (FILL(t5, 0) + FILL(e5, 0)) / MAX([requests, 1])');
  });

  it('shows p50, p95 and p99 of dispatch latency', () => {
    for (const p of ['p50', 'p95', 'p99']) expect(body).toContain(`\\"stat\\":\\"${p}\\"`);
  });

  it('saves the Logs Insights queries an on-call engineer starts from', () => {
    const names = Object.values(prod.findResources('AWS::Logs::QueryDefinition'))
      .map((q) => (q as { Properties: { Name: string } }).Properties.Name)
      .sort();
    expect(names).toEqual(
      [
        'breaker-transitions',
        'denials-by-reason',
        'errors-by-correlation-id',
        'signature-failures',
        'slowest-dispatches',
      ]
        .map((n) => `axon-orbit-prod/${n}`)
        .sort(),
    );
  });

  it('counts error log lines of each service with a metric filter', () => {
    prod.resourceCountIs('AWS::Logs::MetricFilter', 3);
    prod.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.level = "error") || ($.level = "fatal") }',
    });
    prod.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "rotation step" }',
      MetricTransformations: [
        Match.objectLike({ MetricName: 'RotationSteps', Dimensions: [{ Key: 'Step', Value: '$.step' }] }),
      ],
    });
  });

  it('archives every service log group to an encrypted bucket that moves to Glacier and expires', () => {
    prod.resourceCountIs('AWS::Logs::SubscriptionFilter', 3);
    const archive = OBSERVABILITY.prod.logArchive;
    prod.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({
            ExpirationInDays: archive.expireAfterDays,
            Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: archive.glacierAfterDays }],
          }),
        ],
      },
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicAcls: true,
        RestrictPublicBuckets: true,
      }),
    });
    prod.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK' },
    });
    prod.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });

  it('budgets each environment and notifies at the configured percentages', () => {
    const { budget } = OBSERVABILITY.prod;
    prod.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({
        BudgetLimit: { Amount: budget.monthlyUsd, Unit: 'USD' },
        TimeUnit: 'MONTHLY',
      }),
      NotificationsWithSubscribers: Match.arrayWith(
        budget.alertAtPercent.map((threshold) =>
          Match.objectLike({
            Notification: Match.objectLike({ NotificationType: 'ACTUAL', Threshold: threshold }),
          }),
        ),
      ),
    });
    dev.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({ BudgetLimit: { Amount: OBSERVABILITY.dev.budget.monthlyUsd, Unit: 'USD' } }),
    });
  });
});
