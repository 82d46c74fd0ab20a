import type { FastifyInstance } from 'fastify';

/** What a service reports about itself: ready to serve, and the state of each thing that takes. */
export interface Readiness {
  readonly ready: boolean;
  /** e.g. `{ signingKey: 'loaded' }`. */
  readonly checks: Readonly<Record<string, string>>;
}

const healthResponse = {
  type: 'object',
  required: ['status', 'service', 'ready'],
  properties: {
    status: { type: 'string' },
    service: { type: 'string' },
    ready: { type: 'boolean' },
    checks: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

/**
 * `GET /health` as both services answer it: liveness is always 200 (the container health check);
 * `?ready=1` answers 503 until the service is ready (the load balancer's target health check).
 */
export function addHealthRoute(app: FastifyInstance, service: string, readiness: () => Readiness): void {
  app.get(
    '/health',
    {
      schema: {
        querystring: { type: 'object', properties: { ready: { type: 'string', enum: ['0', '1'] } } },
        response: { 200: healthResponse, 503: healthResponse },
      },
    },
    async (request, reply) => {
      const { ready, checks } = readiness();
      const wantReady = (request.query as { ready?: string }).ready === '1';
      return reply
        .code(wantReady && !ready ? 503 : 200)
        .send({ status: ready ? 'ok' : 'degraded', service, ready, checks });
    },
  );
}
