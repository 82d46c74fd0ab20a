import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { CORRELATION_ID_HEADER, isWellFormedCorrelationId } from '../../contracts/correlation.js';
import { exceedsJsonDepth, jsonDepthProblem, MAX_JSON_DEPTH } from '../../contracts/json-depth.js';
import { correlationIdFrom } from './correlation.js';
import { lazyChildLoggerFactory } from './lazy-logger.js';
import { clientErrorResponse, installProblemHandlers, sendProblem } from './problem.js';

/** One log line per request (not Fastify's two), carrying the correlation id like every other line. */
class OneLinePerRequest extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'correlationId' });
  }
  override incomingRequest(): void {}
  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    // Skipped before the line is built: at warn and above it would only be thrown away.
    if (!error && !(reply.log as Logger).isLevelEnabled('info')) return;
    const line = {
      method: request.method,
      path: request.url.split('?')[0],
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

export interface ServiceAppOptions {
  readonly logger: Logger;
  /** Largest accepted body in bytes; bigger ones get 413 problem+json naming this limit. */
  readonly bodyLimit: number;
}

/**
 * The Fastify instance both services start from: correlation ids (well-formed caller id, else a new
 * one; a malformed one is refused), problem+json for every error including ones Node's HTTP parser
 * raises before Fastify sees the request, and strict JSON schema validation.
 */
export function createServiceApp(options: ServiceAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    logController: new OneLinePerRequest(),
    childLoggerFactory: lazyChildLoggerFactory,
    bodyLimit: options.bodyLimit,
    requestIdHeader: false,
    genReqId: (req) => correlationIdFrom(req.headers[CORRELATION_ID_HEADER]),
    // Requests that reach a closing server get the problem+json below, not Fastify's plain 503.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    clientErrorHandler: (error, socket) => {
      if (socket.writable) socket.end(clientErrorResponse((error as NodeJS.ErrnoException).code));
      else socket.destroy();
    },
  }) as unknown as FastifyInstance;

  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // Callback-style: it never waits, and an async hook costs every request a promise and a tick.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(CORRELATION_ID_HEADER, request.id);
    if (closing) {
      reply.header('connection', 'close').header('retry-after', '1');
      sendProblem(reply, 503, 'shutting-down', 'this instance is shutting down; retry the request');
      return;
    }
    const supplied = request.headers[CORRELATION_ID_HEADER];
    if (supplied !== undefined && !isWellFormedCorrelationId(supplied)) {
      sendProblem(
        reply,
        400,
        'invalid-correlation-id',
        `${CORRELATION_ID_HEADER} must be 8-128 characters of A-Z a-z 0-9 . _ : -`,
      );
      return;
    }
    done();
  });
  // JSON only: without this Fastify would parse text/plain into a string and answer a vague 400.
  app.removeContentTypeParser('text/plain');
  installProblemHandlers(app, options.bodyLimit);
  return app;
}

/**
 * Answers 400 problem+json naming the nesting limit when a parsed body is too deep, before any
 * recursive step (schema validation, forwarding, logging) touches it; undefined when it is fine.
 * Routes taking a JSON body run it as their preValidation hook, or right after parsing a raw body.
 */
export function refuseDeepJson(body: unknown, reply: FastifyReply): FastifyReply | undefined {
  if (!exceedsJsonDepth(body)) return undefined;
  return sendProblem(reply, 400, 'json-too-deep', jsonDepthProblem('the body'), { maxDepth: MAX_JSON_DEPTH });
}
