/**
 * Every metric the platform emits itself (EMF, namespace `AxonOrbit`, dimensions `Service` and
 * `Environment`). Emitters, dashboards, alarms and docs/metrics.md (generated from this file by
 * `npm run docs:metrics`) all read the names from here.
 */
export const METRIC_NAMESPACE = 'AxonOrbit';

export interface MetricSpec {
  readonly name: string;
  readonly unit: 'Count' | 'Milliseconds';
  readonly description: string;
  /**
   * A dimension the metric is also published under: every data point lands in both dimension sets,
   * `[Service, Environment]` (the total an alarm watches) and `[Service, Environment, <by>]` (who or
   * why, what a top-N widget ranks).
   */
  readonly by?: MetricDimension;
}

/** Dimension names, as emitters write them and dashboards and alarms read them. */
export const METRIC_DIMENSIONS = {
  service: 'Service',
  environment: 'Environment',
  /** The verified caller's client id. */
  caller: 'Caller',
  /** A short fixed reason, e.g. why a token was refused. */
  reason: 'Reason',
} as const;

export type MetricDimension = (typeof METRIC_DIMENSIONS)['caller' | 'reason'];

/** The dimension sets a metric with `by` is published under, in the order CloudWatch receives them. */
export function dimensionSetsOf(spec: MetricSpec): string[][] {
  const base = [METRIC_DIMENSIONS.service, METRIC_DIMENSIONS.environment];
  return spec.by ? [base, [...base, spec.by]] : [base];
}

const count = (name: string, description: string): MetricSpec => ({ name, unit: 'Count', description });
const ms = (name: string, description: string): MetricSpec => ({ name, unit: 'Milliseconds', description });
const countBy = (name: string, by: MetricDimension, description: string): MetricSpec => ({
  name,
  unit: 'Count',
  description,
  by,
});

export const METRICS = {
  orbit: {
    requests: count('Requests', 'HTTP requests Orbit answered (every route).'),
    latency: ms('Latency', 'Time to answer a request, as Fastify measures it.'),
    clientErrors: count('ClientErrors', 'Requests answered 4xx (bad input, denials).'),
    serverErrors: count(
      'ServerErrors',
      'Requests answered 5xx (governance or Axon unavailable, circuit open).',
    ),
    dispatches: count('Dispatches', 'Dispatches that reached Axon and returned its answer.'),
    denials: count('Denials', 'Dispatches governance denied (403).'),
    governanceLatency: ms(
      'GovernanceLatency',
      'Governance Lambda invoke time seen by Orbit (cache hits excluded).',
    ),
    governanceFailures: count(
      'GovernanceFailures',
      'Governance timed out or failed: the dispatch was denied (fail closed).',
    ),
    axonLatency: ms('AxonLatency', 'Orbit → Axon time per dispatch, retries included.'),
    axonRetries: count('AxonRetries', 'Retried Axon attempts (timeouts, 502/503/504, connection errors).'),
    axonFailures: count('AxonFailures', 'Dispatches that failed after every Axon attempt.'),
    axonRejects: count(
      'AxonRejects',
      'Dispatches Axon refused with a non-retryable status (502 to the caller).',
    ),
    breakerOpened: count('BreakerOpened', 'Times the circuit breaker to Axon opened.'),
    circuitOpenRejects: count(
      'CircuitOpenRejects',
      'Dispatches refused fast (503 + Retry-After) while the circuit was open.',
    ),
    authFailures: countBy(
      'AuthFailures',
      METRIC_DIMENSIONS.reason,
      'Requests refused 401: missing, malformed, expired or unverifiable access tokens, also per `Reason` (`missing`, `expired`, `signature`, `unknown-key`, `keys-unavailable`, …).',
    ),
    callerThrottled: countBy(
      'CallerThrottled',
      METRIC_DIMENSIONS.caller,
      "Dispatches refused 429 by a caller's token bucket, also per `Caller` (the verified caller's configured name): the throttled-callers alarm watches the total, the top-throttled-callers widget ranks the callers.",
    ),
  },
  axon: {
    requests: count('Requests', 'HTTP requests Axon answered (every route).'),
    latency: ms('Latency', 'Time to answer a request, as Fastify measures it.'),
    signatureRejects: count(
      'SignatureRejects',
      'Requests refused by SigV4 verification; the log line names the failed check.',
    ),
    replayStoreUnavailable: count(
      'ReplayStoreUnavailable',
      'Signed requests refused (503) because the replay table did not answer in time: fail closed.',
    ),
    decisionTokenRejects: count(
      'DecisionTokenRejects',
      'Signed requests refused (403) for their decision token (missing, forged, expired, other intent or caller); the log line names the check.',
    ),
  },
  governance: {
    decisions: count('Decisions', 'Decisions made (allow and deny).'),
    denials: count('Denials', 'Decisions that denied.'),
    denialsByReason: count(
      'DenialsByReason',
      'Denials, with a `Reason` dimension (explicit-deny, no-match, invalid-request, …).',
    ),
    decisionsByCaller: count(
      'DecisionsByCaller',
      'Decisions per verified caller, with `Caller` and `Outcome` (allow, deny) dimensions.',
    ),
    latency: ms('DecisionLatency', 'Time to decide inside the Lambda, cache lookups included.'),
    invalidRequests: count('InvalidRequests', 'Requests that failed input validation (denied).'),
    storeUnavailable: count(
      'StoreUnavailable',
      'Decisions denied because the policy store could not be read.',
    ),
    invalidPolicy: count(
      'InvalidPolicy',
      'Decisions denied because the head policy revision failed validation.',
    ),
    tokenFailures: count(
      'DecisionTokenFailures',
      'Allows turned into denials because the decision token could not be signed (KMS Sign failed).',
    ),
  },
  'governance-admin': {
    requests: count('AdminRequests', 'Policy administration requests (every operation, every caller).'),
    rejected: count(
      'AdminRejected',
      'Administration requests refused: bad input, forbidden role, stale revision, failed policy tests.',
    ),
    errors: count(
      'AdminErrors',
      'Administration requests that failed unexpectedly (500); each is logged with its error.',
    ),
  },
} as const satisfies Record<string, Record<string, MetricSpec>>;

export type Emitter = keyof typeof METRICS;
