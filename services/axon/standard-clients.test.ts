import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import aws4 from 'aws4';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { DecisionTokenIssuer, LocalEs256Signer } from '../../lambdas/governance/decision-token/index.js';
import { memoryLogger, newKey, REGION } from '../../test/support/services.js';
import { buildAxonApp } from './app.js';
import { DecisionTokenVerifier } from './decision-token.js';

/**
 * Independent SigV4 clients as a new user runs them, signing with their defaults, against Axon
 * listening on loopback: the wire matters here (curl chooses its own header spelling, host and
 * content-length), so these use real sockets.
 */
const run = promisify(execFile);
const key = newKey();
const log = memoryLogger('axon');
let app: FastifyInstance;
let origin: string;
/** What arrived on the wire, to replay and tamper with exactly what a client sent. */
const received: { headers: Record<string, string>; body: string }[] = [];

beforeAll(async () => {
  app = buildAxonApp({
    logger: log.logger,
    region: REGION,
    keys: { get: (id) => (id === key.keyId ? key.secret : undefined), loaded: true },
  });
  app.addHook('preValidation', async (req) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (typeof value === 'string') headers[name] = value;
    received.push({ headers, body: Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '' });
  });
  origin = await app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(() => app.close());

async function send(headers: Record<string, string>, body: string, path = '/reason') {
  const res = await request(`${origin}${path}`, { method: 'POST', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, body: JSON.parse(text) as Record<string, unknown> };
}

async function curl(
  body: string,
  base = () => origin,
  extra: string[] = [],
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { stdout } = await run('curl', [
    ...extra,
    '--silent',
    '--show-error',
    '--max-time',
    '10',
    '--aws-sigv4',
    `aws:amz:${REGION}:axon`,
    '--user',
    `${key.keyId}:${key.secret}`,
    '-H',
    'content-type: application/json',
    '--data-binary',
    body,
    '--write-out',
    '\n%{http_code}',
    `${base()}/reason`,
  ]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) };
}

describe('curl --aws-sigv4 with its defaults', () => {
  it('passes the signature check', async () => {
    const answer = await curl('{"intent":"reason:summarize"}');
    expect(answer).toMatchObject({ status: 200, body: { intent: 'reason:summarize', keyId: key.keyId } });
    const sent = received.at(-1);
    expect(sent?.headers['x-amz-content-sha256']).toBeUndefined();
  });

  it('cannot be replayed, nor its signature reused for another body, path or key id', async () => {
    await curl('{"intent":"reason:x"}');
    const sent = received.at(-1);
    if (!sent) throw new Error('curl request not captured');
    const headers = { ...sent.headers };
    delete headers['content-length'];
    expect(await send(headers, sent.body)).toMatchObject({
      status: 403,
      body: { type: 'urn:axon-orbit:problem:replayed-request' },
    });
    expect(await send(headers, '{"intent":"reason:y"}')).toMatchObject({
      status: 403,
      body: { type: 'urn:axon-orbit:problem:signature-mismatch' },
    });
    expect(await send(headers, sent.body, '/reason?x=1')).toMatchObject({
      status: 403,
      body: { type: 'urn:axon-orbit:problem:signature-mismatch' },
    });
    const other = { ...headers, authorization: String(headers.authorization).replace(key.keyId, 'nobody') };
    expect(await send(other, sent.body)).toMatchObject({
      status: 403,
      body: { type: 'urn:axon-orbit:problem:unknown-key' },
    });
  });
});

describe('the aws4 package with its defaults', () => {
  function aws4Headers(body: string, extra: Record<string, string> = {}): Record<string, string> {
    const url = new URL(origin);
    const signed = aws4.sign(
      {
        host: url.host,
        method: 'POST',
        path: '/reason',
        service: 'axon',
        region: REGION,
        body,
        headers: { 'content-type': 'application/json', ...extra },
      },
      { accessKeyId: key.keyId, secretAccessKey: key.secret },
    );
    return Object.fromEntries(
      Object.entries(signed.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
  }

  it('passes the signature check without x-amz-content-sha256', async () => {
    const body = '{"intent":"reason:summarize"}';
    const headers = aws4Headers(body);
    expect(headers['x-amz-content-sha256']).toBeUndefined();
    expect(await send(headers, body)).toMatchObject({ status: 200, body: { intent: 'reason:summarize' } });
  });

  it('is refused when it declares UNSIGNED-PAYLOAD, so that the body stays bound', async () => {
    const body = '{"intent":"reason:summarize"}';
    expect(await send(aws4Headers(body, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }), body)).toMatchObject(
      {
        status: 403,
        body: { type: 'urn:axon-orbit:problem:payload-unsigned' },
      },
    );
  });
});

describe('curl --aws-sigv4 against an Axon that enforces decision tokens', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let enforcing: FastifyInstance;
  let enforcingOrigin: string;
  beforeAll(async () => {
    enforcing = buildAxonApp({
      logger: log.logger,
      region: REGION,
      keys: { get: (id) => (id === key.keyId ? key.secret : undefined), loaded: true },
      tokens: new DecisionTokenVerifier({
        environment: 'local',
        keys: { loaded: true, key: async (kid) => (kid === 'local-1' ? publicKey : undefined) },
      }),
    });
    enforcingOrigin = await enforcing.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => enforcing.close());

  it('passes the signature check and is refused for the missing token alone, with a token problem type', async () => {
    const answer = await curl('{"intent":"reason:summarize"}', () => enforcingOrigin);
    expect(answer).toMatchObject({
      status: 403,
      body: { type: 'urn:axon-orbit:problem:decision-token-missing' },
    });
  });

  it('is served with a governance token for that intent in the signed txn-token header', async () => {
    const token = await new DecisionTokenIssuer(
      new LocalEs256Signer(privateKey, 'local-1'),
      'local',
      5,
    ).issue({
      subject: 'orbit',
      intent: 'reason:summarize',
      correlationId: 'c-1',
      service: 'orbit',
      decisionId: 'd-1',
      policyRevision: 1,
      time: Date.now(),
    });
    const body = '{"intent":"reason:summarize"}';
    const proof = ['-H', `txn-token: ${token}`, '-H', 'x-caller-id: orbit'];
    const served = await curl(body, () => enforcingOrigin, proof);
    expect(served).toMatchObject({ status: 200, body: { decisionId: 'd-1', caller: 'orbit' } });
    const otherIntent = await curl('{"intent":"reason:other"}', () => enforcingOrigin, proof);
    expect(otherIntent).toMatchObject({
      status: 403,
      body: { type: 'urn:axon-orbit:problem:decision-token-intent-mismatch' },
    });
    const noCaller = await curl(body, () => enforcingOrigin, ['-H', `txn-token: ${token}`]);
    expect(noCaller).toMatchObject({
      status: 403,
      body: { type: 'urn:axon-orbit:problem:decision-token-caller-missing' },
    });
  });

  it('counts the token and the caller only when the signature covers them', async () => {
    const token = await new DecisionTokenIssuer(
      new LocalEs256Signer(privateKey, 'local-1'),
      'local',
      5,
    ).issue({
      subject: 'orbit',
      intent: 'reason:summarize',
      correlationId: 'c-2',
      service: 'orbit',
      decisionId: 'd-2',
      policyRevision: 1,
      time: Date.now(),
    });
    const body = '{"intent":"reason:summarize"}';
    const signed = aws4.sign(
      {
        host: new URL(enforcingOrigin).host,
        method: 'POST',
        path: '/reason',
        service: 'axon',
        region: REGION,
        headers: { 'content-type': 'application/json', 'txn-token': token },
        body,
      },
      { accessKeyId: key.keyId, secretAccessKey: key.secret },
    );
    const res = await request(`${enforcingOrigin}/reason`, {
      method: 'POST',
      headers: { ...(signed.headers as Record<string, string>), 'x-caller-id': 'orbit' },
      body,
    });
    expect(res.statusCode).toBe(403);
    expect(await res.body.json()).toMatchObject({
      type: 'urn:axon-orbit:problem:decision-token-unsigned',
    });
  });
});
