import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import {
  type Emitter,
  METRIC_DIMENSIONS,
  METRIC_NAMESPACE,
  type MetricSpec,
} from '../../contracts/metrics.js';

/** A platform (EMF) metric of one environment; counters default to Sum, pass `statistic` for latencies. */
export function platformMetric(
  environment: string,
  emitter: Emitter,
  metric: MetricSpec,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: metric.name,
    dimensionsMap: { Service: emitter, Environment: environment },
    statistic: 'Sum',
    ...options,
  });
}

/**
 * The `top` values of a metric published per `by` dimension (e.g. CallerThrottled per Caller),
 * largest sum over `period` first: a SEARCH, so callers appear without being named in the template.
 */
export function topBy(
  environment: string,
  emitter: Emitter,
  metric: MetricSpec,
  period: Duration,
  top = 10,
): cloudwatch.MathExpression {
  if (metric.by === undefined) throw new Error(`${metric.name} is not published per dimension`);
  const { service, environment: envDimension } = METRIC_DIMENSIONS;
  const schema = [METRIC_NAMESPACE, metric.by, envDimension, service].join(',');
  const search = `SEARCH('{${schema}} MetricName="${metric.name}" ${service}="${emitter}" ${envDimension}="${environment}"', 'Sum', ${period.toSeconds()})`;
  return new cloudwatch.MathExpression({
    expression: `SORT(${search}, SUM, DESC, ${top})`,
    usingMetrics: {},
    period,
    label: '',
  });
}

/**
 * Percentage of dispatches answered 5xx (Orbit's and the ALB's own) over `period`: what the error-rate
 * alarm judges and the dashboard plots, from one definition. An idle minute counts as 0 %, not NaN.
 */
export function dispatchErrorRate(
  lb: elbv2.IApplicationLoadBalancer,
  period: Duration,
  label = '5xx %',
): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    label,
    expression: '100 * (FILL(t5, 0) + FILL(e5, 0)) / MAX([requests, 1])',
    usingMetrics: {
      t5: lb.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period }),
      e5: lb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period }),
      requests: lb.metrics.requestCount({ period }),
    },
    period,
  });
}

/** The policy-table operations the platform performs (reads by decisions, puts by admin). */
export const TABLE_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.PUT_ITEM,
];

/** A Container Insights metric of one ECS service (dimensions: cluster and service name). */
export function containerInsights(
  service: ecs.FargateService,
  metricName: string,
  label: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'ECS/ContainerInsights',
    metricName,
    dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName },
    statistic: 'Average',
    period: Duration.minutes(1),
    label,
  });
}
