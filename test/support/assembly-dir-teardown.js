// Jest global teardown: removes the run's shared cloud assemblies when its setup made the directory
// (see assembly-dir.js); a directory `npm test` made is `npm test`'s to remove.
import { rmSync } from 'node:fs';
import { SHARED_ASSEMBLY_ENV, SHARED_ASSEMBLY_OWNED_ENV } from './assembly-dir.js';

export default function removeSharedAssemblyDir() {
  const dir = process.env[SHARED_ASSEMBLY_ENV];
  if (dir && process.env[SHARED_ASSEMBLY_OWNED_ENV] === 'true') rmSync(dir, { recursive: true, force: true });
}
