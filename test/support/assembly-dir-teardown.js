// Jest global teardown: removes the run's shared cloud assembly (see assembly-dir.js).
import { rmSync } from 'node:fs';
import { SHARED_ASSEMBLY_ENV } from './assembly-dir.js';

export default function removeSharedAssemblyDir() {
  const dir = process.env[SHARED_ASSEMBLY_ENV];
  if (dir) rmSync(dir, { recursive: true, force: true });
}
