import { createHash, createHmac, type Hash, type Hmac, randomBytes } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { type SigningKey, signRequest } from '../services/shared/sigv4.js';
import { type Figure, printTable } from './report.js';

/**
 * The Orbit → Axon hop's own costs (issue 15), each next to a baseline measured in the same run:
 * signing (aws4, Orbit's signer, against @smithy/signature-v4).
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
      name: 'sign /reason (aws4, Orbit)',
      value: oursUs,
      unit: 'µs',
      baseline: { name: '@smithy/signature-v4', value: smithyUs },
    },
  ];
}

export async function runHopBench(): Promise<void> {
  printTable('hop: Orbit → Axon signing, replay store, decision tokens', await signingFigures());
}

if (import.meta.url === `file://${process.argv[1]}`) await runHopBench();
