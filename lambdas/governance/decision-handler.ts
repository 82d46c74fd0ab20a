import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { CALLER_NAME_PATTERN } from '../../contracts/caller.js';
import { CORRELATION_ATTRIBUTE } from '../../contracts/correlation.js';
import { DENY_REASONS, type DecisionResult, type DenialKind } from '../../contracts/decision.js';
import type { RuntimeEnvironment } from '../../contracts/environments.js';
import { exceedsJsonDepth } from '../../contracts/json-depth.js';
import { METRIC_NAMESPACE, METRICS } from '../../contracts/metrics.js';
import { CompiledHeadCache } from './cache.js';
import { engineRequestOf } from './decision-event.js';
import { DECISION_LOG_MESSAGE, type DecisionLogRecord, decisionLogChannel } from './decision-log.js';
import type { DecisionTokenIssuer, DecisionTokenRequest } from './decision-token/index.js';
import type { Decision } from './engine/index.js';
import { CorruptRevisionError, type PolicyStore } from './store/index.js';
import { GOVERNANCE_SERVICE, logger, tracer } from './telemetry.js';

const DECISION_METRICS = METRICS.governance;

export interface DecisionHandlerOptions {
  readonly store: PolicyStore;
  readonly policySet: string;
  readonly environment: RuntimeEnvironment;
  /** How long a compiled head serves decisions before the store is asked again. */
  readonly cacheTtlMs: number;
  /** Signs each allow as a decision token; without it allows carry none (and a deployed Axon refuses them). */
  readonly tokens?: DecisionTokenIssuer;
}

function platformMetrics(environment: RuntimeEnvironment): Metrics {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE });
  // Powertools adds a lower-case `service` dimension; dashboards select on exactly {Service, Environment}.
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ Service: GOVERNANCE_SERVICE, Environment: environment });
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
      metrics.addMetric(DECISION_METRICS.invalidRequests.name, MetricUnit.Count, 1);
      return deny(`invalid request: ${asked.problem}`, 'invalid-request');
    }

    let policy: Awaited<ReturnType<CompiledHeadCache['current']>>;
    try {
      policy = await cache.current();
    } catch (error) {
      if (error instanceof CorruptRevisionError) {
        logger.error('head revision fails validation', { error });
        metrics.addMetric(DECISION_METRICS.invalidPolicy.name, MetricUnit.Count, 1);
        return deny(`policy revision ${error.revision} is invalid`, 'invalid-policy', error.revision);
      }
      logger.error('policy store unavailable', { error });
      metrics.addMetric(DECISION_METRICS.storeUnavailable.name, MetricUnit.Count, 1);
      return deny(DENY_REASONS.storeUnavailable, 'store-unavailable');
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
        decision: { allowed: false, reason: DENY_REASONS.internalError, policyRevision: null },
        kind: 'internal-error',
      };
    }
    let token: string | undefined;
    if (outcome.decision.allowed && options.tokens) {
      try {
        token = await options.tokens.issue(tokenRequest(event, outcome.decision, decisionId, time));
      } catch (error) {
        // An allow Axon would refuse is no allow: deny, say why, count it.
        logger.error('decision token could not be signed', { error });
        metrics.addMetric(DECISION_METRICS.tokenFailures.name, MetricUnit.Count, 1);
        outcome = {
          decision: {
            allowed: false,
            reason: DENY_REASONS.tokenUnavailable,
            policyRevision: outcome.decision.policyRevision,
          },
          kind: 'token-unavailable',
        };
      }
    }
    const result: DecisionResult = { ...outcome.decision, decisionId, ...(token ? { token } : {}) };

    metrics.addMetric(DECISION_METRICS.decisions.name, MetricUnit.Count, 1);
    metrics.addMetric(DECISION_METRICS.latency.name, MetricUnit.Milliseconds, performance.now() - started);
    if (outcome.kind) {
      metrics.addMetric(DECISION_METRICS.denials.name, MetricUnit.Count, 1);
      reasonMetrics.addDimension('Reason', outcome.kind);
      reasonMetrics.addMetric(DECISION_METRICS.denialsByReason.name, MetricUnit.Count, 1);
      reasonMetrics.publishStoredMetrics();
    }
    const caller = callerOf(event);
    if (caller) {
      callerMetrics.addDimensions({ Caller: caller, Outcome: result.allowed ? 'allow' : 'deny' });
      callerMetrics.addMetric(DECISION_METRICS.decisionsByCaller.name, MetricUnit.Count, 1);
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
      // The token is a bearer proof for its lifetime: logs keep the decision, not the proof.
      result: { ...outcome.decision, decisionId },
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

/** What the token binds, from an event the engine accepted (an allow implies a valid event). */
function tokenRequest(
  event: unknown,
  decision: Decision,
  decisionId: string,
  time: number,
): DecisionTokenRequest {
  const e = event as {
    service: string;
    intent: string;
    correlationId?: string;
    caller?: { clientId: string; tenant?: string };
  };
  return {
    subject: e.caller?.clientId ?? e.service,
    intent: e.intent,
    correlationId: e.correlationId ?? decisionId,
    service: e.service,
    decisionId,
    policyRevision: decision.policyRevision,
    time,
    ...(decision.statementId === undefined ? {} : { statementId: decision.statementId }),
    ...(e.caller?.tenant === undefined ? {} : { tenant: e.caller.tenant }),
  };
}
