// Jest global setup (plain JavaScript: jest loads it outside its ESM transform). Makes the empty
// directory the run's shared cloud assemblies go into (test/support/assembly.ts synthesizes them when
// a CDK test asks); workers find it through the environment variable. `npm test` makes it itself and
// exports it, so the synth it starts beside jest fills the same directory.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SHARED_ASSEMBLY_ENV = 'SHARED_CDK_ASSEMBLY_DIR';
/** Set when this setup made the directory, so that teardown removes only what setup made. */
export const SHARED_ASSEMBLY_OWNED_ENV = 'SHARED_CDK_ASSEMBLY_DIR_OWNED';

export default function makeSharedAssemblyDir() {
  if (process.env[SHARED_ASSEMBLY_ENV]) return;
  process.env[SHARED_ASSEMBLY_ENV] = mkdtempSync(join(tmpdir(), 'cdk-shared-'));
  process.env[SHARED_ASSEMBLY_OWNED_ENV] = 'true';
}
