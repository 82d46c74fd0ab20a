import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { request as undiciRequest } from 'undici';
import { createLogger, type Logger } from '../../services/shared/logger.js';
import { type SigningKey, signRequest } from '../../services/shared/sigv4.js';

export const REGION = 'eu-west-1';

export function newKey(keyId = `v-${randomBytes(6).toString('hex')}`): SigningKey {
  return { keyId, secret: randomBytes(32).toString('base64') };
}

/** A logger whose JSON lines are kept in memory, so tests can assert on what was (not) logged. */
export function memoryLogger(service: string): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return {
    logger: createLogger(service, 'debug', sink),
    lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A signed `/reason` request ready for `app.inject` or undici. */
export async function signedReason(
  key: SigningKey,
  body: string,
  options: { at?: Date; target?: string; headers?: Record<string, string> } = {},
): Promise<{ url: string; headers: Record<string, string>; payload: string }> {
  const url = new URL(options.target ?? '/reason', 'http://axon.local:8081');
  const headers = await signRequest(
    { method: 'POST', url, headers: { 'content-type': 'application/json', ...options.headers }, body },
    key,
    REGION,
    options.at,
  );
  return { url: url.pathname + url.search, headers, payload: body };
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  json(): any;
}

/**
 * Listens on a loopback port and sends real HTTP requests (Fastify's `inject` pulls in an ESM-only
 * dependency that jest cannot load on Node 20, and real sockets test more anyway).
 */
export async function serve(app: FastifyInstance): Promise<{
  url: string;
  request(options: {
    method: string;
    url: string;
    headers?: Record<string, string>;
    payload?: string;
  }): Promise<HttpResponse>;
}> {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    async request(options) {
      const res = await undiciRequest(`${url}${options.url}`, {
        method: options.method as 'GET',
        headers: options.headers ?? {},
        body: options.payload,
      });
      const body = await res.body.text();
      return {
        statusCode: res.statusCode,
        headers: res.headers as Record<string, string | string[] | undefined>,
        body,
        json: () => JSON.parse(body),
      };
    },
  };
}
