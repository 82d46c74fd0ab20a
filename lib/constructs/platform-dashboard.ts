import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { Construct } from 'constructs';
import { METRICS, type MetricSpec } from '../../contracts/metrics.js';
import type { ObservedPlatform } from './observed-platform.js';
import {
  containerInsights,
  dispatchErrorRate,
  platformMetric,
  TABLE_OPERATIONS,
  topBy,
} from './platform-metrics.js';
import { QUERIES } from './saved-queries.js';
import { StackSection } from './stack-section.js';

export interface PlatformDashboardProps {
  /** Environment name: the dashboard's title and the platform metrics' dimension. */
  readonly environment: string;
  /** Names the dashboard (`<prefix>-platform`). */
  readonly prefix: string;
  readonly platform: ObservedPlatform;
  /** Shown in the alarm status widget at the top. */
  readonly alarms: cloudwatch.IAlarm[];
}

const ONE_MINUTE = Duration.minutes(1);

/**
 * The one dashboard on-call opens: alarm status first, then dispatch traffic and latency at the
 * ALB, tasks, Orbit's view of Axon and governance, the governance Lambda, the policy table and the
 * latest error lines.
 */
export class PlatformDashboard extends StackSection {
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: PlatformDashboardProps) {
    super(scope, id);
    const env = props.environment;
    const { orbit, axon, governance } = props.platform;
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
      dashboardName: `${props.prefix}-platform`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard = dashboard;
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# Axon/Orbit ${env}\nCritical alarms page; warnings notify. Each alarm links its runbook section (docs/runbook.md).`,
        width: 8,
        height: 4,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms, width: 16, height: 4 }),
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
      graph('Dispatch error rate % (5xx of requests)', [
        dispatchErrorRate(lb, ONE_MINUTE, 'Orbit + ALB 5xx %'),
      ]),
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
        // ASCII, as every template text: guard's regexes run faster on ASCII documents (lib/guard/ascii-classes.ts).
        'Orbit to Axon latency (ms)',
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
    const { waf } = orbit;
    dashboard.addWidgets(
      graph(
        'Top throttled callers (429 per caller, 5 min)',
        [topBy(env, 'orbit', METRICS.orbit.callerThrottled, Duration.minutes(5))],
        [],
        waf === undefined ? 16 : 8,
      ),
      graph('Refused callers', [
        emf('orbit', METRICS.orbit.callerThrottled, { label: 'throttled (429)' }),
        emf('orbit', METRICS.orbit.authFailures, { label: 'token refused (401)' }),
      ]),
      ...(waf === undefined
        ? []
        : [
            graph(
              'WAF rate backstop (ALB)',
              [waf.metricRateBlocked({ label: 'blocked by the per-IP rate rule (429)' })],
              [waf.metricAllowed({ label: 'allowed' })],
            ),
          ]),
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
  }
}
