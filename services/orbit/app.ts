import type { Tracer } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { METRICS } from '../../contracts/metrics.js';
import { addHealthRoute } from '../shared/health.js';
import { createServiceApp, refuseDeepJson } from '../shared/http.js';
import type { EmfMetrics } from '../shared/metrics.js';
import { sendProblem } from '../shared/problem.js';
import { intentRequestBody } from '../shared/schemas.js';
import { traceRequests } from '../shared/tracing.js';
import type { AxonOutcome, DecisionProof } from './axon-client.js';
import { type CallerGuardDeps, callerGuard } from './caller-guard.js';
import type { Governance } from './governance.js';

/** 64 KiB, the same limit as Axon: Orbit forwards the payload, so it must never accept more. */
export const ORBIT_BODY_LIMIT = 64 * 1024;

export interface Axon {
  reason(body: unknown, correlationId: string, proof?: DecisionProof): Promise<AxonOutcome>;
  readonly breakerState: string;
}

export interface OrbitDeps {
  readonly logger: Logger;
  readonly governance: Governance;
  readonly axon: Axon;
  /** Who may dispatch: bearer-token verification and per-caller rate limits. */
  readonly callers: CallerGuardDeps;
  /** Whether a signing key is loaded; without one every dispatch would fail. */
  readonly ready: () => boolean;
  readonly metrics?: EmfMetrics;
  /** Records a server span per request (correlation id attached) when tracing is on. */
  readonly tracer?: Tracer;
}

const dispatchResponse = {
  type: 'object',
  required: ['status', 'correlationId', 'intent', 'decision', 'result'],
  properties: {
    status: { type: 'string' },
    correlationId: { type: 'string' },
    intent: { type: 'string' },
    decision: {
      type: 'object',
      properties: {
        reason: { type: 'string' },
        statementId: { type: 'string' },
        policyRevision: { type: ['integer', 'null'] },
        decisionId: { type: 'string' },
        cached: { type: 'boolean' },
      },
    },
    attempts: { type: 'integer' },
    result: { type: 'object', additionalProperties: true },
  },
} as const;

const M = METRICS.orbit;

/**
 * Orbit: `POST /dispatch {intent, payload}` → governance (fail closed) → signed call to Axon through
 * the resilience policy → the answer. Every refusal is problem+json with a stable type.
 */
export function buildOrbitApp(deps: OrbitDeps): FastifyInstance {
  const app = createServiceApp({ logger: deps.logger, bodyLimit: ORBIT_BODY_LIMIT });
  if (deps.tracer) traceRequests(app, deps.tracer, (request) => request.id);

  // Callback hooks below never wait: an async one costs every request a promise and a tick.
  const metrics = deps.metrics;
  if (metrics) {
    app.addHook('onResponse', (_request, reply, done) => {
      metrics.count(M.requests.name);
      metrics.timing(M.latency.name, reply.elapsedTime);
      if (reply.statusCode >= 500) metrics.count(M.serverErrors.name);
      else if (reply.statusCode >= 400) metrics.count(M.clientErrors.name);
      done();
    });
  }

  addHealthRoute(app, 'orbit', () => {
    const ready = deps.ready();
    return {
      ready,
      checks: { signingKey: ready ? 'loaded' : 'missing', axonCircuit: deps.axon.breakerState },
    };
  });

  const guard = callerGuard({ ...deps.callers, ...(deps.metrics ? { metrics: deps.metrics } : {}) });
  app.post(
    '/dispatch',
    {
      schema: { body: intentRequestBody, response: { 200: dispatchResponse } },
      onRequest: guard.authenticate,
      preValidation: (request, reply, done) => {
        if (!refuseDeepJson(request.body, reply)) done();
      },
      preHandler: guard.limit,
    },
    async (request, reply) => {
      const { intent, payload } = request.body as { intent: string; payload?: Record<string, unknown> };
      const correlationId = request.id;
      const caller = request.caller as NonNullable<typeof request.caller>;

      const askedAt = performance.now();
      const decision = await deps.governance.decide(intent, correlationId, caller);
      if (!(decision.kind === 'decision' && decision.cached)) {
        deps.metrics?.timing(M.governanceLatency.name, performance.now() - askedAt);
      }
      if (decision.kind === 'unavailable') {
        deps.metrics?.count(M.governanceFailures.name);
        request.log.warn({ intent, reason: decision.reason }, 'governance unavailable: denied (fail closed)');
        reply.header('retry-after', '1');
        return sendProblem(reply, 503, 'governance-unavailable', `denied: ${decision.reason}`, { intent });
      }
      if (!decision.allowed) {
        deps.metrics?.count(M.denials.name);
        request.log.info(
          { intent, caller: caller.clientId, reason: decision.reason, decisionId: decision.decisionId },
          'dispatch denied',
        );
        return sendProblem(reply, 403, 'governance-denied', decision.reason, {
          intent,
          decisionId: decision.decisionId,
          policyRevision: decision.policyRevision,
          ...(decision.statementId ? { statementId: decision.statementId } : {}),
        });
      }

      const calledAt = performance.now();
      const outcome = await deps.axon.reason({ intent, ...(payload ? { payload } : {}) }, correlationId, {
        ...(decision.token ? { token: decision.token } : {}),
        caller: caller.clientId,
      });
      deps.metrics?.timing(M.axonLatency.name, performance.now() - calledAt);
      if (outcome.kind === 'unavailable') {
        deps.metrics?.count(outcome.breakerOpen ? M.circuitOpenRejects.name : M.axonFailures.name);
        reply.header('retry-after', String(outcome.retryAfterSeconds));
        return sendProblem(
          reply,
          503,
          outcome.breakerOpen ? 'circuit-open' : 'axon-unavailable',
          outcome.reason,
          {
            attempts: outcome.attempts,
          },
        );
      }
      if (outcome.status !== 200 || typeof outcome.body !== 'object' || outcome.body === null) {
        deps.metrics?.count(M.axonRejects.name);
        const upstreamType = (outcome.body as { type?: unknown } | undefined)?.type;
        request.log.error({ upstreamStatus: outcome.status, upstreamType }, 'axon refused the dispatch');
        return sendProblem(reply, 502, 'axon-rejected', `axon answered ${outcome.status}`, {
          upstreamStatus: outcome.status,
          ...(typeof upstreamType === 'string' ? { upstreamType } : {}),
        });
      }
      deps.metrics?.count(M.dispatches.name);
      return {
        status: 'dispatched',
        correlationId,
        intent,
        decision: {
          reason: decision.reason,
          ...(decision.statementId ? { statementId: decision.statementId } : {}),
          policyRevision: decision.policyRevision,
          decisionId: decision.decisionId,
          cached: decision.cached,
        },
        attempts: outcome.attempts,
        result: outcome.body,
      };
    },
  );
  return app;
}
