import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Completes lockfile entries for platform-specific optional dependencies that npm could not resolve.
 *
 * The registry mirror of this workplace sometimes lacks a platform build of a package's current
 * version (e.g. `@biomejs/cli-darwin-x64`) when `npm install` runs. npm then writes a lockfile without
 * it, and `npm ci` refuses that lockfile as "out of sync". This script adds each missing entry with
 * the fields npm itself would record — `integrity`, `os`, `cpu`, `libc` — read from the registry's
 * metadata (`npm view`). With `os`/`cpu`/`libc`, `npm ci` installs only the build for the machine it
 * runs on (not every platform's binary), and with `integrity` it installs exactly what is pinned.
 *
 * Run after every `npm install`: `npm run lockfile:complete`. `--check` (used by `npm test`) only
 * reads the lockfile and fails when an optional entry is missing or has no integrity.
 */
interface LockEntry {
  version?: string;
  integrity?: string;
  dev?: boolean;
  optional?: boolean;
  os?: string[];
  cpu?: string[];
  libc?: string[];
  optionalDependencies?: Record<string, string>;
}

interface Registry {
  os?: string[];
  cpu?: string[];
  libc?: string[];
  dist?: { integrity?: string };
}

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8')) as { packages: Record<string, LockEntry> };

/** Optional dependencies some package declares, with the lockfile key they resolve to. */
function optionalPlatformEntries(): { key: string; name: string; version: string; dev: boolean }[] {
  const found = new Map<string, { key: string; name: string; version: string; dev: boolean }>();
  for (const [key, entry] of Object.entries(lock.packages)) {
    for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
      const nested = `${key}/node_modules/${name}`;
      const target = lock.packages[nested] ? nested : `node_modules/${name}`;
      const existing = lock.packages[target];
      found.set(target, {
        key: target,
        name,
        version: existing?.version ?? version,
        dev: entry.dev === true,
      });
    }
  }
  return [...found.values()];
}

const incomplete = (entry: LockEntry | undefined) => entry === undefined || !entry.integrity;

const missing = optionalPlatformEntries().filter(({ key }) => incomplete(lock.packages[key]));

if (process.argv.includes('--check')) {
  if (missing.length > 0) {
    console.error(
      `package-lock.json lacks integrity/os/cpu for ${missing.map((m) => `${m.name}@${m.version}`).join(', ')}: run npm run lockfile:complete`,
    );
    process.exit(1);
  }
  process.exit(0);
}

for (const { key, name, version, dev } of missing) {
  const json = execFileSync('npm', ['view', `${name}@${version}`, '--json'], { encoding: 'utf8' });
  const meta = JSON.parse(json) as Registry;
  if (!meta.dist?.integrity) throw new Error(`the registry has no integrity for ${name}@${version}`);
  lock.packages[key] = {
    ...lock.packages[key],
    version,
    integrity: meta.dist.integrity,
    ...(dev ? { dev: true } : {}),
    optional: true,
    ...(meta.os ? { os: meta.os } : {}),
    ...(meta.cpu ? { cpu: meta.cpu } : {}),
    ...(meta.libc ? { libc: meta.libc } : {}),
  };
}

const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify({ ...lock, packages: sorted }, null, 2)}\n`);
console.log(
  missing.length
    ? `complete-lockfile: completed ${missing.length} optional platform entries from the registry`
    : 'complete-lockfile: nothing to complete',
);
