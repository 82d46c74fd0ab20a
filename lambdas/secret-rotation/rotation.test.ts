import { randomBytes, randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { SecretsManagerRotationEvent, SecretsManagerRotationEventStep } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { handler } from './handler.js';
import {
  CURRENT,
  isSigningKey,
  PENDING,
  PREVIOUS,
  RotationError,
  type RotationLogger,
  rotate,
} from './rotation.js';

const ORBIT = 'axon-orbit-test/orbit/signing-key';
const AXON = 'axon-orbit-test/axon/verification-keys';

interface Version {
  value: string | undefined;
  stages: Set<string>;
}

/**
 * Just enough of Secrets Manager's version/staging-label semantics to run rotations against:
 * PutSecretValue is idempotent per ClientRequestToken, AWSCURRENT moves push the old version to
 * AWSPREVIOUS, and RotateSecret opens an empty AWSPENDING version.
 */
class FakeSecretsManager {
  readonly secrets = new Map<string, { rotationEnabled: boolean; versions: Map<string, Version> }>();

  create(id: string, value: string, rotationEnabled = true): string {
    const versionId = randomUUID();
    this.secrets.set(id, {
      rotationEnabled,
      versions: new Map([[versionId, { value, stages: new Set([CURRENT]) }]]),
    });
    return versionId;
  }

  /** What RotateSecret does before invoking the function: an empty version labelled AWSPENDING. */
  startRotation(id: string): string {
    const token = randomUUID();
    this.moveStage(id, PENDING, token);
    this.secret(id).versions.set(token, { value: undefined, stages: new Set([PENDING]) });
    return token;
  }

  /** What Secrets Manager does once finishSecret has returned. */
  completeRotation(id: string): void {
    for (const version of this.secret(id).versions.values()) version.stages.delete(PENDING);
  }

  valueAt(id: string, stage: string): { versionId: string; value: unknown } {
    for (const [versionId, version] of this.secret(id).versions) {
      if (version.stages.has(stage)) return { versionId, value: JSON.parse(version.value ?? 'null') };
    }
    throw new Error(`no ${stage} in ${id}`);
  }

  setValue(id: string, stage: string, value: string): void {
    for (const version of this.secret(id).versions.values()) {
      if (version.stages.has(stage)) version.value = value;
    }
  }

  describe(input: { SecretId?: string }) {
    const secret = this.secret(input.SecretId);
    return {
      RotationEnabled: secret.rotationEnabled,
      VersionIdsToStages: Object.fromEntries(
        [...secret.versions].filter(([, v]) => v.stages.size > 0).map(([id, v]) => [id, [...v.stages]]),
      ),
    };
  }

  get(input: { SecretId?: string; VersionId?: string; VersionStage?: string }) {
    const secret = this.secret(input.SecretId);
    const stage = input.VersionStage ?? (input.VersionId === undefined ? CURRENT : undefined);
    const found = [...secret.versions].find(
      ([id, v]) =>
        (input.VersionId === undefined || id === input.VersionId) &&
        (stage === undefined || v.stages.has(stage)) &&
        v.value !== undefined,
    );
    if (!found) throw notFound(`no such version of ${input.SecretId}`);
    return { VersionId: found[0], SecretString: found[1].value };
  }

  put(input: {
    SecretId?: string;
    ClientRequestToken?: string;
    SecretString?: string;
    VersionStages?: string[];
  }) {
    const secret = this.secret(input.SecretId);
    const versionId = input.ClientRequestToken ?? randomUUID();
    const existing = secret.versions.get(versionId);
    if (existing?.value !== undefined) {
      if (existing.value !== input.SecretString) {
        throw new ResourceExistsException({ message: 'version exists with another value', $metadata: {} });
      }
      return { VersionId: versionId };
    }
    const version = existing ?? { value: undefined, stages: new Set<string>() };
    version.value = input.SecretString;
    secret.versions.set(versionId, version);
    for (const stage of input.VersionStages ?? [CURRENT]) this.moveStage(input.SecretId, stage, versionId);
    return { VersionId: versionId };
  }

  updateStage(input: {
    SecretId?: string;
    VersionStage?: string;
    MoveToVersionId?: string;
    RemoveFromVersionId?: string;
  }) {
    const secret = this.secret(input.SecretId);
    const stage = input.VersionStage ?? '';
    const holder = [...secret.versions].find(([, v]) => v.stages.has(stage))?.[0];
    if (holder !== undefined && holder !== input.MoveToVersionId && holder !== input.RemoveFromVersionId) {
      throw new Error(`${stage} is on ${holder}, not on ${input.RemoveFromVersionId}`);
    }
    this.moveStage(input.SecretId, stage, input.MoveToVersionId ?? '');
    return {};
  }

  private moveStage(id: string | undefined, stage: string, versionId: string): void {
    const secret = this.secret(id);
    for (const [otherId, version] of secret.versions) {
      if (otherId === versionId || !version.stages.has(stage)) continue;
      version.stages.delete(stage);
      if (stage === CURRENT) {
        for (const v of secret.versions.values()) v.stages.delete(PREVIOUS);
        version.stages.add(PREVIOUS);
      }
    }
    secret.versions.get(versionId)?.stages.add(stage);
  }

  private secret(id: string | undefined) {
    const secret = this.secrets.get(id ?? '');
    if (!secret) throw notFound(`no secret ${id}`);
    return secret;
  }
}

function notFound(message: string): ResourceNotFoundException {
  return new ResourceNotFoundException({ message, $metadata: {} });
}

const key = () => randomBytes(32).toString('base64');
const quietLogger: RotationLogger & { warnings: string[] } = {
  warnings: [],
  info: () => undefined,
  warn(message) {
    this.warnings.push(message);
  },
};

const sm = mockClient(SecretsManagerClient);
let fake: FakeSecretsManager;
let initialVersion: string;
let initialKey: string;
let generated: string[];

beforeEach(() => {
  sm.reset();
  fake = new FakeSecretsManager();
  quietLogger.warnings = [];
  generated = [];
  initialKey = key();
  initialVersion = fake.create(ORBIT, JSON.stringify({ signingKey: initialKey }));
  fake.create(AXON, JSON.stringify({ keys: { [initialVersion]: initialKey } }), false);
  sm.on(DescribeSecretCommand).callsFake((input) => fake.describe(input));
  sm.on(GetSecretValueCommand).callsFake((input) => fake.get(input));
  sm.on(PutSecretValueCommand).callsFake((input) => fake.put(input));
  sm.on(UpdateSecretVersionStageCommand).callsFake((input) => fake.updateStage(input));
});

const deps = () => ({
  client: new SecretsManagerClient({ region: 'eu-west-1' }),
  verificationSecretId: AXON,
  logger: quietLogger,
  generateKey: () => {
    const k = key();
    generated.push(k);
    return k;
  },
});

const step = (Step: SecretsManagerRotationEventStep, token: string) =>
  rotate({ Step, SecretId: ORBIT, ClientRequestToken: token }, deps());

async function fullRotation(): Promise<string> {
  const token = fake.startRotation(ORBIT);
  for (const s of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) await step(s, token);
  fake.completeRotation(ORBIT);
  return token;
}

const axonKeys = () => (fake.valueAt(AXON, CURRENT).value as { keys: Record<string, string> }).keys;
const putsTo = (id: string) =>
  sm.commandCalls(PutSecretValueCommand).filter((call) => call.args[0].input.SecretId === id).length;

describe('rotation of the signing key', () => {
  it('makes a new key current only after Axon knows it', async () => {
    const token = await fullRotation();

    const current = fake.valueAt(ORBIT, CURRENT);
    expect(current.versionId).toBe(token);
    expect(current.value).toEqual({ signingKey: generated[0] });
    expect(fake.valueAt(ORBIT, PREVIOUS).versionId).toBe(initialVersion);
    expect(axonKeys()).toEqual({ [token]: generated[0], [initialVersion]: initialKey });
  });

  it('keeps at most pending, current and previous keys in Axon across rotations', async () => {
    const first = await fullRotation();
    const second = await fullRotation();
    const third = fake.startRotation(ORBIT);
    await step('createSecret', third);
    await step('setSecret', third);

    expect(Object.keys(axonKeys()).sort()).toEqual([first, second, third].sort());
    expect(axonKeys()).not.toHaveProperty(initialVersion);
  });

  it.each(['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const)(
    'does nothing when %s is retried after the rotation finished',
    async (retried) => {
      const token = await fullRotation();
      sm.resetHistory();
      await step(retried, token);
      expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
      expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
      expect(fake.valueAt(ORBIT, CURRENT).versionId).toBe(token);
    },
  );
});

describe('createSecret', () => {
  it('stores one new 32-byte key as AWSPENDING and keeps it when retried', async () => {
    const token = fake.startRotation(ORBIT);
    await step('createSecret', token);
    await step('createSecret', token);

    expect(generated).toHaveLength(1);
    expect(putsTo(ORBIT)).toBe(1);
    expect(fake.get({ SecretId: ORBIT, VersionId: token, VersionStage: PENDING }).SecretString).toBe(
      JSON.stringify({ signingKey: generated[0] }),
    );
    expect(fake.valueAt(ORBIT, CURRENT).versionId).toBe(initialVersion);
  });

  it('accepts the key of a concurrent invocation that stored first', async () => {
    const token = fake.startRotation(ORBIT);
    const winner = key();
    sm.on(PutSecretValueCommand).callsFakeOnce(() => {
      fake.put({
        SecretId: ORBIT,
        ClientRequestToken: token,
        SecretString: JSON.stringify({ signingKey: winner }),
      });
      throw new ResourceExistsException({ message: 'exists', $metadata: {} });
    });
    await step('createSecret', token);
    expect(fake.get({ SecretId: ORBIT, VersionId: token }).SecretString).toBe(
      JSON.stringify({ signingKey: winner }),
    );
  });

  it('rejects a generated key that is not 32 bytes of base64', async () => {
    const token = fake.startRotation(ORBIT);
    await expect(
      rotate(
        { Step: 'createSecret', SecretId: ORBIT, ClientRequestToken: token },
        { ...deps(), generateKey: () => 'c2hvcnQ=' },
      ),
    ).rejects.toThrow('generated key is not base64 of 32 bytes');
  });
});

describe('setSecret', () => {
  it('publishes pending, current and previous keys once, even when retried', async () => {
    const token = fake.startRotation(ORBIT);
    await step('createSecret', token);
    await step('setSecret', token);
    await step('setSecret', token);

    expect(putsTo(AXON)).toBe(1);
    expect(axonKeys()).toEqual({ [token]: generated[0], [initialVersion]: initialKey });
  });

  it('refuses to run before createSecret and writes nothing', async () => {
    const token = fake.startRotation(ORBIT);
    await expect(step('setSecret', token)).rejects.toThrow(/createSecret has not run/);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('leaves out a current value that is not a signing key (the secret as first created)', async () => {
    fake.setValue(ORBIT, CURRENT, JSON.stringify({ signingKey: 'generated-by-cloudformation' }));
    const token = fake.startRotation(ORBIT);
    await step('createSecret', token);
    await step('setSecret', token);
    expect(axonKeys()).toEqual({ [token]: generated[0] });
    expect(quietLogger.warnings).toContain('ignoring a version without a valid signing key');
  });

  it('replaces an unreadable Axon key set', async () => {
    fake.setValue(AXON, CURRENT, 'not json');
    const token = fake.startRotation(ORBIT);
    await step('createSecret', token);
    await step('setSecret', token);
    expect(axonKeys()).toEqual({ [token]: generated[0], [initialVersion]: initialKey });
  });
});

describe('testSecret', () => {
  it('passes when Axon verifies a signature made with the pending key', async () => {
    const token = fake.startRotation(ORBIT);
    await step('createSecret', token);
    await step('setSecret', token);
    await expect(step('testSecret', token)).resolves.toBeUndefined();
    await expect(step('testSecret', token)).resolves.toBeUndefined();
  });

  it('fails when it runs before setSecret', async () => {
    const token = fake.startRotation(ORBIT);
    await step('createSecret', token);
    await expect(step('testSecret', token)).rejects.toThrow(/setSecret has not completed/);
  });

  it("fails when Axon's copy of the key differs", async () => {
    const token = fake.startRotation(ORBIT);
    await step('createSecret', token);
    fake.put({ SecretId: AXON, SecretString: JSON.stringify({ keys: { [token]: key() } }) });
    await expect(step('testSecret', token)).rejects.toThrow(/does not verify a signature/);
  });

  it('fails when it runs before createSecret', async () => {
    const token = fake.startRotation(ORBIT);
    await expect(step('testSecret', token)).rejects.toThrow(/createSecret has not run/);
  });
});

describe('finishSecret', () => {
  it('refuses to promote a key Axon does not know yet', async () => {
    const token = fake.startRotation(ORBIT);
    await step('createSecret', token);
    await expect(step('finishSecret', token)).rejects.toThrow(RotationError);
    expect(fake.valueAt(ORBIT, CURRENT).versionId).toBe(initialVersion);
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('moves AWSCURRENT from the old version to the pending one', async () => {
    const token = fake.startRotation(ORBIT);
    await step('createSecret', token);
    await step('setSecret', token);
    await step('finishSecret', token);
    const [call] = sm.commandCalls(UpdateSecretVersionStageCommand);
    expect(call?.args[0].input).toEqual({
      SecretId: ORBIT,
      VersionStage: CURRENT,
      MoveToVersionId: token,
      RemoveFromVersionId: initialVersion,
    });
  });
});

describe('guards', () => {
  it('rejects a token that is no longer pending (a superseded rotation)', async () => {
    const stale = fake.startRotation(ORBIT);
    await step('createSecret', stale);
    const fresh = fake.startRotation(ORBIT);
    await expect(step('setSecret', stale)).rejects.toThrow(/superseded by a newer rotation/);
    await step('createSecret', fresh);
  });

  it('rejects a version that is neither pending nor current', async () => {
    await fullRotation();
    await expect(step('setSecret', initialVersion)).rejects.toThrow(
      /is not AWSPENDING \(stages: AWSPREVIOUS\); this rotation is over/,
    );
  });

  it('rejects an unknown version id', async () => {
    await expect(step('createSecret', randomUUID())).rejects.toThrow(/has no staged version/);
  });

  it('rejects a secret whose rotation is disabled', async () => {
    await expect(
      rotate({ Step: 'createSecret', SecretId: AXON, ClientRequestToken: initialVersion }, deps()),
    ).rejects.toThrow(/does not have rotation enabled/);
  });

  it('rejects an unknown step', async () => {
    const token = fake.startRotation(ORBIT);
    await expect(step('rotateSecret' as SecretsManagerRotationEventStep, token)).rejects.toThrow(
      'unknown rotation step "rotateSecret"',
    );
  });
});

describe('isSigningKey', () => {
  it('accepts base64 of exactly 32 bytes and nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
        expect(isSigningKey(Buffer.from(bytes).toString('base64'))).toBe(bytes.length === 32);
      }),
    );
    expect(isSigningKey(`${key().slice(0, -2)}!=`)).toBe(false);
    expect(isSigningKey(undefined)).toBe(false);
  });
});

describe('handler', () => {
  const saved = process.env.VERIFICATION_SECRET_ID;
  afterEach(() => {
    if (saved === undefined) delete process.env.VERIFICATION_SECRET_ID;
    else process.env.VERIFICATION_SECRET_ID = saved;
  });

  it('runs the step against the configured key set', async () => {
    process.env.VERIFICATION_SECRET_ID = AXON;
    const token = fake.startRotation(ORBIT);
    const event: SecretsManagerRotationEvent = {
      Step: 'createSecret',
      SecretId: ORBIT,
      ClientRequestToken: token,
    };
    await handler(event);
    await handler({ ...event, Step: 'setSecret' });
    expect(Object.keys(axonKeys())).toContain(token);
  });

  it('fails clearly without VERIFICATION_SECRET_ID', async () => {
    delete process.env.VERIFICATION_SECRET_ID;
    await expect(handler({ Step: 'createSecret', SecretId: ORBIT, ClientRequestToken: 'x' })).rejects.toThrow(
      'VERIFICATION_SECRET_ID is not set',
    );
  });
});
