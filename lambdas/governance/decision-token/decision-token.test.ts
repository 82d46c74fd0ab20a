import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { DECISION_FUNCTION_ENV } from '../../../contracts/service-env.js';
import { DecisionTokenVerifier, KmsPublicKeys } from '../../../services/axon/decision-token.js';
import { memoryLogger } from '../../../test/support/services.js';
import {
  DecisionTokenIssuer,
  decisionTokensFromEnvironment,
  derToJose,
  KmsEs256Signer,
  LocalEs256Signer,
} from './index.js';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const pair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

const request = (time: number) => ({
  subject: 'billing-app',
  intent: 'reason:summarize',
  correlationId: 'corr-1',
  service: 'orbit',
  decisionId: 'd-1',
  policyRevision: 7,
  statementId: 'allow-reason',
  time,
});

describe('derToJose', () => {
  it('turns any DER ECDSA signature from node:crypto into the r‖s that verifies as IEEE P1363', () => {
    const { privateKey, publicKey } = pair();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (message) => {
        const der = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
        const jose = derToJose(der);
        expect(jose).toHaveLength(64);
        expect(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it.each([
    ['empty', []],
    ['not a sequence', [0x31, 0x00]],
    ['truncated', [0x30, 0x06, 0x02, 0x01, 0x01, 0x02]],
    ['an integer too large', [0x30, 0x25, 0x02, 0x21, 0x01, ...new Array(32).fill(1), 0x02, 0x00]],
  ])('refuses %s input', (_name, bytes) => {
    expect(() => derToJose(Uint8Array.from(bytes))).toThrow(/not a DER ECDSA signature/);
  });
});

describe('DecisionTokenIssuer', () => {
  it('issues a transaction token any JOSE library verifies with the public key', async () => {
    const { privateKey, publicKey } = pair();
    const now = Date.now();
    const token = await new DecisionTokenIssuer(new LocalEs256Signer(privateKey, 'k1'), 'prod', 5).issue(
      request(now),
    );
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'txn_token', kid: 'k1' });
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: ['ES256'],
      typ: 'txn_token',
      issuer: 'urn:axon-orbit:prod:governance',
      audience: 'urn:axon-orbit:prod',
    });
    const iat = Math.floor(now / 1000);
    expect(payload).toEqual({
      iss: 'urn:axon-orbit:prod:governance',
      aud: 'urn:axon-orbit:prod',
      iat,
      exp: iat + 5,
      txn: 'corr-1',
      sub: 'billing-app',
      scope: 'reason:summarize',
      tctx: { decisionId: 'd-1', policyRevision: 7, service: 'orbit', statementId: 'allow-reason' },
    });
  });

  it('refuses a lifetime outside 1–300 s', () => {
    const signer = new LocalEs256Signer(pair().privateKey, 'k');
    expect(() => new DecisionTokenIssuer(signer, 'dev', 0)).toThrow(/TTL/);
    expect(() => new DecisionTokenIssuer(signer, 'dev', 301)).toThrow(/TTL/);
  });
});

/** KMS mocked for every client: Sign answers as KMS does (DER) with a fresh P-256 key. */
function mockKmsSign() {
  const { privateKey, publicKey } = pair();
  const kms = mockClient(KMSClient);
  kms.on(SignCommand).callsFake((input: { Message: Uint8Array }) => ({
    KeyId: KEY_ARN,
    Signature: sign('sha256', input.Message, { key: privateKey, dsaEncoding: 'der' }),
    SigningAlgorithm: 'ECDSA_SHA_256',
    $metadata: { httpStatusCode: 200 },
  }));
  return { kms, publicKey };
}

describe('with KMS (aws-sdk-client-mock, recorded-shaped responses)', () => {
  it('signs through KMS Sign (RAW, ECDSA_SHA_256) and Axon verifies with the key from GetPublicKey', async () => {
    const { kms, publicKey } = mockKmsSign();
    kms.on(GetPublicKeyCommand, { KeyId: KEY_ARN }).resolves({
      KeyId: KEY_ARN,
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ['ECDSA_SHA_256'],
      PublicKey: publicKey.export({ format: 'der', type: 'spki' }),
      $metadata: { httpStatusCode: 200 },
    });
    try {
      const client = new KMSClient({ region: 'eu-west-1' });
      const token = await new DecisionTokenIssuer(new KmsEs256Signer(client, KEY_ARN), 'dev', 5).issue(
        request(Date.now()),
      );
      const signCall = kms.commandCalls(SignCommand)[0]?.args[0].input;
      expect(signCall).toMatchObject({
        KeyId: KEY_ARN,
        MessageType: 'RAW',
        SigningAlgorithm: 'ECDSA_SHA_256',
      });

      const keys = new KmsPublicKeys(client, [KEY_ARN], memoryLogger('axon').logger);
      await keys.start();
      expect(keys.loaded).toBe(true);
      const verifier = new DecisionTokenVerifier({ keys, environment: 'dev' });
      await expect(verifier.verify(token, 'reason:summarize', 'billing-app')).resolves.toMatchObject({
        ok: true,
      });
      expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
    } finally {
      kms.restore();
    }
  });

  it('with DECISION_TOKEN_KEY_ID, signs every allow through a KMS client made on the first signature', async () => {
    const { kms, publicKey } = mockKmsSign();
    try {
      const issuer = decisionTokensFromEnvironment(
        { [DECISION_FUNCTION_ENV.decisionTokenKeyId]: KEY_ARN },
        'dev',
      );
      expect(kms.commandCalls(SignCommand)).toHaveLength(0);
      const tokens = await Promise.all([
        issuer?.issue(request(Date.now())),
        issuer?.issue(request(Date.now())),
      ]);
      for (const token of tokens) {
        expect(decodeProtectedHeader(token ?? '')).toMatchObject({ kid: KEY_ARN });
        await expect(jwtVerify(token ?? '', publicKey, { algorithms: ['ES256'] })).resolves.toBeDefined();
      }
      const clients = new Set(kms.commandCalls(SignCommand).map((call) => call.thisValue));
      expect(clients.size).toBe(1);
    } finally {
      kms.restore();
    }
  });

  it('does not trust a KMS key that is not an ECC_NIST_P256 signing key', async () => {
    const kms = mockClient(KMSClient);
    kms.on(GetPublicKeyCommand).resolves({
      KeyId: KEY_ARN,
      KeySpec: 'RSA_2048',
      KeyUsage: 'SIGN_VERIFY',
      SigningAlgorithms: ['RSASSA_PSS_SHA_256'],
      PublicKey: new Uint8Array(10),
    });
    try {
      const keys = new KmsPublicKeys(
        new KMSClient({ region: 'eu-west-1' }),
        [KEY_ARN],
        memoryLogger('axon').logger,
      );
      await keys.start();
      expect(keys.loaded).toBe(false);
      await expect(keys.key(KEY_ARN)).resolves.toBeUndefined();
    } finally {
      kms.restore();
    }
  });
});
