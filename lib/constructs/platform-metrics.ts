import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/** CloudWatch namespace of the platform's own (EMF) metrics. */
export const PLATFORM_NAMESPACE = 'AxonOrbit';

/**
 * The metrics the services and the governance Lambda emit, by emitter. The catalogue in
 * docs/metrics.md describes each; dashboards and alarms read them only through this object.
 */
export const PLATFORM_METRICS = {
  orbit: {
    requests: 'Requests',
    serverErrors: 'ServerErrors',
    latency: 'RequestLatency',
    governanceLatency: 'GovernanceLatency',
    governanceFailures: 'GovernanceFailures',
    denied: 'DispatchDenied',
    axonLatency: 'AxonLatency',
    axonRetries: 'AxonRetries',
    breakerOpened: 'BreakerOpened',
    breakerRejected: 'BreakerRejected',
  },
  axon: {
    requests: 'Requests',
    latency: 'RequestLatency',
    signatureRejected: 'SignatureRejected',
  },
  governance: {
    decisions: 'Decisions',
    denials: 'Denials',
    latency: 'DecisionLatency',
    invalidRequests: 'InvalidRequests',
    storeUnavailable: 'StoreUnavailable',
  },
} as const;

export type Emitter = keyof typeof PLATFORM_METRICS;

/** A platform metric of one environment; counters default to Sum, pass `statistic` for latencies. */
export function platformMetric(
  environment: string,
  emitter: Emitter,
  metricName: string,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: PLATFORM_NAMESPACE,
    metricName,
    dimensionsMap: { Service: emitter, Environment: environment },
    statistic: 'Sum',
    ...options,
  });
}
