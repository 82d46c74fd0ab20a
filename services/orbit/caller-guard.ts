import type {
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
  preHandlerHookHandler,
} from 'fastify';
import type { CallerIdentity } from '../../contracts/caller.js';
import { METRICS } from '../../contracts/metrics.js';
import type { EmfMetrics } from '../shared/metrics.js';
import { sendProblem } from '../shared/problem.js';
import { type AuthOutcome, bearerChallenge } from './auth.js';
import { type CallerRateLimiter, rateLimitHeaders } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set by the authentication hook before anything else runs. */
    caller?: CallerIdentity;
  }
}

export interface TokenCheck {
  verify(authorization: string | undefined): Promise<AuthOutcome>;
  /** The caller of a header verified before, answered at once; undefined: ask `verify`. */
  cached?(authorization: string | undefined): CallerIdentity | undefined;
}

export interface CallerGuardDeps {
  readonly tokens: TokenCheck;
  readonly limiter: CallerRateLimiter;
  readonly metrics?: EmfMetrics;
}

/** The intent's class: its first segment (`reason` for `reason:deep`), what limits and scopes key on. */
export function intentClassOf(intent: string): string {
  const colon = intent.indexOf(':');
  return colon === -1 ? intent : intent.slice(0, colon);
}

/**
 * The route hooks that make a dispatch answer to who is asking: `authenticate` (onRequest, before
 * the body is even read) verifies the bearer token and sets `request.caller`, or answers 401 with
 * `WWW-Authenticate`; `limit` (preHandler, once the intent is known) takes from the caller's token
 * bucket for the intent class, or answers 429 with `Retry-After` and the RateLimit fields (a
 * callback hook: it never waits, and an async one costs every dispatch a promise and a tick).
 */
export function callerGuard(deps: CallerGuardDeps): {
  authenticate: onRequestHookHandler;
  limit: preHandlerHookHandler;
} {
  const M = METRICS.orbit;
  const refuse = (request: FastifyRequest, reply: FastifyReply, outcome: AuthOutcome & { ok: false }) => {
    deps.metrics?.countBy(M.authFailures, outcome.reason);
    request.log.info({ reason: outcome.reason }, 'caller not authenticated');
    reply.header('www-authenticate', bearerChallenge(outcome));
    sendProblem(reply, 401, 'unauthenticated', outcome.detail, { reason: outcome.reason });
  };
  return {
    // A callback hook: a reused token (the common case) is answered from the verifier's cache
    // without the promise and tick an async hook costs every request.
    authenticate(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      const authorization = request.headers.authorization;
      const known = deps.tokens.cached?.(authorization);
      if (known !== undefined) {
        request.caller = known;
        done();
        return;
      }
      deps.tokens.verify(authorization).then((outcome) => {
        if (!outcome.ok) return refuse(request, reply, outcome);
        request.caller = outcome.caller;
        done();
      }, done);
    },
    limit(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
      const caller = request.caller;
      if (!caller) {
        sendProblem(reply, 401, 'unauthenticated', 'no verified caller');
        return;
      }
      const intentClass = intentClassOf((request.body as { intent: string }).intent);
      const decision = deps.limiter.take(caller.clientId, intentClass);
      reply.headers(rateLimitHeaders(intentClass, decision));
      if (decision.allowed) {
        done();
        return;
      }
      deps.metrics?.countBy(M.callerThrottled, caller.clientId);
      request.log.warn({ caller: caller.clientId, intentClass }, 'caller throttled');
      reply.header('retry-after', String(decision.retryAfterS));
      sendProblem(
        reply,
        429,
        'rate-limited',
        `caller ${caller.clientId} exceeded ${decision.limit.perSecond}/s (burst ${decision.limit.burst}) for ${intentClass} intents`,
        { caller: caller.clientId, intentClass, retryAfterSeconds: decision.retryAfterS },
      );
    },
  };
}
