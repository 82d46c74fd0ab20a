import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The local stand-in for governance's asymmetric KMS key: a P-256 key pair generated at start and
 * written (mode 0600) as `{kid, privateKeyPem, publicKeyPem}`; the local decision function signs with
 * the private half, Axon verifies with the public half. Returns the file's path.
 */
export async function writeLocalDecisionKey(dir: string): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'decision-token-key.json');
  const file = {
    kid: `local-${randomUUID()}`,
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
  await writeFile(path, `${JSON.stringify(file)}\n`, { mode: 0o600 });
  return path;
}
