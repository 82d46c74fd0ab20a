import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { memoryLogger, newKey } from '../../test/support/services.js';
import { SigningKeyProvider, VerificationKeyStore } from './keys.js';
import { LocalFileSecretStore, SecretsManagerSource } from './secrets.js';

const { logger } = memoryLogger('keys');
const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Secrets Manager source', () => {
  it('reads the requested stage and returns the version id as the key id', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand, { SecretId: 'p/orbit/signing-key', VersionStage: 'AWSCURRENT' }).resolves({
      VersionId: 'v-current',
      SecretString: JSON.stringify({ signingKey: newKey().secret }),
    });
    const provider = new SigningKeyProvider({
      source: new SecretsManagerSource(new SecretsManagerClient({ region: 'eu-west-1' })),
      secretId: 'p/orbit/signing-key',
      refreshMs: 60_000,
      logger,
    });
    await provider.start();
    expect(provider.current()?.keyId).toBe('v-current');
    provider.stop();
    sm.restore();
  });

  it('refuses a secret without a version id or string', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    const source = new SecretsManagerSource(new SecretsManagerClient({ region: 'eu-west-1' }));
    await expect(source.getSecretValue('x')).rejects.toThrow('has no version id or no string value');
    sm.restore();
  });
});

describe('local file secret store', () => {
  const store = new LocalFileSecretStore(dir);

  it('moves staging labels like Secrets Manager: current → previous, pending → current', async () => {
    await store.putSecretValue('p/orbit/key', 'v1', 'one');
    await store.putSecretValue('p/orbit/key', 'v2', 'two', 'AWSPENDING');
    await expect(store.getSecretValue('p/orbit/key')).resolves.toEqual({
      versionId: 'v1',
      secretString: 'one',
    });
    await expect(store.getSecretValue('p/orbit/key', 'AWSPENDING')).resolves.toEqual({
      versionId: 'v2',
      secretString: 'two',
    });
    await store.putSecretValue('p/orbit/key', 'v2', 'two');
    await expect(store.getSecretValue('p/orbit/key')).resolves.toMatchObject({ versionId: 'v2' });
    await expect(store.getSecretValue('p/orbit/key', 'AWSPREVIOUS')).resolves.toMatchObject({
      versionId: 'v1',
    });
    await expect(store.getSecretValue('p/orbit/key', 'AWSPENDING')).rejects.toThrow(
      'no version labelled AWSPENDING',
    );
    await store.putSecretValue('p/orbit/key', 'v3', 'three');
    await expect(store.getSecretValue('p/orbit/key', 'AWSPREVIOUS')).resolves.toMatchObject({
      versionId: 'v2',
    });
  });

  it('refuses secret ids that would escape its directory', async () => {
    await expect(store.getSecretValue('../../etc/passwd')).rejects.toThrow('escapes the secrets directory');
  });
});

describe('verification key store', () => {
  const store = new LocalFileSecretStore(dir);

  it('loads the key set, refreshes at most once per interval for unknown ids, and rejects bad keys', async () => {
    const a = newKey('a');
    const b = newKey('b');
    await store.putSecretValue('p/axon/keys', 's1', JSON.stringify({ keys: { a: a.secret } }));
    let now = 0;
    const keys = new VerificationKeyStore({
      source: store,
      secretId: 'p/axon/keys',
      refreshMs: 60_000,
      unknownKeyRefreshMs: 5_000,
      logger,
      now: () => now,
    });
    await keys.start();
    expect(keys.loaded).toBe(true);
    expect(keys.keyIds()).toEqual(['a']);

    await store.putSecretValue('p/axon/keys', 's2', JSON.stringify({ keys: { a: a.secret, b: b.secret } }));
    now = 1_000;
    await expect(keys.refreshFor('b')).resolves.toBe(b.secret);
    const c = newKey('c');
    await store.putSecretValue('p/axon/keys', 's2b', JSON.stringify({ keys: { b: b.secret, c: c.secret } }));
    now = 2_000;
    await expect(keys.refreshFor('c')).resolves.toBeUndefined();
    now = 6_000;
    await expect(keys.refreshFor('c')).resolves.toBe(c.secret);

    await store.putSecretValue('p/axon/keys', 's3', JSON.stringify({ keys: { a: 'short' } }));
    await expect(keys.refresh()).rejects.toThrow('is not a base64 key of at least 32 bytes');
    expect(keys.get('b')).toBe(b.secret);
    await store.putSecretValue('p/axon/keys', 's4', JSON.stringify({ keys: {} }));
    await expect(keys.refresh()).rejects.toThrow('holds no keys');
    await store.putSecretValue('p/axon/keys', 's5', JSON.stringify({ nope: 1 }));
    await expect(keys.refresh()).rejects.toThrow('has no "keys" object');
    keys.stop();
  });

  it('keeps the last signing key when a refresh fails', async () => {
    const k = newKey();
    await store.putSecretValue('p/orbit/sign', 'v1', JSON.stringify({ signingKey: k.secret }));
    const provider = new SigningKeyProvider({
      source: store,
      secretId: 'p/orbit/sign',
      refreshMs: 60_000,
      logger,
    });
    await provider.start();
    await store.putSecretValue('p/orbit/sign', 'v2', JSON.stringify({ signingKey: 42 }));
    await expect(provider.refresh()).rejects.toThrow('signingKey is not a base64 key');
    expect(provider.current()).toEqual({ keyId: 'v1', secret: k.secret });
    provider.stop();
  });
});
