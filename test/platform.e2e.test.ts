import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { DecisionTokenIssuer, LocalEs256Signer } from '../lambdas/governance/decision-token/index.js';
import { NAMES, type Platform, platformOptionsFromEnv, startPlatform } from '../local/platform.js';
import { type SigningKey, signRequest } from '../services/shared/sigv4.js';

/**
 * The local platform exactly as `npm start` runs it (dynalite seeded from default.json, the real
 * governance handler behind the Lambda Invoke endpoint, Axon and Orbit as processes), on free ports.
 */
let platform: Platform;
let secretsDir: string;
const firstKey: SigningKey = { keyId: 'e2e-key-1', secret: randomBytes(32).toString('base64') };

beforeAll(async () => {
  secretsDir = mkdtempSync(join(tmpdir(), 'platform-e2e-'));
  platform = await startPlatform({
    ...platformOptionsFromEnv({}),
    orbitPort: 0,
    axonPort: 0,
    lambdaPort: 0,
    dynamoPort: 0,
    secretsDir,
    signingKey: firstKey.secret,
    signingKeyId: firstKey.keyId,
    logs: 'ignore',
    logLevel: 'warn',
    serviceEnv: { KEY_REFRESH_MS: '1000', SHUTDOWN_DRAIN_MS: '3000', GOVERNANCE_CACHE_TTL_MS: '0' },
  });
});

afterAll(async () => {
  await platform?.stop();
  rmSync(secretsDir, { recursive: true, force: true });
});

async function dispatch(intent: string, correlationId?: string, token?: string) {
  const res = await request(`${platform.orbitUrl}/dispatch`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token ?? (await platform.issuer.token('demo-app'))}`,
      ...(correlationId ? { 'x-correlation-id': correlationId } : {}),
    },
    body: JSON.stringify({ intent, payload: { text: 'hello' } }),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: (await res.body.json()) as Record<string, any>,
  };
}

/** A governance token for a direct call to Axon, signed with the platform's local decision-token key. */
function decisionToken(intent: string): Promise<string> {
  const signer = LocalEs256Signer.fromFile(join(secretsDir, 'decision-token-key.json'));
  return new DecisionTokenIssuer(signer, 'local', 5).issue({
    subject: 'orbit',
    intent,
    correlationId: 'e2e-direct',
    service: 'orbit',
    decisionId: 'e2e-decision',
    policyRevision: 1,
    time: Date.now(),
  });
}

async function reasonSignedWith(key: SigningKey) {
  const body = JSON.stringify({ intent: 'reason:direct' });
  const url = new URL('/reason', platform.axonUrl);
  // A fresh nonce per call: two identical requests in the same second would otherwise be a replay.
  const headers = await signRequest(
    {
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/json',
        'x-axon-nonce': randomBytes(8).toString('hex'),
        'txn-token': await decisionToken('reason:direct'),
        'x-caller-id': 'orbit',
      },
      body,
    },
    key,
    'eu-west-1',
  );
  const res = await request(url, { method: 'POST', headers, body });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> };
}

async function eventually<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('local platform end to end', () => {
  it('serves an allowed dispatch through the real governance handler and a signed call to Axon', async () => {
    const before = platform.invocations();
    const res = await dispatch('reason:summarize', 'e2e-allowed-0001');
    expect(res.status).toBe(200);
    expect(res.headers['x-correlation-id']).toBe('e2e-allowed-0001');
    expect(res.body).toMatchObject({
      status: 'dispatched',
      correlationId: 'e2e-allowed-0001',
      decision: { statementId: 'orbit-reasons-on-axon', policyRevision: 1 },
      result: {
        service: 'axon',
        correlationId: 'e2e-allowed-0001',
        keyId: firstKey.keyId,
        intent: 'reason:summarize',
      },
    });
    expect(platform.invocations()).toBe(before + 1);
  });

  it('refuses a denied dispatch with 403 and the policy reason', async () => {
    const res = await dispatch('admin:delete-everything', 'e2e-denied-0001');
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      type: 'urn:axon-orbit:problem:governance-denied',
      detail: 'no statement allows orbit:admin:delete-everything for caller demo-app (tenant acme)',
      correlationId: 'e2e-denied-0001',
      policyRevision: 1,
    });
  });

  it('dispatches only for the callers the default policy lists; a denied caller gets 403 naming the deciding statement', async () => {
    const listed = await dispatch(
      'reason:summarize',
      'e2e-listed-0001',
      await platform.issuer.token('batch-reports'),
    );
    expect(listed.status).toBe(200);
    expect(listed.body.decision).toMatchObject({ statementId: 'orbit-reasons-on-axon' });

    const suspended = await dispatch(
      'reason:summarize',
      'e2e-suspended-0001',
      await platform.issuer.token('suspended-app'),
    );
    expect(suspended.status).toBe(403);
    expect(suspended.body).toMatchObject({
      type: 'urn:axon-orbit:problem:governance-denied',
      detail: 'denied by statement suspended-callers',
      statementId: 'suspended-callers',
      policyRevision: 1,
    });

    // A token the issuer signs for a client id CALLER_NAMES does not map: nobody's caller, refused
    // before governance (zero trust), never treated as a caller named by its raw client id.
    const unlisted = await platform.issuer.token('demo-app', { client_id: 'stranger', sub: 'stranger' });
    const stranger = await dispatch('reason:summarize', 'e2e-unlisted-0001', unlisted);
    expect(stranger.status).toBe(401);
    expect(stranger.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    expect(stranger.body).toMatchObject({ reason: 'unknown-client' });
  });

  it('has Axon refuse unsigned and replayed requests', async () => {
    const unsigned = await request(`${platform.axonUrl}/reason`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"intent":"reason:x"}',
    });
    expect(unsigned.statusCode).toBe(401);
    expect(((await unsigned.body.json()) as { type: string }).type).toBe(
      'urn:axon-orbit:problem:signature-missing',
    );

    const body = '{"intent":"reason:x"}';
    const url = new URL('/reason', platform.axonUrl);
    const token = {
      'content-type': 'application/json',
      'txn-token': await decisionToken('reason:x'),
      'x-caller-id': 'orbit',
    };
    const headers = await signRequest({ method: 'POST', url, headers: token, body }, firstKey, 'eu-west-1');
    expect((await request(url, { method: 'POST', headers, body })).statusCode).toBe(200);
    const replay = await request(url, { method: 'POST', headers, body });
    expect(replay.statusCode).toBe(403);
    await replay.body.dump();
  });

  it('rotates the signing key with no failed request: old and new both accepted, then the old one retired', async () => {
    const next: SigningKey = { keyId: 'e2e-key-2', secret: randomBytes(32).toString('base64') };
    // setSecret: Axon learns the pending key before Orbit signs with it.
    await platform.secrets.putSecretValue(
      NAMES.verificationSecretId,
      'set-2',
      JSON.stringify({ keys: { [next.keyId]: next.secret, [firstKey.keyId]: firstKey.secret } }),
    );
    await platform.secrets.putSecretValue(
      NAMES.signingSecretId,
      next.keyId,
      JSON.stringify({ signingKey: next.secret }),
      'AWSPENDING',
    );
    expect((await reasonSignedWith(next)).status).toBe(200);

    // finishSecret: AWSCURRENT moves to the new version; Orbit picks it up on its next refresh.
    await platform.secrets.putSecretValue(
      NAMES.signingSecretId,
      next.keyId,
      JSON.stringify({ signingKey: next.secret }),
    );
    const statuses: number[] = [];
    const switched = await eventually(
      async () => {
        const res = await dispatch('reason:rotate');
        statuses.push(res.status);
        return res;
      },
      (res) => res.body.result?.keyId === next.keyId,
    );
    expect(switched.body.result.keyId).toBe(next.keyId);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect((await reasonSignedWith(firstKey)).status).toBe(200);

    // The next rotation drops the old key from Axon's set: requests signed with it are refused.
    await platform.secrets.putSecretValue(
      NAMES.verificationSecretId,
      'set-3',
      JSON.stringify({ keys: { [next.keyId]: next.secret } }),
    );
    const retired = await eventually(
      () => reasonSignedWith(firstKey),
      (res) => res.status === 403,
    );
    expect(retired.body.type).toBe('urn:axon-orbit:problem:unknown-key');
    expect((await dispatch('reason:after-rotation')).status).toBe(200);
  });

  it('decides as environment local and picks a pushed revision up (POLICY_CACHE_TTL_MS 1 s locally)', async () => {
    expect(platform.options.policyCacheTtlMs).toBe(1_000);
    const current = await platform.store.getHead('default');
    const head = current?.revision ?? 0;
    const document = current?.document as { readonly statements: readonly unknown[] };
    const freeze = {
      ...document,
      statements: [
        {
          id: 'freeze-local',
          effect: 'deny',
          principals: ['orbit'],
          actions: ['reason:frozen'],
          conditions: { environments: ['local'] },
        },
        ...document.statements,
      ],
    };
    await platform.store.putRevision('default', {
      document: freeze,
      expectedRevision: head,
      actor: 'e2e',
      reason: 'freeze one intent locally',
    });
    const denied = await eventually(
      () => dispatch('reason:frozen'),
      (res) => res.status === 403,
    );
    expect(denied.body).toMatchObject({
      detail: 'denied by statement freeze-local',
      policyRevision: head + 1,
    });
  });

  it('stops both services with exit code 0 on SIGTERM', async () => {
    await expect(platform.stop()).resolves.toEqual({ axon: 0, orbit: 0 });
  });
});
