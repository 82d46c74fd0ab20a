import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';

/**
 * RFC 9457 problem details. Every error a service returns goes through here so that `type` is stable
 * (clients and alarms key on it) and nothing internal (stack, secret, expected signature) leaks.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TYPE_BASE = 'urn:axon-orbit:problem:';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly correlationId?: string;
  readonly [extension: string]: unknown;
}

export function problemType(slug: string): string {
  return `${TYPE_BASE}${slug}`;
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function problem(
  status: number,
  slug: string,
  detail: string,
  extensions: Readonly<Record<string, unknown>> = {},
): Problem {
  return { type: problemType(slug), title: TITLES[status] ?? 'Error', status, detail, ...extensions };
}

export function sendProblem(
  reply: FastifyReply,
  status: number,
  slug: string,
  detail: string,
  extensions: Readonly<Record<string, unknown>> = {},
): FastifyReply {
  const body = problem(status, slug, detail, {
    instance: reply.request.url.split('?')[0],
    correlationId: reply.request.id,
    ...extensions,
  });
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/** Fastify's own error codes mapped to a stable slug; anything unknown below 500 keeps its status. */
const FASTIFY_ERRORS: Readonly<Record<string, readonly [number, string, string]>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported-media-type', 'content-type must be application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    400,
    'invalid-content-length',
    'content-length does not match the body',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    400,
    'malformed-json',
    'the body is empty but content-type is application/json',
  ],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed-json', 'the body is not valid JSON'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body-too-large', 'the body exceeds the size limit'],
  FST_ERR_CTP_INVALID_TYPE: [400, 'invalid-content-type', 'the content-type header is malformed'],
};

/**
 * Installs the problem+json error, not-found and client-error handlers. A 5xx from a bug is logged
 * with its stack and answered with a generic problem; the stack never reaches the client.
 */
export function installProblemHandlers(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      const detail = error.validation
        .map((v) => `${v.instancePath || '/'} ${v.message ?? 'is invalid'}`)
        .join('; ')
        .slice(0, 500);
      return sendProblem(
        reply,
        400,
        'validation-failed',
        `request ${error.validationContext ?? 'body'}: ${detail}`,
      );
    }
    const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
    if (known) {
      const [status, slug, detail] = known;
      const extra = status === 413 ? { limitBytes: bodyLimit } : {};
      return sendProblem(reply, status, slug, detail, extra);
    }
    if (error instanceof SyntaxError)
      return sendProblem(reply, 400, 'malformed-json', 'the body is not valid JSON');
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendProblem(reply, status, 'bad-request', error.message.slice(0, 200));
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, 500, 'internal', 'the request could not be completed');
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 404, 'not-found', `no route for ${request.method} ${request.url.split('?')[0]}`),
  );
}

/**
 * Written straight to the socket when Node's HTTP parser rejects a request (bad header characters,
 * e.g. CR/LF injected in a header, oversized headers): Fastify never sees these.
 */
export function clientErrorResponse(code: string | undefined): string {
  const tooLarge = code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({
    type: problemType(tooLarge ? 'headers-too-large' : 'malformed-request'),
    title: tooLarge ? 'Request Header Fields Too Large' : 'Bad Request',
    status,
    detail: tooLarge ? 'request headers exceed the limit' : 'the request could not be parsed as HTTP',
  });
  const reason = tooLarge ? 'Request Header Fields Too Large' : 'Bad Request';
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}
