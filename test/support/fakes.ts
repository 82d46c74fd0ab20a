import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';

/**
 * A loopback HTTP server whose behaviour per request is scripted by the test: used to make Axon fail,
 * hang or recover on demand. Counts requests so tests can assert retries and fast failures.
 */
export async function scriptedServer(
  handle: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<{ url: URL; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => handle(req, res, hits));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    hits: () => hits,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** The real SDK client pointed at a local invoke endpoint, with throwaway credentials. */
export function localLambdaClient(endpoint: string): LambdaClient {
  return new LambdaClient({
    region: 'eu-west-1',
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/**
 * Stand-in for the governance handler in unit tests (the real one runs in the e2e tests): allows
 * `reason:*` for orbit, denies the rest, and can be told to be slow or to throw.
 */
export function governanceDouble(behaviour: { delayMs?: number; fail?: boolean; calls?: unknown[] } = {}) {
  return async (event: unknown): Promise<unknown> => {
    behaviour.calls?.push(event);
    if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
    if (behaviour.fail) throw new Error('policy engine crashed');
    const { service, intent } = event as { service: string; intent: string };
    const allowed = service === 'orbit' && intent.startsWith('reason:');
    return {
      allowed,
      reason: allowed
        ? 'allowed by statement orbit-reasons-on-axon'
        : `no statement allows ${service}:${intent}`,
      ...(allowed ? { statementId: 'orbit-reasons-on-axon' } : {}),
      policyRevision: 1,
      decisionId: `d-${Math.random().toString(36).slice(2)}`,
    };
  };
}
