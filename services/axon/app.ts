import type { Tracer } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { DECISION_CALLER_HEADER, DECISION_TOKEN_HEADER } from '../../contracts/decision-token.js';
import { METRICS } from '../../contracts/metrics.js';
import { addHealthRoute } from '../shared/health.js';
import { createServiceApp, refuseDeepJson } from '../shared/http.js';
import type { EmfMetrics } from '../shared/metrics.js';
import { sendProblem } from '../shared/problem.js';
import { ReplayCache } from '../shared/replay-cache.js';
import { intentRequestBody } from '../shared/schemas.js';
import { type KeyLookup, REJECT_STATUS, type ReplayGuard, SignatureVerifier } from '../shared/sigv4.js';
import { traceRequests } from '../shared/tracing.js';
import type { DecisionTokenVerifier, TokenResult } from './decision-token.js';

/** 64 KiB: a reasoning request is an intent and a small payload; anything bigger is refused with 413. */
export const AXON_BODY_LIMIT = 64 * 1024;

export interface AxonDeps {
  readonly logger: Logger;
  readonly region: string;
  readonly keys: KeyLookup & { readonly loaded: boolean };
  readonly replay?: ReplayGuard;
  /** Governance's decision tokens: when set, `/reason` serves only an intent a valid token allows. */
  readonly tokens?: DecisionTokenVerifier;
  readonly metrics?: EmfMetrics;
  /** Records a server span per request (correlation id attached) when tracing is on. */
  readonly tracer?: Tracer;
  readonly now?: () => number;
}

const reasonResponse = {
  type: 'object',
  required: ['status', 'service', 'time', 'correlationId', 'intent', 'keyId'],
  properties: {
    status: { type: 'string' },
    service: { type: 'string' },
    time: { type: 'string' },
    correlationId: { type: 'string' },
    intent: { type: 'string' },
    keyId: { type: 'string' },
    payloadKeys: { type: 'integer' },
    decisionId: { type: 'string' },
    caller: { type: 'string' },
  },
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    verifiedKeyId?: string;
    /** The headers the verified signature covers. */
    signedHeaders?: readonly string[];
    /** What the verified decision token says: quoted in the answer and the request's log. */
    decision?: { readonly decisionId: string; readonly caller: string };
  }
}

/**
 * Axon: `GET /health` (liveness; `ready` says whether verification keys are loaded, and
 * `GET /health?ready=1` answers 503 until they are) and `POST /reason`, which only runs for a
 * request whose SigV4 signature verifies. The body is kept raw until the signature (which covers its
 * hash) has been checked, then parsed and validated.
 */
export function buildAxonApp(deps: AxonDeps): FastifyInstance {
  const app = createServiceApp({ logger: deps.logger, bodyLimit: AXON_BODY_LIMIT });
  if (deps.tracer) traceRequests(app, deps.tracer, (request) => request.id);
  const verifier = new SignatureVerifier({
    region: deps.region,
    keys: deps.keys,
    replay: deps.replay ?? new ReplayCache(),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  const parseJson = (request: FastifyRequest, raw: Buffer): Promise<unknown> =>
    new Promise((resolve, reject) => {
      jsonParser(request, raw.toString('utf8'), (err, value) => (err ? reject(err) : resolve(value)));
    });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );

  app.addHook('onResponse', async (_request, reply) => {
    deps.metrics?.count(METRICS.axon.requests.name);
    deps.metrics?.timing(METRICS.axon.latency.name, reply.elapsedTime);
  });

  addHealthRoute(app, 'axon', () => ({
    ready: deps.keys.loaded && (deps.tokens?.ready ?? true),
    checks: {
      verificationKeys: deps.keys.loaded ? 'loaded' : 'missing',
      ...(deps.tokens ? { decisionTokenKeys: deps.tokens.ready ? 'loaded' : 'missing' } : {}),
    },
  }));

  app.post(
    '/reason',
    {
      schema: { body: intentRequestBody, response: { 200: reasonResponse } },
      preValidation: async (request, reply) => {
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const result = await verifier.verify({
          method: request.method,
          rawUrl: request.url,
          headers: request.headers,
          body: raw,
        });
        if (!result.ok) {
          deps.metrics?.count(
            result.reason === 'replay-store-unavailable'
              ? METRICS.axon.replayStoreUnavailable.name
              : METRICS.axon.signatureRejects.name,
          );
          request.log.warn(
            { check: result.reason, keyId: result.keyId, detail: result.detail },
            'signature rejected',
          );
          return sendProblem(reply, REJECT_STATUS[result.reason], result.reason, result.detail);
        }
        request.verifiedKeyId = result.keyId;
        request.signedHeaders = result.signedHeaders;
        if (raw.length === 0) return sendProblem(reply, 400, 'malformed-json', 'the body is empty');
        try {
          request.body = await parseJson(request, raw);
        } catch {
          return sendProblem(reply, 400, 'malformed-json', 'the body is not valid JSON');
        }
        return refuseDeepJson(request.body, reply);
      },
      // After schema validation: the intent the token must allow is known to be well-formed.
      preHandler: async (request, reply) => {
        if (!deps.tokens) return;
        const { intent } = request.body as { intent: string };
        const result = await verifyDecision(deps.tokens, request, intent);
        if (!result.ok) {
          deps.metrics?.count(METRICS.axon.decisionTokenRejects.name);
          request.log.warn(
            { check: result.reason, intent, detail: result.detail },
            'decision token rejected',
          );
          return sendProblem(reply, 403, result.reason, result.detail, { intent });
        }
        request.decision = { decisionId: result.claims.tctx.decisionId, caller: result.claims.sub };
      },
    },
    async (request) => {
      const body = request.body as { intent: string; payload?: Record<string, unknown> };
      return {
        status: 'ok',
        service: 'axon',
        time: new Date((deps.now ?? Date.now)()).toISOString(),
        correlationId: request.id,
        intent: body.intent,
        keyId: request.verifiedKeyId ?? '',
        payloadKeys: body.payload ? Object.keys(body.payload).length : 0,
        ...(request.decision
          ? { decisionId: request.decision.decisionId, caller: request.decision.caller }
          : {}),
      };
    },
  );
  return app;
}

/**
 * The token and the caller count only inside the signature: otherwise anyone on the path could swap
 * them under a valid signature (the token's own signature does not say which dispatch it is for).
 */
async function verifyDecision(
  tokens: DecisionTokenVerifier,
  request: FastifyRequest,
  intent: string,
): Promise<TokenResult> {
  const signed = new Set(request.signedHeaders);
  const unsigned = [DECISION_TOKEN_HEADER, DECISION_CALLER_HEADER].filter(
    (name) => request.headers[name] !== undefined && !signed.has(name),
  );
  if (unsigned.length > 0) {
    return {
      ok: false,
      reason: 'decision-token-unsigned',
      detail: `${unsigned.join(' and ')} must be among the signed headers`,
    };
  }
  return tokens.verify(
    headerValue(request, DECISION_TOKEN_HEADER),
    intent,
    headerValue(request, DECISION_CALLER_HEADER),
  );
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
