import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { METRICS } from '../../contracts/metrics.js';
import type { AlarmThresholds } from '../config/observability.js';
import { AlarmFactory } from './alarm-factory.js';
import type { ObservedPlatform } from './observed-platform.js';
import {
  containerInsights,
  dispatchErrorRate,
  platformMetric,
  TABLE_OPERATIONS,
} from './platform-metrics.js';
import { StackSection } from './stack-section.js';

export interface PlatformAlarmsProps {
  /** Names every alarm (`<prefix>-<alarm>`). */
  readonly prefix: string;
  /** Environment name: the platform metrics' dimension. */
  readonly environment: string;
  readonly thresholds: AlarmThresholds;
  readonly criticalTopic: sns.ITopic;
  readonly warningTopic: sns.ITopic;
  readonly platform: ObservedPlatform;
}

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);

/**
 * Every alarm of the platform through one factory: critical ones (a service down, errors or
 * latency over budget, governance throttled, rotation failed) page and feed the "platform
 * unhealthy" composite; warnings notify.
 */
export class PlatformAlarms extends StackSection {
  readonly factory: AlarmFactory;
  readonly composite: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: PlatformAlarmsProps) {
    super(scope, id);
    const alarms = new AlarmFactory(this, 'Alarms', {
      prefix: props.prefix,
      criticalTopic: props.criticalTopic,
      warningTopic: props.warningTopic,
    });
    this.factory = alarms;
    const { thresholds, environment: env } = props;
    const { orbit, axon, governance } = props.platform;
    const orbitService = orbit.service;
    const axonService = axon.service;
    // Load-balancer-level metrics wherever one exists: target-group metrics follow one colour only.
    const [blue, green] = orbit.targetGroups;
    const lb = orbit.loadBalancer;
    const decide = governance.decisionFunction;

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
        metric: dispatchErrorRate(lb, FIVE_MINUTES),
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
        metric: props.platform.rotationFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
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
      threshold: (governance.reservedConcurrency * thresholds.concurrencyOfReservedPercent) / 100,
      description: `Governance concurrency above ${thresholds.concurrencyOfReservedPercent}% of its reserved ${governance.reservedConcurrency}.`,
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
      name: 'orbit-callers-throttled',
      // Orbit answers the over-limit requests itself (429); the others pass. Notify, do not page.
      severity: 'warning',
      metric: platformMetric(env, 'orbit', METRICS.orbit.callerThrottled, { period: FIVE_MINUTES }),
      threshold: thresholds.throttledCallersPer5Min,
      evaluationPeriods: 1,
      description: `Callers were refused more than ${thresholds.throttledCallersPer5Min} dispatches (429) in 5 minutes by their rate limits: a noisy caller, or limits too low for real load. The dashboard ranks the throttled callers.`,
    });
    alarms.alarm({
      name: 'axon-replay-store-unavailable',
      // Every request then fails: orbit-error-rate (critical) pages; this one names the cause.
      severity: 'warning',
      metric: platformMetric(env, 'axon', METRICS.axon.replayStoreUnavailable, { period: FIVE_MINUTES }),
      threshold: 0,
      evaluationPeriods: 1,
      description: 'Axon refused signed requests because the replay table did not answer: it fails closed.',
    });
    alarms.alarm({
      name: 'axon-decision-token-rejects',
      severity: 'warning',
      metric: platformMetric(env, 'axon', METRICS.axon.decisionTokenRejects, { period: FIVE_MINUTES }),
      threshold: 10,
      evaluationPeriods: 1,
      description:
        'Axon refused more than 10 signed requests in 5 minutes for their decision token: clock, key or a caller overreaching.',
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
      metric: governance.table.metricThrottledRequestsForOperations({
        operations: TABLE_OPERATIONS,
        period: FIVE_MINUTES,
      }),
      threshold: 0,
      evaluationPeriods: 1,
      description: 'DynamoDB throttled policy reads or writes.',
    });
    if (governance.adminFunction) {
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
            crashed: governance.adminFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
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
  }

  /** Every alarm, the composite last. */
  get all(): cloudwatch.IAlarm[] {
    return [...this.factory.alarms, this.composite];
  }
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
