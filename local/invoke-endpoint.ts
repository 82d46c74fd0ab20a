import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendJson } from './json-response.js';

export type LambdaHandler = (event: unknown) => Promise<unknown>;

export interface InvokeEndpoint {
  readonly url: string;
  readonly invocations: number;
  close(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const MAX_PAYLOAD = 6 * 1024 * 1024;

/** The SDK reads the error code from `x-amzn-ErrorType`, as the real service sends it. */
function serviceError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { Type: 'User', message }, { 'x-amzn-errortype': code });
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_PAYLOAD) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A loopback server that speaks the Lambda `Invoke` REST API (`POST /2015-03-31/functions/<name>/invocations`,
 * RequestResponse), so Orbit talks to it through the real `@aws-sdk/client-lambda` with only
 * `AWS_ENDPOINT_URL_LAMBDA` changed. A handler that throws comes back as `X-Amz-Function-Error:
 * Unhandled`, like a failed Lambda; an unknown name is `ResourceNotFoundException`.
 */
export async function startInvokeEndpoint(
  functions: Readonly<Record<string, LambdaHandler>>,
  port = 0,
  host = '127.0.0.1',
): Promise<InvokeEndpoint> {
  let invocations = 0;
  const server: Server = createServer((req, res) => {
    const match = req.method === 'POST' ? INVOKE_PATH.exec((req.url ?? '').split('?')[0] ?? '') : null;
    if (!match?.[1]) return serviceError(res, 404, 'UnknownOperationException', 'only Invoke is served here');
    const name = decodeURIComponent(match[1]).split(':').at(-1) ?? '';
    const handler = functions[name];
    if (!handler) return serviceError(res, 404, 'ResourceNotFoundException', `Function not found: ${name}`);
    const type = req.headers['x-amz-invocation-type'] ?? 'RequestResponse';
    if (type !== 'RequestResponse') {
      return serviceError(res, 400, 'InvalidParameterValueException', 'only RequestResponse is supported');
    }
    readBody(req).then(
      async (body) => {
        if (!body) return serviceError(res, 413, 'RequestTooLargeException', 'payload exceeds 6 MB');
        let event: unknown;
        try {
          event = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
        } catch {
          return serviceError(
            res,
            400,
            'InvalidRequestContentException',
            'could not parse request body into json',
          );
        }
        invocations++;
        try {
          sendJson(res, 200, await handler(event), { 'x-amz-executed-version': '$LATEST' });
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          sendJson(
            res,
            200,
            { errorType: error.name, errorMessage: error.message },
            { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' },
          );
        }
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    get invocations() {
      return invocations;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
