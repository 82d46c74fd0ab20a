import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import aws4 from 'aws4';
import fc from 'fast-check';
import { ReplayCache } from './replay-cache.js';
import {
  type IncomingSignedRequest,
  NodeSha256,
  parseAmzDate,
  SignatureVerifier,
  sha256Hex,
  signRequest,
} from './sigv4.js';

/** The published AWS SigV4 test suite (aws-sig-v4-test-suite) credentials, date and region. */
const SUITE = {
  key: { keyId: 'AKIDEXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  date: new Date(Date.UTC(2015, 7, 30, 12, 36, 0)),
  region: 'us-east-1',
  service: 'service',
};
const SCOPE = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

async function signSuite(method: string, target: string, headers: Record<string, string>, body = '') {
  const url = new URL(target, 'https://example.amazonaws.com');
  return signRequest({ method, url, headers, body }, SUITE.key, SUITE.region, SUITE.date, SUITE.service);
}

describe('signer against the published AWS SigV4 test suite', () => {
  /**
   * The suite's requests sign exactly host and x-amz-date, so these run the same SignatureV4
   * configuration as signRequest (NodeSha256, path escaping) without adding the body-hash header.
   */
  async function signLikeTheSuite(method: string, target: string): Promise<string | undefined> {
    const url = new URL(target, 'https://example.amazonaws.com');
    const signer = new SignatureV4({
      service: SUITE.service,
      region: SUITE.region,
      credentials: { accessKeyId: SUITE.key.keyId, secretAccessKey: SUITE.key.secret },
      sha256: NodeSha256,
      applyChecksum: false,
    });
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const request = new HttpRequest({
      method,
      hostname: url.hostname,
      path: decodeURIComponent(url.pathname),
      query,
      headers: { host: url.host },
    });
    return (await signer.sign(request, { signingDate: SUITE.date })).headers.authorization;
  }

  it.each([
    ['get-vanilla', 'GET', '/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    [
      'get-vanilla-query-order-key-case',
      'GET',
      '/?Param2=value2&Param1=value1',
      'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
    ],
    ['post-vanilla', 'POST', '/', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
    ['get-utf8', 'GET', '/%E1%88%B4', '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85'],
  ])('%s', async (_name, method, target, signature) => {
    await expect(signLikeTheSuite(method, target)).resolves.toBe(
      `AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=host;x-amz-date, Signature=${signature}`,
    );
  });

  it('signs the body hash and the date with the same algorithm as the suite (post-x-www-form-urlencoded shape)', async () => {
    const headers = await signSuite(
      'POST',
      '/',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'Param1=value1',
    );
    expect(headers['x-amz-content-sha256']).toBe(sha256Hex('Param1=value1'));
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
    expect(headers.authorization).toMatch(
      new RegExp(
        `^AWS4-HMAC-SHA256 Credential=${SCOPE}, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$`,
      ),
    );
  });
});

const REGION = 'eu-west-1';
const KEY_ID = '7f1c2b9e-1111-4222-8333-944455556666';
const SECRET = randomBytes(32).toString('base64');
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function verifier(now = NOW, keys: Record<string, string> = { [KEY_ID]: SECRET }) {
  return new SignatureVerifier({
    region: REGION,
    keys: { get: (id) => keys[id] },
    replay: new ReplayCache(1000, () => now),
    now: () => now,
  });
}

async function signed(body: string, target = '/reason', extra: Record<string, string> = {}, at = NOW) {
  const url = new URL(target, 'http://axon.internal:8081');
  const headers = await signRequest(
    { method: 'POST', url, headers: { 'content-type': 'application/json', ...extra }, body },
    { keyId: KEY_ID, secret: SECRET },
    REGION,
    new Date(at),
  );
  return {
    method: 'POST',
    rawUrl: url.pathname + url.search,
    headers,
    body: Buffer.from(body),
  } satisfies IncomingSignedRequest;
}

/** Signs with the independent `aws4` package, the way a third-party client would. */
function signedByAws4(body: string, path: string, at = NOW): IncomingSignedRequest {
  const amzDate = new Date(at)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const opts = {
    host: 'axon.internal:8081',
    method: 'POST',
    path,
    service: 'axon',
    region: REGION,
    body,
    headers: {
      'content-type': 'application/json',
      'x-amz-content-sha256': sha256Hex(body),
      'X-Amz-Date': amzDate,
    } as Record<string, string>,
  };
  aws4.sign(opts, { accessKeyId: KEY_ID, secretAccessKey: SECRET });
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.headers)) headers[k.toLowerCase()] = String(v);
  return { method: 'POST', rawUrl: path, headers, body: Buffer.from(body) };
}

describe('verifier', () => {
  it('accepts what the signer signs, once', async () => {
    const v = verifier();
    const request = await signed('{"intent":"reason:summarize"}');
    await expect(v.verify(request)).resolves.toEqual({ ok: true, keyId: KEY_ID });
    await expect(v.verify(request)).resolves.toMatchObject({ ok: false, reason: 'replayed-request' });
  });

  it('accepts requests signed by the independent aws4 package, including an encoded path and query', async () => {
    const v = verifier();
    await expect(v.verify(signedByAws4('{"a":1}', '/reason'))).resolves.toMatchObject({ ok: true });
    await expect(v.verify(signedByAws4('{}', '/reason?b=2&a=x%20y&a=1'))).resolves.toMatchObject({
      ok: true,
    });
    await expect(v.verify(signedByAws4('', '/rea%20son/%E1%88%B4'))).resolves.toMatchObject({ ok: true });
  });

  it('treats query keys named like Object.prototype members as plain keys', async () => {
    // (`__proto__` itself is left out: @smithy/signature-v4 drops that key when it clones a request.)
    const request = await signed('{}', '/reason?valueOf=&constructor=x&toString=1');
    await expect(verifier().verify(request)).resolves.toMatchObject({ ok: true });
  });

  it('produces the same authorization header as aws4 for the same request', async () => {
    const body = '{"intent":"reason:x"}';
    const theirs = signedByAws4(body, '/reason?z=1&a=2');
    expect(theirs.headers['content-length']).toBe(String(body.length));
    const ours = await signed(body, '/reason?z=1&a=2', { 'content-length': String(body.length) });
    expect(ours.headers.authorization).toBe(theirs.headers.authorization);
  });

  it.each([
    [
      'no authorization header',
      (r: IncomingSignedRequest) => ({ ...r, headers: { ...r.headers, authorization: undefined } }),
      'signature-missing',
    ],
    [
      'a garbled header',
      (r: IncomingSignedRequest) => ({
        ...r,
        headers: { ...r.headers, authorization: 'AWS4-HMAC-SHA256 nonsense' },
      }),
      'signature-malformed',
    ],
    [
      'a bad x-amz-date',
      (r: IncomingSignedRequest) => ({ ...r, headers: { ...r.headers, 'x-amz-date': '20261323T250000Z' } }),
      'signature-malformed',
    ],
    [
      'a changed body',
      (r: IncomingSignedRequest) => ({ ...r, body: Buffer.from('{"intent":"reason:other"}') }),
      'body-hash-mismatch',
    ],
    ['a changed path', (r: IncomingSignedRequest) => ({ ...r, rawUrl: '/reason2' }), 'signature-mismatch'],
    [
      'a changed query',
      (r: IncomingSignedRequest) => ({ ...r, rawUrl: '/reason?debug=1' }),
      'signature-mismatch',
    ],
    ['a changed method', (r: IncomingSignedRequest) => ({ ...r, method: 'PUT' }), 'signature-mismatch'],
    [
      'a changed signed header',
      (r: IncomingSignedRequest) => ({ ...r, headers: { ...r.headers, 'content-type': 'text/plain' } }),
      'signature-mismatch',
    ],
    [
      'a missing signed header',
      (r: IncomingSignedRequest) => ({ ...r, headers: { ...r.headers, 'content-type': undefined } }),
      'signature-malformed',
    ],
    [
      'an unknown key id',
      (r: IncomingSignedRequest) => ({
        ...r,
        headers: {
          ...r.headers,
          authorization: String(r.headers.authorization).replace(KEY_ID, 'other-key'),
        },
      }),
      'unknown-key',
    ],
    [
      'another service in the scope',
      (r: IncomingSignedRequest) => ({
        ...r,
        headers: {
          ...r.headers,
          authorization: String(r.headers.authorization).replace('/axon/', '/orbit/'),
        },
      }),
      'signature-scope-invalid',
    ],
  ])('rejects %s', async (_name, mutate, reason) => {
    const result = await verifier().verify(mutate(await signed('{"intent":"reason:summarize"}')));
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('rejects a signature more than five minutes old or ahead, and accepts one just inside', async () => {
    const body = '{}';
    const sixMinutes = 6 * 60 * 1000;
    await expect(
      verifier().verify(await signed(body, '/reason', {}, NOW - sixMinutes)),
    ).resolves.toMatchObject({
      reason: 'signature-expired',
    });
    await expect(
      verifier().verify(await signed(body, '/reason', {}, NOW + sixMinutes)),
    ).resolves.toMatchObject({
      reason: 'signature-expired',
    });
    await expect(
      verifier().verify(await signed(body, '/reason', {}, NOW - 4 * 60 * 1000)),
    ).resolves.toMatchObject({
      ok: true,
    });
  });

  it('rejects a request that did not sign the body hash', async () => {
    const body = '{}';
    const opts = {
      host: 'axon.internal:8081',
      method: 'POST',
      path: '/reason',
      service: 'axon',
      region: REGION,
      body,
      headers: { 'X-Amz-Date': '20261123T120000Z' } as Record<string, string>,
    };
    aws4.sign(opts, { accessKeyId: KEY_ID, secretAccessKey: SECRET });
    const headers = Object.fromEntries(
      Object.entries(opts.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    await expect(
      verifier().verify({ method: 'POST', rawUrl: '/reason', headers, body: Buffer.from(body) }),
    ).resolves.toMatchObject({
      reason: 'signed-headers-insufficient',
    });
  });

  it('reloads keys once for an unknown key id and then accepts it', async () => {
    const keys: Record<string, string> = {};
    let refreshes = 0;
    const v = new SignatureVerifier({
      region: REGION,
      keys: {
        get: (id) => keys[id],
        refreshFor: async (id) => {
          refreshes++;
          keys[KEY_ID] = SECRET;
          return keys[id];
        },
      },
      replay: new ReplayCache(),
      now: () => NOW,
    });
    await expect(v.verify(await signed('{}'))).resolves.toMatchObject({ ok: true });
    expect(refreshes).toBe(1);
  });

  it('reports a full replay cache instead of accepting without replay protection', async () => {
    const v = new SignatureVerifier({
      region: REGION,
      keys: { get: () => SECRET },
      replay: new ReplayCache(1, () => NOW),
      now: () => NOW,
    });
    await expect(v.verify(await signed('{"n":1}'))).resolves.toMatchObject({ ok: true });
    await expect(v.verify(await signed('{"n":2}'))).resolves.toMatchObject({ reason: 'replay-capacity' });
  });

  it('parses only real UTC timestamps', () => {
    expect(parseAmzDate('20150830T123600Z')).toBe(Date.UTC(2015, 7, 30, 12, 36, 0));
    expect(parseAmzDate('20150230T123600Z')).toBeUndefined();
    expect(parseAmzDate('2015-08-30T12:36:00Z')).toBeUndefined();
  });
});

describe('signer and verifier agree on arbitrary requests (fast-check)', () => {
  const segment = fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((s) => s !== '.' && s !== '..' && !s.includes('/'));
  const queryPair = fc.tuple(
    fc.string({ maxLength: 8 }).filter((k) => k !== '__proto__'),
    fc.string({ maxLength: 8 }),
  );

  it('any path, query, header value and body verifies, and any change to the body is caught', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.array(queryPair, { maxLength: 4 }),
        fc.string({ maxLength: 40 }).filter((s) => !/[\r\n]/.test(s)),
        fc.string({ maxLength: 200 }),
        async (segments, pairs, headerValue, body) => {
          const path = `/${segments.map(encodeURIComponent).join('/')}`;
          const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
          const target = query ? `${path}?${query}` : path;
          const request = await signed(body, target, { 'x-note': headerValue.replace(/[^\x20-\x7e]/g, '') });
          const ok = await verifier().verify(request);
          expect(ok).toMatchObject({ ok: true });
          const tampered = await verifier().verify({
            ...request,
            body: Buffer.concat([request.body, Buffer.from('x')]),
          });
          expect(tampered).toMatchObject({ ok: false, reason: 'body-hash-mismatch' });
        },
      ),
      { numRuns: 200 },
    );
  });
});
