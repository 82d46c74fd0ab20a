import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Adds lockfile entries for platform-specific optional dependencies that npm could not resolve.
 *
 * The registry mirror of this workplace lacks some platform builds (e.g. `@biomejs/cli-darwin-x64`
 * of the current version). npm then writes a lockfile without them, and `npm ci` refuses that
 * lockfile as "out of sync". An entry naming the requested version, marked optional, keeps `npm ci`
 * working here (the fetch of a foreign-platform optional package may fail without harm) and on the
 * public registry (where npm resolves it normally). Run after every `npm install`:
 * `npm run lockfile:complete`; `--check` (used by `npm test`) only reports and fails if entries are missing.
 */
interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  optionalDependencies?: Record<string, string>;
}

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8')) as { packages: Record<string, LockEntry> };
const added: string[] = [];

for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${key}/node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[hoisted]) continue;
    lock.packages[hoisted] = { version, ...(entry.dev ? { dev: true } : {}), optional: true };
    added.push(`${name}@${version}`);
  }
}

if (process.argv.includes('--check')) {
  if (added.length > 0) {
    console.error(`package-lock.json lacks ${added.join(', ')}: run npm run lockfile:complete`);
    process.exit(1);
  }
  process.exit(0);
}

const sorted = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(path, `${JSON.stringify({ ...lock, packages: sorted }, null, 2)}\n`);
console.log(
  added.length
    ? `complete-lockfile: added ${added.length} optional entries`
    : 'complete-lockfile: nothing to add',
);
