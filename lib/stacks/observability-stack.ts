import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRIC_NAMESPACE, METRICS, type MetricSpec } from '../../services/shared/metric-catalogue.js';
import { type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import { AlarmFactory } from '../constructs/alarm-factory.js';
import { LogArchive } from '../constructs/log-archive.js';
import { platformMetric } from '../constructs/platform-metrics.js';
import { acknowledge } from '../nag.js';

/** An ECS service as the observability stack needs it. */
export interface ObservedService {
  readonly service: ecs.FargateService;
  readonly logGroup: logs.ILogGroup;
}

export interface ObservabilityStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** Encrypts the alarm topics; its policy lets CloudWatch and Budgets publish. */
  readonly alarmsKey: kms.IKey;
  /** Encrypts the log archive. */
  readonly logsKey: kms.IKey;
  readonly orbit: ObservedService & {
    readonly loadBalancer: elbv2.ApplicationLoadBalancer;
    /** Blue and green target groups: ECS swaps them at every deployment, so alarms watch both. */
    readonly targetGroups: readonly [elbv2.ApplicationTargetGroup, elbv2.ApplicationTargetGroup];
  };
  readonly axon: ObservedService;
  readonly governance: {
    readonly decisionFunction: lambda.IFunction;
    readonly decisionLogGroup: logs.ILogGroup;
    readonly reservedConcurrency: number;
    readonly adminFunction?: lambda.IFunction;
    readonly table: dynamodb.ITable;
  };
  readonly rotationFunction: lambda.IFunction;
  readonly rotationLogGroup: logs.ILogGroup;
}

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);
/** The only operations the platform performs on the policy table (reads by decisions, puts by admin). */
const TABLE_OPERATIONS = [dynamodb.Operation.GET_ITEM, dynamodb.Operation.QUERY, dynamodb.Operation.PUT_ITEM];

/**
 * What on-call sees and is paged by: two alarm topics (critical pages, warning notifies), every
 * alarm through one factory, a "platform unhealthy" composite, one dashboard, saved Logs Insights
 * queries, a log archive and the cost budget.
 */
export class ObservabilityStack extends Stack {
  readonly criticalTopic: sns.Topic;
  readonly warningTopic: sns.Topic;
  readonly alarms: AlarmFactory;
  readonly dashboard: cloudwatch.Dashboard;
  readonly composite: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config } = props;
    const thresholds = config.observability.alarms;
    const env = config.name;

    // Notifications SNS could not deliver (bounced e-mail, webhook down) wait here for two weeks.
    const undelivered = new sqs.Queue(this, 'UndeliveredAlarms', {
      encryptionMasterKey: props.alarmsKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const rule of ['AwsSolutions-SQS3', 'Serverless-SQSRedrivePolicy']) {
      acknowledge(
        undelivered,
        rule,
        'This queue is itself the dead-letter queue of the alarm subscriptions.',
      );
    }
    this.criticalTopic = this.topic('Critical', 'critical', props, undelivered);
    this.warningTopic = this.topic('Warning', 'warning', props, undelivered);
    if (config.observability.webhookUrl) {
      this.criticalTopic.addSubscription(
        new subscriptions.UrlSubscription(config.observability.webhookUrl, { deadLetterQueue: undelivered }),
      );
    }
    const alarms = new AlarmFactory(this, 'Alarms', {
      prefix: config.prefix,
      criticalTopic: this.criticalTopic,
      warningTopic: this.warningTopic,
    });
    this.alarms = alarms;

    const orbitService = props.orbit.service;
    const axonService = props.axon.service;
    // Load-balancer-level metrics wherever one exists: target-group metrics follow one colour only.
    const [blue, green] = props.orbit.targetGroups;
    const lb = props.orbit.loadBalancer;
    const decide = props.governance.decisionFunction;

    // Service down: fewer healthy targets than one, or tasks not running as desired for 5 minutes.
    const critical: cloudwatch.IAlarm[] = [
      alarms.alarm({
        name: 'orbit-no-healthy-targets',
        severity: 'critical',
        metric: new cloudwatch.MathExpression({
          label: 'healthy targets (blue + green)',
          expression: 'FILL(blue, 0) + FILL(green, 0)',
          usingMetrics: {
            blue: blue.metrics.healthyHostCount({ period: ONE_MINUTE, statistic: 'Minimum' }),
            green: green.metrics.healthyHostCount({ period: ONE_MINUTE, statistic: 'Minimum' }),
          },
          period: ONE_MINUTE,
        }),
        threshold: 1,
        comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        description: 'No healthy Orbit target behind the ALB: every dispatch fails.',
      }),
      ...[
        ['orbit', orbitService],
        ['axon', axonService],
      ].map(([name, service]) =>
        alarms.alarm({
          name: `${name as string}-tasks-below-desired`,
          severity: 'critical',
          metric: runningBelowDesired(service as ecs.FargateService),
          threshold: 0,
          evaluationPeriods: 5,
          description: `Fewer ${name as string} tasks running than desired for 5 minutes (crash loop, capacity or image pull failure).`,
        }),
      ),
      alarms.alarm({
        name: 'orbit-error-rate',
        severity: 'critical',
        metric: new cloudwatch.MathExpression({
          label: '5xx %',
          expression: '100 * (t5 + e5) / MAX([requests, 1])',
          usingMetrics: {
            t5: lb.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: FIVE_MINUTES }),
            e5: lb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: FIVE_MINUTES }),
            requests: lb.metrics.requestCount({ period: FIVE_MINUTES }),
          },
          period: FIVE_MINUTES,
        }),
        threshold: thresholds.errorRatePercent,
        evaluationPeriods: 1,
        description: `More than ${thresholds.errorRatePercent}% of dispatches answered 5xx over 5 minutes.`,
      }),
      alarms.alarm({
        name: 'orbit-latency-p99',
        severity: 'critical',
        metric: lb.metrics.targetResponseTime({ period: FIVE_MINUTES, statistic: 'p99' }),
        threshold: thresholds.latencyP99Ms / 1000,
        evaluationPeriods: 1,
        description: `Orbit p99 response time above ${thresholds.latencyP99Ms} ms over 5 minutes.`,
      }),
      alarms.alarm({
        name: 'governance-throttles',
        severity: 'critical',
        metric: decide.metricThrottles({ period: ONE_MINUTE, statistic: 'Sum' }),
        threshold: 0,
        evaluationPeriods: 1,
        description: 'Governance decisions are throttled; Orbit fails closed, so callers see denials.',
      }),
      alarms.alarm({
        name: 'secret-rotation-failed',
        severity: 'critical',
        metric: props.rotationFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        threshold: 0,
        evaluationPeriods: 1,
        description: 'A step of the signing-key rotation failed; the key is not rotated until fixed.',
      }),
    ];

    for (const [name, service] of [
      ['orbit', orbitService],
      ['axon', axonService],
    ] as const) {
      alarms.alarm({
        name: `${name}-cpu-high`,
        severity: 'warning',
        metric: service.metricCpuUtilization({ period: FIVE_MINUTES }),
        threshold: thresholds.resourceUtilisationPercent,
        description: `${name} average CPU above ${thresholds.resourceUtilisationPercent}%: scaling is at its maximum or too slow.`,
      });
      alarms.alarm({
        name: `${name}-memory-high`,
        severity: 'warning',
        metric: service.metricMemoryUtilization({ period: FIVE_MINUTES }),
        threshold: thresholds.resourceUtilisationPercent,
        description: `${name} average memory above ${thresholds.resourceUtilisationPercent}%: risk of OOM kills.`,
      });
    }
    alarms.alarm({
      name: 'governance-concurrency-near-reserved',
      severity: 'warning',
      metric: decide.metric('ConcurrentExecutions', { period: ONE_MINUTE, statistic: 'Maximum' }),
      threshold: (props.governance.reservedConcurrency * thresholds.concurrencyOfReservedPercent) / 100,
      description: `Governance concurrency above ${thresholds.concurrencyOfReservedPercent}% of its reserved ${props.governance.reservedConcurrency}.`,
    });
    alarms.alarm({
      name: 'governance-errors',
      severity: 'warning',
      metric: decide.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
      threshold: 0,
      evaluationPeriods: 1,
      description: 'The governance function raised errors (it should answer every request, even bad ones).',
    });
    alarms.anomaly({
      name: 'governance-denial-spike',
      severity: 'warning',
      metric: platformMetric(env, 'governance', METRICS.governance.denials, {
        period: FIVE_MINUTES,
      }),
      stdDevs: thresholds.denialAnomalyBand,
      description: 'Denials far above their usual band: a bad policy revision, or a caller probing.',
    });
    alarms.alarm({
      name: 'orbit-breaker-opened',
      severity: 'warning',
      metric: platformMetric(env, 'orbit', METRICS.orbit.breakerOpened, { period: FIVE_MINUTES }),
      threshold: 0,
      evaluationPeriods: 1,
      description: 'The circuit breaker to Axon opened: Axon is failing or slow.',
    });
    alarms.alarm({
      name: 'axon-signature-rejects',
      severity: 'warning',
      metric: platformMetric(env, 'axon', METRICS.axon.signatureRejects, { period: FIVE_MINUTES }),
      threshold: 10,
      evaluationPeriods: 1,
      description:
        'Axon rejected more than 10 signed requests in 5 minutes: key drift, clock skew or an intruder.',
    });
    alarms.alarm({
      name: 'policy-table-throttles',
      severity: 'warning',
      metric: props.governance.table.metricThrottledRequestsForOperations({
        operations: TABLE_OPERATIONS,
        period: FIVE_MINUTES,
      }),
      threshold: 0,
      evaluationPeriods: 1,
      description: 'DynamoDB throttled policy reads or writes.',
    });
    if (props.governance.adminFunction) {
      alarms.alarm({
        name: 'policy-admin-errors',
        severity: 'warning',
        // Handled failures answer 500 and count AdminErrors; crashes count as Lambda Errors.
        metric: new cloudwatch.MathExpression({
          label: 'admin errors',
          expression: 'FILL(handled, 0) + FILL(crashed, 0)',
          usingMetrics: {
            handled: platformMetric(env, 'governance-admin', METRICS['governance-admin'].errors, {
              period: FIVE_MINUTES,
            }),
            crashed: props.governance.adminFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
          },
          period: FIVE_MINUTES,
        }),
        threshold: 0,
        evaluationPeriods: 1,
        description: 'The policy administration function raised errors.',
      });
    }

    this.composite = alarms.composite(
      'platform-unhealthy',
      'Any critical alarm of the platform is firing.',
      critical,
    );

    this.dashboard = this.buildDashboard(props);
    this.savedQueries(props);

    const archive = new LogArchive(this, 'LogArchive', {
      key: props.logsKey,
      removalPolicy: removalPolicyOf(config),
      glacierAfterDays: config.observability.logArchive.glacierAfterDays,
      expireAfterDays: config.observability.logArchive.expireAfterDays,
    });
    archive.archive(props.orbit.logGroup, 'Orbit');
    archive.archive(props.axon.logGroup, 'Axon');
    archive.archive(props.governance.decisionLogGroup, 'Governance');

    this.budget(config);
  }

  private buildDashboard(props: ObservabilityStackProps): cloudwatch.Dashboard {
    const env = props.config.name;
    const { orbit, axon, governance } = props;
    const [blue, green] = orbit.targetGroups;
    const lb = orbit.loadBalancer;
    const decide = governance.decisionFunction;
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = [], width = 8) =>
      new cloudwatch.GraphWidget({ title, left, right, width, height: 6 });
    const percentiles = (metric: (o: cloudwatch.MetricOptions) => cloudwatch.IMetric) =>
      (['p50', 'p95', 'p99'] as const).map((p) => metric({ statistic: p, label: p, period: ONE_MINUTE }));
    const emf = (
      emitter: 'orbit' | 'axon' | 'governance',
      metric: MetricSpec,
      options: cloudwatch.MetricOptions = {},
    ) => platformMetric(env, emitter, metric, { period: ONE_MINUTE, ...options });

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.config.prefix}-platform`,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Axon/Orbit ${env}\nCritical alarms page; warnings notify. Each alarm links its runbook section (docs/runbook.md).`,
        width: 8,
        height: 4,
      }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...this.alarms.alarms, this.composite],
        width: 16,
        height: 4,
      }),
    );
    dashboard.addWidgets(
      graph(
        'Dispatch requests and 5xx (ALB)',
        [lb.metrics.requestCount({ period: ONE_MINUTE, label: 'requests' })],
        [
          lb.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
            period: ONE_MINUTE,
            label: 'Orbit 5xx',
          }),
          lb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: ONE_MINUTE, label: 'ALB 5xx' }),
        ],
      ),
      graph(
        'Dispatch latency (ALB target response time, s)',
        percentiles((o) => lb.metrics.targetResponseTime(o)),
      ),
      graph('ALB target health', [
        blue.metrics.healthyHostCount({ period: ONE_MINUTE, label: 'healthy (blue)' }),
        green.metrics.healthyHostCount({ period: ONE_MINUTE, label: 'healthy (green)' }),
        blue.metrics.unhealthyHostCount({ period: ONE_MINUTE, label: 'unhealthy (blue)' }),
        green.metrics.unhealthyHostCount({ period: ONE_MINUTE, label: 'unhealthy (green)' }),
      ]),
    );
    dashboard.addWidgets(
      graph('Tasks running vs desired', [
        containerInsights(orbit.service, 'RunningTaskCount', 'orbit running'),
        containerInsights(orbit.service, 'DesiredTaskCount', 'orbit desired'),
        containerInsights(axon.service, 'RunningTaskCount', 'axon running'),
        containerInsights(axon.service, 'DesiredTaskCount', 'axon desired'),
      ]),
      graph('CPU utilisation %', [
        orbit.service.metricCpuUtilization({ period: ONE_MINUTE, label: 'orbit' }),
        axon.service.metricCpuUtilization({ period: ONE_MINUTE, label: 'axon' }),
      ]),
      graph('Memory utilisation %', [
        orbit.service.metricMemoryUtilization({ period: ONE_MINUTE, label: 'orbit' }),
        axon.service.metricMemoryUtilization({ period: ONE_MINUTE, label: 'axon' }),
      ]),
    );
    dashboard.addWidgets(
      graph(
        'Orbit → Axon latency (ms)',
        percentiles((o) => emf('orbit', METRICS.orbit.axonLatency, o)),
      ),
      graph(
        'Governance latency seen by Orbit (ms)',
        percentiles((o) => emf('orbit', METRICS.orbit.governanceLatency, o)),
      ),
      graph(
        'Denials and breaker',
        [
          emf('governance', METRICS.governance.denials, { label: 'denials' }),
          emf('orbit', METRICS.orbit.governanceFailures, {
            label: 'governance failures (fail closed)',
          }),
        ],
        [
          emf('orbit', METRICS.orbit.breakerOpened, { label: 'breaker opened' }),
          emf('orbit', METRICS.orbit.circuitOpenRejects, { label: 'rejected while open' }),
          emf('axon', METRICS.axon.signatureRejects, { label: 'signature rejects' }),
        ],
      ),
    );
    dashboard.addWidgets(
      graph('Governance Lambda errors and throttles', [
        decide.metricErrors({ period: ONE_MINUTE, label: 'errors' }),
        decide.metricThrottles({ period: ONE_MINUTE, label: 'throttles' }),
      ]),
      graph(
        'Governance Lambda duration (ms)',
        percentiles((o) => decide.metricDuration(o)),
      ),
      graph('Governance Lambda concurrency', [
        decide.metric('ConcurrentExecutions', {
          period: ONE_MINUTE,
          statistic: 'Maximum',
          label: 'concurrent',
        }),
      ]),
    );
    dashboard.addWidgets(
      graph('Policy table throttles', [
        governance.table.metricThrottledRequestsForOperations({
          operations: TABLE_OPERATIONS,
          period: ONE_MINUTE,
        }),
      ]),
      graph('Policy table latency (ms)', [
        governance.table.metricSuccessfulRequestLatency({
          period: ONE_MINUTE,
          dimensionsMap: { Operation: 'Query', TableName: governance.table.tableName },
        }),
      ]),
      new cloudwatch.LogQueryWidget({
        title: 'Latest errors (all services)',
        logGroupNames: [
          orbit.logGroup.logGroupName,
          axon.logGroup.logGroupName,
          governance.decisionLogGroup.logGroupName,
        ],
        queryString: QUERIES.errorsByCorrelationId.toString(),
        width: 8,
        height: 6,
      }),
    );
    return dashboard;
  }

  private savedQueries(props: ObservabilityStackProps): void {
    const { orbit, axon, governance } = props;
    const all = [orbit.logGroup, axon.logGroup, governance.decisionLogGroup];
    const queries: [string, logs.QueryString, logs.ILogGroup[]][] = [
      ['errors-by-correlation-id', QUERIES.errorsByCorrelationId, all],
      ['slowest-dispatches', QUERIES.slowestDispatches, [orbit.logGroup]],
      ['denials-by-reason', QUERIES.denialsByReason, [governance.decisionLogGroup]],
      ['signature-failures', QUERIES.signatureFailures, [axon.logGroup]],
      ['breaker-transitions', QUERIES.breakerTransitions, [orbit.logGroup]],
    ];
    for (const [name, queryString, logGroups] of queries) {
      new logs.QueryDefinition(this, `Query-${name}`, {
        queryDefinitionName: `${props.config.prefix}/${name}`,
        queryString,
        logGroups,
      });
    }
    // Rotation events: one per step the rotation function runs (createSecret … finishSecret).
    new logs.MetricFilter(this, 'RotationSteps', {
      logGroup: props.rotationLogGroup,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', 'rotation step'),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'RotationSteps',
      dimensions: { Step: '$.step' },
      metricValue: '1',
    });
    for (const [name, service] of [
      ['orbit', orbit],
      ['axon', axon],
    ] as const) {
      new logs.MetricFilter(this, `${name}ErrorLines`, {
        logGroup: service.logGroup,
        filterPattern: logs.FilterPattern.any(
          logs.FilterPattern.stringValue('$.level', '=', 'error'),
          logs.FilterPattern.stringValue('$.level', '=', 'fatal'),
        ),
        metricNamespace: METRIC_NAMESPACE,
        metricName: 'ErrorLogLines',
        dimensions: { Service: '$.service' },
        metricValue: '1',
      });
    }
  }

  private topic(
    id: string,
    severity: string,
    props: ObservabilityStackProps,
    undelivered: sqs.IQueue,
  ): sns.Topic {
    const topic = new sns.Topic(this, `${id}Topic`, {
      topicName: `${props.config.prefix}-alarms-${severity}`,
      displayName: `Axon/Orbit ${props.config.name} ${severity} alarms`,
      masterKey: props.alarmsKey,
      enforceSSL: true,
    });
    topic.addSubscription(
      new subscriptions.EmailSubscription(props.config.alarmEmail, { deadLetterQueue: undelivered }),
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
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    return topic;
  }

  private budget(config: EnvironmentConfig): void {
    const { budget } = config.observability;
    new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetName: `${config.prefix}-monthly`,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: budget.monthlyUsd, unit: 'USD' },
        costFilters: { TagKeyValue: [`user:environment$${config.name}`] },
      },
      notificationsWithSubscribers: [
        ...budget.alertAtPercent.map((threshold) => ({
          notification: {
            notificationType: 'ACTUAL',
            comparisonOperator: 'GREATER_THAN',
            threshold,
            thresholdType: 'PERCENTAGE',
          },
          subscribers: [{ subscriptionType: 'SNS', address: this.warningTopic.topicArn }],
        })),
        {
          notification: {
            notificationType: 'FORECASTED',
            comparisonOperator: 'GREATER_THAN',
            threshold: 100,
            thresholdType: 'PERCENTAGE',
          },
          subscribers: [{ subscriptionType: 'SNS', address: this.warningTopic.topicArn }],
        },
      ],
    });
  }
}

/** Container Insights task count of a service (dimensions: cluster and service name). */
function containerInsights(
  service: ecs.FargateService,
  metricName: string,
  label: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'ECS/ContainerInsights',
    metricName,
    dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName },
    statistic: 'Average',
    period: ONE_MINUTE,
    label,
  });
}

function runningBelowDesired(service: ecs.FargateService): cloudwatch.IMetric {
  return new cloudwatch.MathExpression({
    label: 'desired - running',
    expression: 'desired - running',
    usingMetrics: {
      desired: containerInsights(service, 'DesiredTaskCount', 'desired'),
      running: containerInsights(service, 'RunningTaskCount', 'running'),
    },
    period: ONE_MINUTE,
  });
}

/**
 * Saved Logs Insights queries. Field names follow the services' pino lines (`level` as a label, `msg`,
 * `correlationId`; per request `path`, `statusCode`, `responseTime`) and the governance Powertools lines (`level` "ERROR", `message`,
 * the decision record's `result.allowed` and `result.reason`).
 */
const QUERIES = {
  errorsByCorrelationId: new logs.QueryString({
    fields: [
      '@timestamp',
      'service',
      'correlationId',
      'coalesce(msg, message) as text',
      'err.message',
      'error.message',
    ],
    filterStatements: ['level in ["error", "fatal", "ERROR", "CRITICAL"]'],
    sort: '@timestamp desc',
    limit: 200,
  }),
  slowestDispatches: new logs.QueryString({
    fields: ['@timestamp', 'correlationId', 'responseTime', 'statusCode'],
    filterStatements: ['msg = "request completed"', 'path = "/dispatch"'],
    sort: 'responseTime desc',
    limit: 50,
  }),
  denialsByReason: new logs.QueryString({
    filterStatements: ['message = "decision"', 'result.allowed = 0'],
    statsStatements: ['count(*) as denials by result.reason'],
    sort: 'denials desc',
  }),
  signatureFailures: new logs.QueryString({
    fields: ['@timestamp', 'correlationId', 'check', 'keyId'],
    filterStatements: ['msg like /signature/'],
    statsStatements: ['count(*) as rejects by check'],
  }),
  breakerTransitions: new logs.QueryString({
    fields: ['@timestamp', 'state', 'msg'],
    filterStatements: ['msg like /axon circuit/'],
    sort: '@timestamp asc',
    limit: 500,
  }),
} as const;
