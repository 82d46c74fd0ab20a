import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import { type Emitter, METRIC_NAMESPACE, type MetricSpec } from '../../contracts/metrics.js';

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
