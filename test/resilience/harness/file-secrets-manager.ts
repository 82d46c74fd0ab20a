import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

interface SecretFile {
  /** `secretString` is absent only for a version RotateSecret staged before createSecret filled it. */
  versions: { versionId: string; stages: string[]; secretString?: string }[];
}

type Command =
  | DescribeSecretCommand
  | GetSecretValueCommand
  | PutSecretValueCommand
  | UpdateSecretVersionStageCommand;

const metadata = { $metadata: {} };

/**
 * The four Secrets Manager calls the rotation Lambda makes, served from the same JSON files the
 * services read locally (`LocalFileSecretStore`'s format), so the real rotation code can rotate the
 * signing key of running processes. Staging-label moves follow Secrets Manager: moving AWSCURRENT
 * hands AWSPREVIOUS to the version that held it; a version left without labels is dropped.
 */
export class FileSecretsManager {
  private readonly root: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  /** As a `SecretsManagerClient` for code that only calls `send`. */
  asClient(): SecretsManagerClient {
    return this as unknown as SecretsManagerClient;
  }

  /** What `RotateSecret` does before it invokes the rotation function: stage the token as AWSPENDING. */
  async startRotation(secretId: string, token: string): Promise<void> {
    await this.serialised(async () => {
      const file = await this.read(secretId);
      file.versions.push({ versionId: token, stages: [] });
      moveStage(file, 'AWSPENDING', token);
      file.versions = file.versions.filter((v) => v.stages.length > 0);
      await this.write(secretId, file);
    });
  }

  send(command: Command): Promise<unknown> {
    return this.serialised(() => this.handle(command));
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    // One change at a time: each call is a read-modify-write of one file.
    const next = this.queue.then(task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private handle(command: Command): Promise<unknown> {
    if (command instanceof DescribeSecretCommand) return this.describe(command.input.SecretId ?? '');
    if (command instanceof GetSecretValueCommand) return this.get(command.input);
    if (command instanceof PutSecretValueCommand) return this.put(command.input);
    if (command instanceof UpdateSecretVersionStageCommand) return this.updateStage(command.input);
    throw new Error(`FileSecretsManager does not implement ${(command as object).constructor.name}`);
  }

  private async describe(secretId: string): Promise<unknown> {
    const file = await this.read(secretId);
    return {
      ...metadata,
      RotationEnabled: true,
      VersionIdsToStages: Object.fromEntries(file.versions.map((v) => [v.versionId, v.stages])),
    };
  }

  private async get(input: GetSecretValueCommand['input']): Promise<unknown> {
    const { SecretId = '', VersionId, VersionStage } = input;
    const file = await this.read(SecretId);
    const stage = VersionStage ?? (VersionId ? undefined : 'AWSCURRENT');
    const version = file.versions.find(
      (v) => (!VersionId || v.versionId === VersionId) && (!stage || v.stages.includes(stage)),
    );
    if (version?.secretString === undefined) {
      throw new ResourceNotFoundException({
        ...metadata,
        message: `${SecretId} has no version ${VersionId ?? ''} ${stage ?? ''}`.trim(),
      });
    }
    return {
      ...metadata,
      VersionId: version.versionId,
      SecretString: version.secretString,
      VersionStages: version.stages,
    };
  }

  private async put(input: PutSecretValueCommand['input']): Promise<unknown> {
    const { SecretId = '', SecretString = '', ClientRequestToken, VersionStages } = input;
    const file = await this.read(SecretId);
    const versionId = ClientRequestToken ?? randomUUID();
    const existing = file.versions.find((v) => v.versionId === versionId);
    if (existing?.secretString === undefined && existing) {
      existing.secretString = SecretString;
      for (const stage of VersionStages ?? []) moveStage(file, stage, versionId);
      await this.write(SecretId, file);
      return { ...metadata, VersionId: versionId };
    }
    if (existing) {
      if (existing.secretString !== SecretString) {
        throw new ResourceExistsException({ ...metadata, message: `version ${versionId} exists` });
      }
      return { ...metadata, VersionId: versionId };
    }
    file.versions.push({ versionId, stages: [], secretString: SecretString });
    for (const stage of VersionStages ?? ['AWSCURRENT']) moveStage(file, stage, versionId);
    file.versions = file.versions.filter((v) => v.stages.length > 0);
    await this.write(SecretId, file);
    return { ...metadata, VersionId: versionId };
  }

  private async updateStage(input: UpdateSecretVersionStageCommand['input']): Promise<unknown> {
    const { SecretId = '', VersionStage = '', MoveToVersionId } = input;
    const file = await this.read(SecretId);
    const target = file.versions.find((v) => v.versionId === MoveToVersionId);
    if (!MoveToVersionId || !target) {
      throw new ResourceNotFoundException({ ...metadata, message: `no version ${MoveToVersionId}` });
    }
    moveStage(file, VersionStage, MoveToVersionId);
    if (VersionStage === 'AWSCURRENT') target.stages = target.stages.filter((s) => s !== 'AWSPENDING');
    file.versions = file.versions.filter((v) => v.stages.length > 0);
    await this.write(SecretId, file);
    return metadata;
  }

  private async read(secretId: string): Promise<SecretFile> {
    try {
      return JSON.parse(await readFile(this.pathFor(secretId), 'utf8')) as SecretFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { versions: [] };
      throw error;
    }
  }

  private async write(secretId: string, file: SecretFile): Promise<void> {
    const path = this.pathFor(secretId);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, path);
  }

  private pathFor(secretId: string): string {
    const path = resolve(join(this.root, `${secretId}.json`));
    if (!path.startsWith(this.root + sep)) throw new Error(`secret id ${secretId} escapes ${this.root}`);
    return path;
  }
}

function moveStage(file: SecretFile, stage: string, versionId: string): void {
  const holder = file.versions.find((v) => v.stages.includes(stage) && v.versionId !== versionId);
  if (holder) holder.stages = holder.stages.filter((s) => s !== stage);
  if (stage === 'AWSCURRENT' && holder) {
    for (const v of file.versions) v.stages = v.stages.filter((s) => s !== 'AWSPREVIOUS');
    holder.stages.push('AWSPREVIOUS');
  }
  const target = file.versions.find((v) => v.versionId === versionId);
  if (target && !target.stages.includes(stage)) target.stages.push(stage);
}
