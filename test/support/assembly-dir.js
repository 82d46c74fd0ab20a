// Jest global setup (plain JavaScript: jest loads it outside its ESM transform). Makes the empty
// directory the run's shared cloud assembly goes into (test/support/assembly.ts synthesizes it when
// the first CDK test asks); workers find it through the environment variable.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SHARED_ASSEMBLY_ENV = 'SHARED_CDK_ASSEMBLY_DIR';

export default function makeSharedAssemblyDir() {
  process.env[SHARED_ASSEMBLY_ENV] = mkdtempSync(join(tmpdir(), 'cdk-shared-'));
}
