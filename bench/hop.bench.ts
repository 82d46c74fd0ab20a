import { createHash, createHmac, generateKeyPairSync, type Hash, type Hmac, randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { jwtVerify } from 'jose';
import { request } from 'undici';
import { DecisionTokenIssuer, LocalEs256Signer } from '../lambdas/governance/decision-token/index.js';
import { startDynamo } from '../local/dynamo.js';
import { createReplayTable } from '../local/replay-table.js';
import { buildAxonApp } from '../services/axon/app.js';
import { DecisionTokenVerifier } from '../services/axon/decision-token.js';
import { createLogger } from '../services/shared/logger.js';
import { ReplayCache } from '../services/shared/replay-cache.js';
import { DynamoReplayStore } from '../services/shared/replay-store.js';
import { type ReplayGuard, type SigningKey, signRequest } from '../services/shared/sigv4.js';
import { isEntryScript } from './entry.js';
import { type Figure, percentile, printTable } from './report.js';

/**
 * The Orbit → Axon hop's own costs (issue 15), each next to a baseline measured in the same run:
 * signing (aws4, Orbit's signer, against @smithy/signature-v4); the replay store (a signed
 * `POST /reason` through a listening Axon with the DynamoDB store on local dynalite, against the
 * in-process cache).
 */
const REGION = 'eu-west-1';
const BODY = JSON.stringify({ intent: 'reason:bench', payload: { text: 'hello' } });
const N = 20_000;

/** node:crypto SHA-256 in @smithy's shape: the fastest way to run that signer, so a fair baseline. */
class NodeSha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.create();
  }
  private create(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    return createHmac(
      'sha256',
      typeof this.secret === 'string' ? this.secret : Buffer.from(this.secret as Uint8Array),
    );
  }
}

/** Mean µs per call after a warm-up, calls awaited one at a time. */
async function perCallUs(n: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 2_000; i++) await fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

async function signingFigures(): Promise<Figure[]> {
  const key: SigningKey = { keyId: 'bench-key', secret: randomBytes(32).toString('base64') };
  const url = new URL('http://axon.internal:8081/reason');
  const headers = (i: number) => ({ 'content-type': 'application/json', 'x-axon-nonce': String(i) });
  const smithy = new SignatureV4({
    service: 'axon',
    region: REGION,
    credentials: { accessKeyId: key.keyId, secretAccessKey: key.secret },
    sha256: NodeSha256,
  });
  const smithyUs = await perCallUs(N, (i) =>
    smithy.sign(
      new HttpRequest({
        method: 'POST',
        hostname: url.hostname,
        port: 8081,
        path: url.pathname,
        headers: { host: url.host, ...headers(i) },
        body: BODY,
      }),
    ),
  );
  const oursUs = await perCallUs(N, (i) =>
    signRequest({ method: 'POST', url, headers: headers(i), body: BODY }, key, REGION),
  );
  return [
    {
      name: 'sign /reason (Orbit signer, node:crypto)',
      value: oursUs,
      unit: 'µs',
      baseline: { name: '@smithy/signature-v4', value: smithyUs },
    },
  ];
}

/** Latencies (ms) of `n` signed `/reason` calls, one at a time, through Axon on loopback with this store. */
async function reasonLatencies(replay: ReplayGuard, key: SigningKey, n: number): Promise<number[]> {
  const app = buildAxonApp({
    logger: createLogger('axon', 'silent'),
    region: REGION,
    keys: { get: (id) => (id === key.keyId ? key.secret : undefined), loaded: true },
    replay,
  });
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  const url = new URL('/reason', origin);
  const times: number[] = [];
  try {
    for (let i = 0; i < n + 200; i++) {
      const headers = await signRequest(
        {
          method: 'POST',
          url,
          headers: { 'content-type': 'application/json', 'x-axon-nonce': String(i) },
          body: BODY,
        },
        key,
        REGION,
      );
      const start = performance.now();
      const res = await request(url, { method: 'POST', headers, body: BODY });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`bench request answered ${res.statusCode}`);
      if (i >= 200) times.push(performance.now() - start);
    }
  } finally {
    await app.close();
  }
  return times.sort((a, b) => a - b);
}

async function replayStoreFigures(): Promise<Figure[]> {
  const key: SigningKey = { keyId: 'bench-key', secret: randomBytes(32).toString('base64') };
  const dynamo = await startDynamo(0);
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await createReplayTable(client, 'bench-replay');
    const n = 2_000;
    const memory = await reasonLatencies(new ReplayCache(), key, n);
    const store = new DynamoReplayStore({
      client,
      tableName: 'bench-replay',
      timeoutMs: 1_000,
      logger: createLogger('axon', 'silent'),
    });
    const dynamoTimes = await reasonLatencies(store, key, n);
    return (['p50', 'p99'] as const).flatMap((p) => {
      const at = p === 'p50' ? 50 : 99;
      const base = percentile(memory, at);
      const shared = percentile(dynamoTimes, at);
      return [
        {
          name: `/reason ${p}, replay table (dynalite)`,
          value: shared,
          unit: 'ms',
          baseline: { name: 'in-process cache', value: base },
        },
        { name: `  added by the replay table, ${p}`, value: shared - base, unit: 'ms' },
      ];
    });
  } finally {
    client.destroy();
    await dynamo.close();
  }
}

/** Axon's token check per request (a token is reused for every dispatch of its cached decision) against jose's full ES256 verify. */
async function tokenFigures(): Promise<Figure[]> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const token = await new DecisionTokenIssuer(new LocalEs256Signer(privateKey, 'k1'), 'local', 300).issue({
    subject: 'orbit',
    intent: 'reason:bench',
    correlationId: 'bench',
    service: 'orbit',
    decisionId: 'bench',
    policyRevision: 1,
    time: Date.now(),
  });
  const verifier = new DecisionTokenVerifier({
    environment: 'local',
    keys: { loaded: true, key: async (kid) => (kid === 'k1' ? publicKey : undefined) },
  });
  const perRequestUs = await perCallUs(N, async () => {
    const result = await verifier.verify(token, 'reason:bench', 'orbit');
    if (!result.ok) throw new Error(result.reason);
  });
  const fullUs = await perCallUs(2_000, () => jwtVerify(token, publicKey, { algorithms: ['ES256'] }));
  return [
    {
      name: 'decision token check at Axon, per request',
      value: perRequestUs,
      unit: 'µs',
      baseline: { name: 'jose ES256 jwtVerify (first sight of a token)', value: fullUs },
    },
  ];
}

export async function runHopBench(): Promise<void> {
  printTable('hop: Orbit → Axon signing, replay store, decision tokens', [
    ...(await signingFigures()),
    ...(await tokenFigures()),
    ...(await replayStoreFigures()),
  ]);
}

if (isEntryScript(import.meta.url)) await runHopBench();
