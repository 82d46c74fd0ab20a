import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { type Emitter, METRIC_NAMESPACE, type MetricSpec } from '../../services/shared/metric-catalogue.js';

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
