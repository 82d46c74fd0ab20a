import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { DecisionTokenIssuer, LocalEs256Signer } from '../../lambdas/governance/decision-token/index.js';
import { DecisionTokenVerifier, type TokenKeySource } from './decision-token.js';

const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keys: TokenKeySource = { loaded: true, key: async (kid) => (kid === 'k1' ? publicKey : undefined) };

const issue = (at = NOW, ttl = 5, key: KeyObject = privateKey, kid = 'k1', environment = 'dev') =>
  new DecisionTokenIssuer(new LocalEs256Signer(key, kid), environment, ttl).issue({
    subject: 'billing-app',
    intent: 'reason:summarize',
    correlationId: 'c-1',
    service: 'orbit',
    decisionId: 'd-1',
    policyRevision: 3,
    time: at,
  });

const verifier = (now = NOW) => new DecisionTokenVerifier({ keys, environment: 'dev', now: () => now });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());

describe('DecisionTokenVerifier', () => {
  it('accepts a token for the intent and caller asked, and quotes the decision', async () => {
    await expect(verifier().verify(await issue(), 'reason:summarize', 'billing-app')).resolves.toMatchObject({
      ok: true,
      claims: { sub: 'billing-app', tctx: { decisionId: 'd-1', policyRevision: 3 } },
    });
  });

  it.each<[string, () => Promise<string | undefined>, string, string?]>([
    ['no token', async () => undefined, 'decision-token-missing'],
    [
      'a truncated token',
      async () => (await issue()).slice(0, -20).replace(/\.[^.]*$/, ''),
      'decision-token-malformed',
    ],
    ['an oversized token', async () => `${'a'.repeat(5000)}.b.c`, 'decision-token-malformed'],
    ['garbage in the header', async () => `!!.${b64({})}.x`, 'decision-token-malformed'],
    [
      'alg none',
      async () => `${b64({ alg: 'none', typ: 'txn_token', kid: 'k1' })}.${(await issue()).split('.')[1]}.`,
      'decision-token-malformed',
    ],
    [
      'alg none with a signature part',
      async () => `${b64({ alg: 'none', typ: 'txn_token', kid: 'k1' })}.${(await issue()).split('.')[1]}.AA`,
      'decision-token-algorithm',
    ],
    [
      'HS256 keyed with the public key',
      async () =>
        new SignJWT(claims(await issue()))
          .setProtectedHeader({ alg: 'HS256', typ: 'txn_token', kid: 'k1' })
          .sign(publicKey.export({ format: 'der', type: 'spki' })),
      'decision-token-algorithm',
    ],
    [
      'a key Axon does not trust',
      async () => issue(NOW, 5, other.privateKey, 'k2'),
      'decision-token-unknown-key',
    ],
    [
      'a forged signature (another key, trusted kid)',
      async () => issue(NOW, 5, other.privateKey, 'k1'),
      'decision-token-forged',
    ],
    [
      'a token of another environment',
      async () => issue(NOW, 5, privateKey, 'k1', 'prod'),
      'decision-token-claims',
    ],
    ['an expired token (past the 5 s tolerance)', async () => issue(NOW - 11_000), 'decision-token-expired'],
    ['a token issued in the future', async () => issue(NOW + 10_000), 'decision-token-claims'],
    [
      'a payload swapped under a valid signature',
      async () => {
        const [h, , s] = (await issue()).split('.');
        return `${h}.${b64({ ...claims(await issue()), scope: 'reason:delete' })}.${s}`;
      },
      'decision-token-forged',
    ],
    ['a token for another intent', async () => issue(), 'decision-token-intent-mismatch', 'reason:other'],
  ])('refuses %s', async (_name, token, reason, intent = 'reason:summarize') => {
    await expect(verifier().verify(await token(), intent, 'billing-app')).resolves.toMatchObject({
      ok: false,
      reason,
    });
  });

  it('refuses a token issued for another caller', async () => {
    await expect(verifier().verify(await issue(), 'reason:summarize', 'other-app')).resolves.toMatchObject({
      reason: 'decision-token-caller-mismatch',
    });
  });

  it('refuses a valid token when no caller is named, even once the token is remembered', async () => {
    const v = verifier();
    const token = await issue();
    await expect(v.verify(token, 'reason:summarize', 'billing-app')).resolves.toMatchObject({ ok: true });
    for (const caller of [undefined, '']) {
      await expect(v.verify(token, 'reason:summarize', caller)).resolves.toMatchObject({
        reason: 'decision-token-caller-missing',
      });
    }
  });

  it('accepts at the edge of the clock tolerance and refuses just past it, also for a remembered token', async () => {
    const token = await issue(NOW, 5);
    let now = NOW;
    const v = new DecisionTokenVerifier({ keys, environment: 'dev', now: () => now });
    await expect(v.verify(token, 'reason:summarize', 'billing-app')).resolves.toMatchObject({ ok: true });
    now = NOW + 9_000;
    await expect(v.verify(token, 'reason:summarize', 'billing-app')).resolves.toMatchObject({ ok: true });
    now = NOW + 10_000;
    await expect(v.verify(token, 'reason:summarize', 'billing-app')).resolves.toMatchObject({
      reason: 'decision-token-expired',
    });
    await expect(
      verifier(NOW + 10_000).verify(token, 'reason:summarize', 'billing-app'),
    ).resolves.toMatchObject({
      reason: 'decision-token-expired',
    });
  });
});
