import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { CALLER_NAME_PATTERN } from '../../contracts/caller.js';
import { exceedsJsonDepth } from '../../contracts/json-depth.js';
import { CORRELATION_ATTRIBUTE } from '../../services/shared/correlation.js';
import { CompiledHeadCache } from './cache.js';
import { engineRequestOf } from './decision-event.js';
import { DECISION_LOG_MESSAGE, type DecisionLogRecord, decisionLogChannel } from './decision-log.js';
import { type Decision, ENVIRONMENTS, type Environment } from './engine/index.js';
import { CorruptRevisionError, POLICY_SET_PATTERN, PolicyStore } from './store/index.js';

export type { DecisionEvent } from './decision-event.js';

export interface DecisionResult {
  readonly allowed: boolean;
  readonly reason: string;
  readonly statementId?: string;
  readonly policyRevision: number | null;
  /** Unique per decision; the decision log line carries it, so a caller can quote it. */
  readonly decisionId: string;
}

/** Metric names the observability stack alarms on (namespace `AxonOrbit`, dimensions Service, Environment). */
export const GOVERNANCE_METRICS = {
  namespace: 'AxonOrbit',
  service: 'governance',
  decisions: 'Decisions',
  denials: 'Denials',
  denialsByReason: 'DenialsByReason',
  decisionsByCaller: 'DecisionsByCaller',
  latency: 'DecisionLatency',
  invalidRequests: 'InvalidRequests',
  storeUnavailable: 'StoreUnavailable',
  invalidPolicy: 'InvalidPolicy',
} as const;

/** Why a request was denied, as the `Reason` dimension of `DenialsByReason`: a small, fixed set. */
type DenialKind =
  | 'explicit-deny'
  | 'no-match'
  | 'invalid-request'
  | 'store-unavailable'
  | 'no-policy'
  | 'invalid-policy'
  | 'internal-error';

export const STORE_UNAVAILABLE = 'policy store unavailable';

export interface DecisionHandlerOptions {
  readonly store: PolicyStore;
  readonly policySet: string;
  readonly environment: Environment;
  /** How long a compiled head serves decisions before the store is asked again. */
  readonly cacheTtlMs: number;
}

const logger = new Logger({ serviceName: GOVERNANCE_METRICS.service });
const tracer = new Tracer({ serviceName: GOVERNANCE_METRICS.service });

function platformMetrics(environment: Environment): Metrics {
  const metrics = new Metrics({ namespace: GOVERNANCE_METRICS.namespace });
  // Powertools adds a lower-case `service` dimension; dashboards select on exactly {Service, Environment}.
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ Service: GOVERNANCE_METRICS.service, Environment: environment });
  return metrics;
}

function correlationIdOf(event: unknown): string | undefined {
  const id = (event as { correlationId?: unknown } | null)?.correlationId;
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
}

/** The caller id a well-formed event names, for the decision log and the per-caller metric. */
function callerOf(event: unknown): string | undefined {
  const id = (event as { caller?: { clientId?: unknown } } | null)?.caller?.clientId;
  return typeof id === 'string' && CALLER_NAME_PATTERN.test(id) ? id : undefined;
}

/** Bounded copy of what was asked, for the decision log even when the input is malformed. */
function loggable(event: unknown): unknown {
  if (exceedsJsonDepth(event)) return { truncated: 'nested too deep to log' };
  const text = JSON.stringify(event) ?? 'undefined';
  return text.length <= 4096 ? event : { truncated: text.slice(0, 4096) };
}

/**
 * Builds the decision handler: validate the event, evaluate it against the cached compiled head of
 * the policy set, log one JSON line per decision, emit EMF metrics. Every failure denies (fail
 * closed); nothing throws to the caller.
 */
export function createDecisionHandler(options: DecisionHandlerOptions) {
  const cache = new CompiledHeadCache(options.store, options.policySet, options.cacheTtlMs);
  const metrics = platformMetrics(options.environment);
  const reasonMetrics = platformMetrics(options.environment);
  const callerMetrics = platformMetrics(options.environment);

  const evaluate = async (
    event: unknown,
    time: number,
  ): Promise<{ decision: Decision; kind?: DenialKind }> => {
    const deny = (reason: string, kind: DenialKind, policyRevision: number | null = null) => ({
      decision: { allowed: false, reason, policyRevision },
      kind,
    });
    const asked = engineRequestOf(event, options.environment, time);
    if ('problem' in asked) {
      metrics.addMetric(GOVERNANCE_METRICS.invalidRequests, MetricUnit.Count, 1);
      return deny(`invalid request: ${asked.problem}`, 'invalid-request');
    }

    let policy: Awaited<ReturnType<CompiledHeadCache['current']>>;
    try {
      policy = await cache.current();
    } catch (error) {
      if (error instanceof CorruptRevisionError) {
        logger.error('head revision fails validation', { error });
        metrics.addMetric(GOVERNANCE_METRICS.invalidPolicy, MetricUnit.Count, 1);
        return deny(`policy revision ${error.revision} is invalid`, 'invalid-policy', error.revision);
      }
      logger.error('policy store unavailable', { error });
      metrics.addMetric(GOVERNANCE_METRICS.storeUnavailable, MetricUnit.Count, 1);
      return deny(STORE_UNAVAILABLE, 'store-unavailable');
    }
    if (!policy) return deny(`policy set ${options.policySet} has no revision`, 'no-policy');

    const decision = policy.decide(asked.request);
    if (decision.allowed) return { decision };
    return { decision, kind: decision.statementId ? 'explicit-deny' : 'no-match' };
  };

  const decide = async (event: unknown, _context?: Context): Promise<DecisionResult> => {
    const started = performance.now();
    const time = Date.now();
    const decisionId = randomUUID();
    const correlationId = correlationIdOf(event);
    logger.appendKeys({ correlationId, decisionId });
    // Same annotation as the services' spans, so X-Ray finds caller → Orbit → governance by one id.
    if (correlationId) tracer.putAnnotation(CORRELATION_ATTRIBUTE, correlationId);
    let outcome: { decision: Decision; kind?: DenialKind };
    try {
      outcome = await evaluate(event, time);
    } catch (error) {
      logger.error('decision failed', { error });
      outcome = {
        decision: { allowed: false, reason: 'internal error', policyRevision: null },
        kind: 'internal-error',
      };
    }
    const result: DecisionResult = { ...outcome.decision, decisionId };

    metrics.addMetric(GOVERNANCE_METRICS.decisions, MetricUnit.Count, 1);
    metrics.addMetric(GOVERNANCE_METRICS.latency, MetricUnit.Milliseconds, performance.now() - started);
    if (outcome.kind) {
      metrics.addMetric(GOVERNANCE_METRICS.denials, MetricUnit.Count, 1);
      reasonMetrics.addDimension('Reason', outcome.kind);
      reasonMetrics.addMetric(GOVERNANCE_METRICS.denialsByReason, MetricUnit.Count, 1);
      reasonMetrics.publishStoredMetrics();
    }
    const caller = callerOf(event);
    if (caller) {
      callerMetrics.addDimensions({ Caller: caller, Outcome: result.allowed ? 'allow' : 'deny' });
      callerMetrics.addMetric(GOVERNANCE_METRICS.decisionsByCaller, MetricUnit.Count, 1);
      callerMetrics.publishStoredMetrics();
    }
    // Enough to replay the decision: input, clock, environment, policy set and revision, result.
    const record: DecisionLogRecord = {
      message: DECISION_LOG_MESSAGE,
      decisionId,
      correlationId,
      ...(caller ? { caller } : {}),
      input: loggable(event),
      time: new Date(time).toISOString(),
      environment: options.environment,
      policySet: options.policySet,
      result,
    };
    // decisionId and correlationId are already the logger's keys for this invocation.
    const { message, decisionId: _d, correlationId: _c, ...fields } = record;
    logger.info(message, fields);
    if (decisionLogChannel.hasSubscribers) decisionLogChannel.publish(record);
    return result;
  };

  return middy(decide)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
}

/**
 * Options from the Lambda environment: `POLICY_TABLE_NAME` (required), `POLICY_SET_NAME` (default
 * `default`), `POLICY_CACHE_TTL_MS` (default 30000), `ENVIRONMENT` (dev|staging|prod|local). The
 * DynamoDB endpoint follows the SDK's own `AWS_ENDPOINT_URL_DYNAMODB`. Throws on a bad value, so a
 * misconfigured function fails at init rather than answering.
 */
export function optionsFromEnvironment(env: NodeJS.ProcessEnv = process.env): DecisionHandlerOptions {
  const tableName = env.POLICY_TABLE_NAME;
  if (!tableName) throw new Error('POLICY_TABLE_NAME must name the policy table');
  const policySet = env.POLICY_SET_NAME || 'default';
  if (!POLICY_SET_PATTERN.test(policySet)) {
    throw new Error(`POLICY_SET_NAME must match ${POLICY_SET_PATTERN.source}, got "${policySet}"`);
  }
  const cacheTtlMs = Number(env.POLICY_CACHE_TTL_MS ?? 30_000);
  if (!Number.isInteger(cacheTtlMs) || cacheTtlMs < 0 || cacheTtlMs > 300_000) {
    throw new Error(
      `POLICY_CACHE_TTL_MS must be an integer from 0 to 300000, got "${env.POLICY_CACHE_TTL_MS}"`,
    );
  }
  const environment = env.ENVIRONMENT as Environment;
  if (!ENVIRONMENTS.includes(environment)) {
    throw new Error(`ENVIRONMENT must be one of ${ENVIRONMENTS.join(', ')}, got "${env.ENVIRONMENT}"`);
  }
  // A decision must not wait on a slow store: short timeouts, one retry, then deny.
  const client = tracer.captureAWSv3Client(
    new DynamoDBClient({ maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } }),
  );
  return { store: new PolicyStore({ client, tableName }), policySet, environment, cacheTtlMs };
}

/** The Lambda entry point, configured from the environment at init. */
export const handler = createDecisionHandler(optionsFromEnvironment());
