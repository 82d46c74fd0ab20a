import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import aws4 from 'aws4';
import { freePort, platformOptionsFromEnv, REPO_ROOT, startPlatform } from '../local/platform.js';
import { ReplayCache } from '../services/shared/replay-cache.js';
import {
  type IncomingSignedRequest,
  SignatureVerifier,
  type SigningKey,
  sha256Hex,
  signRequest,
} from '../services/shared/sigv4.js';
import { type Figure, printTable } from './report.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const REGION = 'eu-west-1';
const REASON_BODY = JSON.stringify({ intent: 'reason:bench', payload: { text: 'hello' } });
const REASON_HASH = sha256Hex(REASON_BODY);

interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly total: number;
}

/** Each request signed afresh (own nonce and date) with the independent aws4 client, as a caller would. */
function signedReasonRequests(url: string, key: SigningKey): autocannon.Request[] {
  const { host } = new URL(url);
  let n = 0;
  return [
    {
      method: 'POST',
      path: '/reason',
      setupRequest: (req) => {
        const opts = {
          host,
          method: 'POST',
          path: '/reason',
          service: 'axon',
          region: REGION,
          body: REASON_BODY,
          headers: {
            'content-type': 'application/json',
            'x-amz-content-sha256': REASON_HASH,
            'x-axon-nonce': `${process.pid}-${n++}`,
          } as Record<string, string>,
        };
        aws4.sign(opts, { accessKeyId: key.keyId, secretAccessKey: key.secret });
        return { ...req, headers: opts.headers, body: REASON_BODY };
      },
    },
  ];
}

async function load(
  url: string,
  options: Partial<autocannon.Options>,
  seconds = DURATION_S,
): Promise<LoadResult> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, ...options });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  };
}

/** µs per call of `fn` over `n` sequential calls. */
async function perCall(n: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 500; i++) await fn(n + i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

async function signingFigures(): Promise<Figure[]> {
  const key: SigningKey = { keyId: 'bench-key', secret: randomBytes(32).toString('base64') };
  const url = new URL('http://axon.internal:8081/reason');
  const N = 5_000;
  const sign = (i: number) =>
    signRequest(
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', 'x-axon-nonce': String(i) },
        body: REASON_BODY,
      },
      key,
      REGION,
    );
  const signUs = await perCall(N, sign);
  const aws4Us = await perCall(N, (i) =>
    aws4.sign(
      {
        host: url.host,
        method: 'POST',
        path: '/reason',
        service: 'axon',
        region: REGION,
        body: REASON_BODY,
        headers: { 'x-axon-nonce': String(i) },
      },
      { accessKeyId: key.keyId, secretAccessKey: key.secret },
    ),
  );
  const requests: IncomingSignedRequest[] = [];
  for (let i = 0; i < N + 500; i++) {
    requests.push({
      method: 'POST',
      rawUrl: '/reason',
      headers: await sign(i),
      body: Buffer.from(REASON_BODY),
    });
  }
  const verifier = new SignatureVerifier({
    region: REGION,
    keys: { get: () => key.secret },
    replay: new ReplayCache(),
  });
  let rejected = 0;
  const verifyUs = await perCall(N, async (i) => {
    const result = await verifier.verify(requests[i] as IncomingSignedRequest);
    if (!result.ok) rejected++;
  });
  if (rejected > 0) throw new Error(`verification rejected ${rejected} bench requests`);
  return [
    { name: 'sign (aws4 package, sync)', value: aws4Us, unit: 'µs/request' },
    {
      name: 'sign (@smithy/signature-v4, Orbit)',
      value: signUs,
      unit: 'µs/request',
      baseline: { name: 'aws4', value: aws4Us },
    },
    { name: 'verify incl. body hash + replay cache (Axon)', value: verifyUs, unit: 'µs/request' },
  ];
}

function startProxy(port: number, axonUrl: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/passthrough-proxy.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, PORT: String(port), AXON_URL: axonUrl },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = (): Promise<void> => {
    child.kill('SIGTERM');
    return exited;
  };
  return { url: `http://127.0.0.1:${port}`, stop };
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url, { method: 'POST', signal: AbortSignal.timeout(500) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

/**
 * Services bench: (a) signed Axon /reason direct, (b) governed Orbit /dispatch, (c) a bare Fastify +
 * undici pass-through in front of Axon (the cost of one extra hop). All on loopback, each process on
 * its own event loop; service logs at warn (request logging is not what is being compared).
 */
export async function runServicesBench(): Promise<Figure[]> {
  const secretsDir = mkdtempSync(join(tmpdir(), 'bench-services-'));
  const key: SigningKey = { keyId: 'bench-key-1', secret: randomBytes(32).toString('base64') };
  const platform = await startPlatform({
    ...platformOptionsFromEnv({}),
    orbitPort: 0,
    axonPort: 0,
    lambdaPort: 0,
    dynamoPort: 0,
    secretsDir,
    signingKey: key.secret,
    signingKeyId: key.keyId,
    logs: 'ignore',
    logLevel: 'warn',
    serviceEnv: { SHUTDOWN_DRAIN_MS: '2000' },
  });
  const proxy = startProxy(await freePort(), platform.axonUrl);
  try {
    await waitFor(proxy.url);
    const dispatch = {
      method: 'POST' as const,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await platform.issuer.token('demo-app')}`,
      },
      body: JSON.stringify({ intent: 'reason:bench', payload: { text: 'hello' } }),
    };
    // Warm-up: JIT, connection pools, the governance decision cache.
    await load(`${platform.orbitUrl}/dispatch`, dispatch, 2);
    await load(platform.axonUrl, { requests: signedReasonRequests(platform.axonUrl, key) }, 2);
    await load(proxy.url, { requests: signedReasonRequests(proxy.url, key) }, 2);

    const direct = await load(platform.axonUrl, { requests: signedReasonRequests(platform.axonUrl, key) });
    const proxied = await load(proxy.url, { requests: signedReasonRequests(proxy.url, key) });
    const governed = await load(`${platform.orbitUrl}/dispatch`, dispatch);

    const rows: [string, LoadResult][] = [
      ['(a) axon /reason, signed, direct', direct],
      ['(c) bare proxy → axon /reason', proxied],
      ['(b) orbit /dispatch → governance → axon', governed],
    ];
    const figures: Figure[] = [];
    for (const [name, r] of rows) {
      figures.push(
        name.startsWith('(b)')
          ? {
              name: `${name} rps`,
              value: r.rps,
              unit: 'req/s',
              baseline: { name: '(c) bare proxy', value: proxied.rps },
            }
          : { name: `${name} rps`, value: r.rps, unit: 'req/s' },
        { name: `${name} p50 / p99`, value: r.p50, unit: `ms / ${r.p99} ms` },
        { name: `${name} non-2xx + errors`, value: r.non2xx + r.errors, unit: `of ${r.total}` },
      );
    }
    printTable(
      `services on loopback: autocannon, ${CONNECTIONS} connections, ${DURATION_S} s each, governance invocations ${platform.invocations()}`,
      figures,
    );
    const signing = await signingFigures();
    printTable('SigV4 per request (sequential, this process)', signing);
    return [...figures, ...signing];
  } finally {
    await proxy.stop();
    await platform.stop();
    rmSync(secretsDir, { recursive: true, force: true });
  }
}
