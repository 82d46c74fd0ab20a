import { randomBytes } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SecretsManagerRotationEvent } from 'aws-lambda';

/**
 * Secrets Manager rotation of Orbit's signing key (`{"signingKey": "<base64 of 32 bytes>"}`), which
 * also maintains Axon's verification key set (`{"keys": {"<versionId>": "<base64 key>"}}`).
 *
 * Order of effects, so Axon always knows a key before Orbit signs with it:
 * createSecret stores a new key as AWSPENDING; setSecret publishes pending, current and previous keys
 * to Axon; testSecret proves Axon's copy verifies a signature made with the pending key; finishSecret
 * (which re-checks Axon) moves AWSCURRENT to the pending version.
 *
 * Every step can be retried: each first reads what is already there and only writes what is missing.
 * A step that runs before the step it depends on fails with a `RotationError` naming the missing step,
 * and Secrets Manager retries it.
 */

export const PENDING = 'AWSPENDING';
export const CURRENT = 'AWSCURRENT';
export const PREVIOUS = 'AWSPREVIOUS';
/** Axon keeps pending, current and previous: enough for every request signed during a rotation. */
export const MAX_VERIFICATION_KEYS = 3;
const KEY_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export class RotationError extends Error {
  override readonly name = 'RotationError';
}

export interface RotationLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
}

export interface RotationDeps {
  readonly client: SecretsManagerClient;
  /** Axon's verification key set (ARN or name). */
  readonly verificationSecretId: string;
  readonly logger: RotationLogger;
  /** New key material, base64 of 32 random bytes; injectable so tests can name the keys. */
  readonly generateKey?: () => string;
}

interface KeyVersion {
  readonly versionId: string;
  readonly key: string;
}

type KeySet = Readonly<Record<string, string>>;

/** True for base64 text that decodes to exactly 32 bytes. */
export function isSigningKey(value: unknown): value is string {
  return typeof value === 'string' && BASE64.test(value) && Buffer.from(value, 'base64').length === KEY_BYTES;
}

export async function rotate(event: SecretsManagerRotationEvent, deps: RotationDeps): Promise<void> {
  const { Step: step, SecretId: secretId, ClientRequestToken: token } = event;
  const rotation = new Rotation(deps, secretId, token);
  const stages = await rotation.stagesOfToken();
  if (stages.includes(CURRENT)) {
    deps.logger.info('version is already current; nothing to do', { step, secretId, versionId: token });
    return;
  }
  if (!stages.includes(PENDING)) {
    throw new RotationError(
      `version ${token} of ${secretId} is not ${PENDING} (stages: ${stages.join(', ') || 'none'}); this rotation is over`,
    );
  }
  switch (step) {
    case 'createSecret':
      return rotation.createSecret();
    case 'setSecret':
      return rotation.setSecret();
    case 'testSecret':
      return rotation.testSecret();
    case 'finishSecret':
      return rotation.finishSecret();
    default:
      throw new RotationError(`unknown rotation step "${String(step)}"`);
  }
}

class Rotation {
  private versionsToStages: Record<string, string[]> = {};

  constructor(
    private readonly deps: RotationDeps,
    private readonly secretId: string,
    private readonly token: string,
  ) {}

  async stagesOfToken(): Promise<string[]> {
    const meta = await this.deps.client.send(new DescribeSecretCommand({ SecretId: this.secretId }));
    if (meta.RotationEnabled === false) {
      throw new RotationError(`secret ${this.secretId} does not have rotation enabled`);
    }
    this.versionsToStages = meta.VersionIdsToStages ?? {};
    const stages = this.versionsToStages[this.token];
    if (!stages) {
      throw new RotationError(
        `secret ${this.secretId} has no staged version ${this.token} (unknown, or superseded by a newer rotation)`,
      );
    }
    return stages;
  }

  async createSecret(): Promise<void> {
    // The current version must exist and be readable before a successor is made.
    await this.readKey({ VersionStage: CURRENT });
    const existing = await this.readPendingIfPresent();
    if (existing) {
      this.deps.logger.info('pending key already created', this.context());
      return;
    }
    const key = (this.deps.generateKey ?? randomKey)();
    if (!isSigningKey(key)) throw new RotationError('generated key is not base64 of 32 bytes');
    try {
      await this.deps.client.send(
        new PutSecretValueCommand({
          SecretId: this.secretId,
          ClientRequestToken: this.token,
          SecretString: JSON.stringify({ signingKey: key }),
          VersionStages: [PENDING],
        }),
      );
    } catch (error) {
      // A concurrent retry stored its own key under this token first; that one wins.
      if (!(error instanceof ResourceExistsException)) throw error;
      if (!(await this.readPendingIfPresent())) throw error;
    }
    this.deps.logger.info('pending key created', this.context());
  }

  async setSecret(): Promise<void> {
    const pending = await this.readPending('setSecret');
    const current = await this.readKeyIfValid({ VersionStage: CURRENT });
    const previous = await this.readKeyIfValid({ VersionStage: PREVIOUS });
    const desired = keySetOf([pending, current, previous]);
    const published = await this.readKeySet();
    if (published !== undefined && sameKeySet(published, desired)) {
      this.deps.logger.info('Axon already has the pending key set', this.context());
      return;
    }
    await this.deps.client.send(
      new PutSecretValueCommand({
        SecretId: this.deps.verificationSecretId,
        SecretString: JSON.stringify({ keys: desired }),
      }),
    );
    this.deps.logger.info('published key set to Axon', { ...this.context(), keyIds: Object.keys(desired) });
  }

  async testSecret(): Promise<void> {
    const pending = await this.readPending('testSecret');
    await this.assertAxonVerifies(pending);
    this.deps.logger.info('Axon verifies signatures made with the pending key', this.context());
  }

  async finishSecret(): Promise<void> {
    const pending = await this.readPending('finishSecret');
    // Re-checked here too: promoting a key Axon does not know would reject every signed request.
    await this.assertAxonVerifies(pending);
    const current = Object.entries(this.versionsToStages).find(([, stages]) => stages.includes(CURRENT))?.[0];
    await this.deps.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: this.secretId,
        VersionStage: CURRENT,
        MoveToVersionId: this.token,
        ...(current === undefined ? {} : { RemoveFromVersionId: current }),
      }),
    );
    this.deps.logger.info('pending key is now current', { ...this.context(), previousVersionId: current });
  }

  private async assertAxonVerifies(pending: KeyVersion): Promise<void> {
    const published = await this.readKeySet();
    const copy = published?.[pending.versionId];
    if (copy === undefined) {
      throw new RotationError(
        `Axon's key set ${this.deps.verificationSecretId} lacks pending key ${pending.versionId}: setSecret has not completed`,
      );
    }
    if (!(await signaturesMatch(pending, copy))) {
      throw new RotationError(
        `Axon's copy of key ${pending.versionId} does not verify a signature made with the pending key`,
      );
    }
  }

  private async readPending(step: string): Promise<KeyVersion> {
    const pending = await this.readPendingIfPresent();
    if (!pending) {
      throw new RotationError(
        `${step}: version ${this.token} has no pending key yet; createSecret has not run`,
      );
    }
    return pending;
  }

  private async readPendingIfPresent(): Promise<KeyVersion | undefined> {
    try {
      const pending = await this.readKey({ VersionId: this.token, VersionStage: PENDING });
      if (!isSigningKey(pending.key)) {
        throw new RotationError(`pending version ${this.token} does not hold a 32-byte base64 signingKey`);
      }
      return pending;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  private async readKeyIfValid(select: { VersionStage: string }): Promise<KeyVersion | undefined> {
    try {
      const version = await this.readKey(select);
      if (isSigningKey(version.key)) return version;
      this.deps.logger.warn('ignoring a version without a valid signing key', {
        ...this.context(),
        stage: select.VersionStage,
      });
      return undefined;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  private async readKey(select: { VersionId?: string; VersionStage: string }): Promise<KeyVersion> {
    const out = await this.deps.client.send(
      new GetSecretValueCommand({ SecretId: this.secretId, ...select }),
    );
    if (out.VersionId === undefined) throw new RotationError(`${this.secretId} returned no version id`);
    return { versionId: out.VersionId, key: parseJsonField(out.SecretString, 'signingKey') };
  }

  /** Axon's published key set; undefined when the secret holds no readable set (it is then rewritten). */
  private async readKeySet(): Promise<KeySet | undefined> {
    const out = await this.deps.client.send(
      new GetSecretValueCommand({ SecretId: this.deps.verificationSecretId, VersionStage: CURRENT }),
    );
    try {
      const parsed = JSON.parse(out.SecretString ?? '') as { keys?: unknown };
      const keys = parsed.keys;
      if (typeof keys === 'object' && keys !== null && !Array.isArray(keys)) {
        return Object.fromEntries(Object.entries(keys).filter((entry) => isSigningKey(entry[1])));
      }
    } catch {
      // fall through: an unreadable set is treated as empty and replaced by setSecret
    }
    this.deps.logger.warn('Axon key set is not {"keys": {...}}; treating it as empty', this.context());
    return undefined;
  }

  private context(): Record<string, string> {
    return { secretId: this.secretId, versionId: this.token };
  }
}

function randomKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

function parseJsonField(secretString: string | undefined, field: string): string {
  try {
    const value = (JSON.parse(secretString ?? '') as Record<string, unknown>)[field];
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}

/** Pending first, then current, then previous; a version appearing twice is kept once. */
function keySetOf(versions: readonly (KeyVersion | undefined)[]): KeySet {
  const keys: Record<string, string> = {};
  for (const version of versions) {
    if (version === undefined || version.versionId in keys) continue;
    if (Object.keys(keys).length === MAX_VERIFICATION_KEYS) break;
    keys[version.versionId] = version.key;
  }
  return keys;
}

function sameKeySet(a: KeySet, b: KeySet): boolean {
  const aIds = Object.keys(a);
  return aIds.length === Object.keys(b).length && aIds.every((id) => a[id] === b[id]);
}

/**
 * Signs a fixed request the way Orbit does (SigV4, service `axon`, version id as access key id) with
 * the pending key and with Axon's copy; equal signatures mean Axon will accept Orbit's requests.
 */
async function signaturesMatch(pending: KeyVersion, axonCopy: string): Promise<boolean> {
  const request = new HttpRequest({
    method: 'POST',
    protocol: 'https:',
    hostname: 'axon',
    path: '/reason',
    headers: { host: 'axon', 'content-type': 'application/json' },
    body: '{"rotation":"test"}',
  });
  const signingDate = new Date('2026-01-01T00:00:00Z');
  const sign = async (secretAccessKey: string) => {
    const signer = new SignatureV4({
      service: 'axon',
      region: 'rotation-test',
      credentials: { accessKeyId: pending.versionId, secretAccessKey },
      sha256: Sha256,
    });
    const signed = await signer.sign(request, { signingDate });
    return signed.headers.authorization;
  };
  const [orbitSignature, axonSignature] = await Promise.all([sign(pending.key), sign(axonCopy)]);
  return orbitSignature !== undefined && orbitSignature === axonSignature;
}
