import {
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { HttpRequest } from '@smithy/protocol-http';
import type { BuildMiddleware, MiddlewareStack } from '@smithy/types';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CORRELATION_ATTRIBUTE } from '../../contracts/correlation.js';

export { CORRELATION_ATTRIBUTE };

const TRACER_NAME = 'axon-orbit';

export interface TracingOptions {
  readonly serviceName: string;
  readonly environment: string;
  /** OTLP/HTTP traces endpoint of the collector sidecar, e.g. `http://127.0.0.1:4318/v1/traces`. */
  readonly endpoint?: string;
  /** Overrides the exporter (tests); spans then go to it through `processor`. */
  readonly processor?: SpanProcessor;
}

/**
 * Tracing of one service: X-Ray-compatible trace ids and `X-Amzn-Trace-Id` propagation, spans
 * exported over OTLP to the collector sidecar, which forwards them to X-Ray. Without an endpoint
 * (tests, the local platform) nothing is recorded and the API calls cost next to nothing.
 */
export class Tracing {
  readonly tracer: Tracer;

  private constructor(private readonly provider: NodeTracerProvider | undefined) {
    this.tracer = trace.getTracer(TRACER_NAME);
  }

  static start(options: TracingOptions): Tracing {
    const processor =
      options.processor ??
      (options.endpoint ? new BatchSpanProcessor(exporterFor(options.endpoint)) : undefined);
    if (!processor) return new Tracing(undefined);
    const provider = new NodeTracerProvider({
      idGenerator: new AWSXRayIdGenerator(),
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.serviceName,
        'deployment.environment.name': options.environment,
      }),
      spanProcessors: [processor],
    });
    provider.register({ propagator: new AWSXRayPropagator() });
    return new Tracing(provider);
  }

  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
    if (this.provider) {
      trace.disable();
      propagation.disable();
      context.disable();
    }
  }
}

function exporterFor(url: string): SpanExporter {
  return new OTLPTraceExporter({ url, timeoutMillis: 2_000 });
}

const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** The propagation headers (`x-amzn-trace-id`) of the active span, to send on an outgoing call. */
export function traceHeaders(ctx: Context = context.active()): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(ctx, headers, headerSetter);
  return headers;
}

/**
 * One SERVER span per request, child of the caller's `X-Amzn-Trace-Id` when there is one, carrying
 * the correlation id; the rest of the request (handlers, outgoing calls) runs inside it.
 */
export function traceRequests(
  app: FastifyInstance,
  tracer: Tracer,
  correlationIdOf: (request: FastifyRequest) => string | undefined,
): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  app.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(context.active(), request.headers);
    const span = tracer.startSpan(
      `${request.method} ${request.routeOptions.url ?? 'unmatched'}`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': request.method, 'url.path': request.url.split('?')[0] },
      },
      parent,
    );
    spans.set(request, span);
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook('onResponse', async (request, reply) => {
    const span = spans.get(request);
    if (!span) return;
    const correlationId = correlationIdOf(request);
    if (correlationId) span.setAttribute(CORRELATION_ATTRIBUTE, correlationId);
    span.setAttribute('http.response.status_code', reply.statusCode);
    if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  });
}

/** Runs an outgoing call in a CLIENT span; `call` receives the headers that carry the trace on. */
export async function inClientSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  call: (headers: Record<string, string>) => Promise<T>,
): Promise<T> {
  return trace
    .getTracer(TRACER_NAME)
    .startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        return await call(traceHeaders());
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
}

/**
 * Adds the active trace header to every call of an AWS SDK client, so a Lambda invoked by Orbit
 * continues Orbit's trace (Lambda reads `X-Amzn-Trace-Id` on Invoke) and the service map links them.
 */
export function propagateTraceOnAwsCalls<I extends object, O extends object>(client: {
  readonly middlewareStack: MiddlewareStack<I, O>;
}): void {
  const middleware: BuildMiddleware<I, O> = (next) => async (args) => {
    if (HttpRequest.isInstance(args.request)) Object.assign(args.request.headers, traceHeaders());
    return next(args);
  };
  client.middlewareStack.add(middleware, { step: 'build', name: 'propagateTraceHeader' });
}
