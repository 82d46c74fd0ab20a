import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** One version of a secret, as Secrets Manager returns it. */
export interface SecretVersion {
  readonly versionId: string;
  readonly secretString: string;
}

/** Where the services read secrets from: Secrets Manager when deployed, JSON files locally. */
export interface SecretSource {
  getSecretValue(secretId: string, stage?: string): Promise<SecretVersion>;
}

export class SecretsManagerSource implements SecretSource {
  constructor(private readonly client: SecretsManagerClient) {}

  async getSecretValue(secretId: string, stage = 'AWSCURRENT'): Promise<SecretVersion> {
    const out = await this.client.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }),
    );
    if (!out.VersionId || out.SecretString === undefined) {
      throw new Error(`secret ${secretId} (${stage}) has no version id or no string value`);
    }
    return { versionId: out.VersionId, secretString: out.SecretString };
  }
}

interface LocalSecretFile {
  versions: { versionId: string; stages: string[]; secretString: string }[];
}

/**
 * The local stand-in for Secrets Manager: `<dir>/<secret id>.json` holds the versions and their
 * staging labels, so rotation (AWSPENDING → AWSCURRENT → AWSPREVIOUS) works the same way on disk.
 */
export class LocalFileSecretStore implements SecretSource {
  private readonly root: string;

  constructor(dir: string) {
    this.root = resolve(dir);
  }

  async getSecretValue(secretId: string, stage = 'AWSCURRENT'): Promise<SecretVersion> {
    const file = await this.read(secretId);
    const version = file.versions.find((v) => v.stages.includes(stage));
    if (!version) throw new Error(`secret ${secretId} has no version labelled ${stage}`);
    return { versionId: version.versionId, secretString: version.secretString };
  }

  /**
   * Stores `secretString` as `versionId` labelled `stage`, moving the label off any other version the
   * way Secrets Manager does; moving AWSCURRENT hands AWSPREVIOUS to the version that held it, and a
   * promoted version loses AWSPENDING. Versions left without a label are dropped.
   */
  async putSecretValue(
    secretId: string,
    versionId: string,
    secretString: string,
    stage = 'AWSCURRENT',
  ): Promise<void> {
    const file = await this.read(secretId).catch((): LocalSecretFile => ({ versions: [] }));
    const previous = file.versions.find((v) => v.stages.includes('AWSCURRENT') && v.versionId !== versionId);
    for (const v of file.versions) {
      v.stages = v.stages.filter(
        (s) => s !== stage && !(stage === 'AWSCURRENT' && previous && s === 'AWSPREVIOUS'),
      );
    }
    if (stage === 'AWSCURRENT' && previous) previous.stages.push('AWSPREVIOUS');
    const target = file.versions.find((v) => v.versionId === versionId);
    if (target) {
      target.secretString = secretString;
      target.stages = [
        ...target.stages.filter((s) => !(stage === 'AWSCURRENT' && s === 'AWSPENDING')),
        stage,
      ];
    } else {
      file.versions.push({ versionId, stages: [stage], secretString });
    }
    file.versions = file.versions.filter((v) => v.stages.length > 0);
    const path = this.pathFor(secretId);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, path);
  }

  private async read(secretId: string): Promise<LocalSecretFile> {
    const parsed = JSON.parse(await readFile(this.pathFor(secretId), 'utf8')) as LocalSecretFile;
    if (!Array.isArray(parsed.versions)) throw new Error(`secret file for ${secretId} has no versions array`);
    return parsed;
  }

  private pathFor(secretId: string): string {
    const path = resolve(join(this.root, `${secretId}.json`));
    if (!path.startsWith(this.root + sep))
      throw new Error(`secret id ${secretId} escapes the secrets directory`);
    return path;
  }
}

/** The secret source a service's config selects: the local file store when it names one, else Secrets Manager. */
export function secretSourceFor(config: {
  readonly localSecretsDir: string | undefined;
  readonly region: string;
}): SecretSource {
  return config.localSecretsDir
    ? new LocalFileSecretStore(config.localSecretsDir)
    : new SecretsManagerSource(new SecretsManagerClient({ region: config.region }));
}
