import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Not options.ts's: the load client bundles this module, and that one imports the policy store.
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const PREFIX = 'local-bundles-';
/** Older than any bounded run: a directory whose process ended without its exit hook (a jest worker). */
const STALE_MS = 60 * 60 * 1000;

let outRoot: Promise<string> | undefined;
const bundles = new Map<string, Promise<string>>();

function root(): Promise<string> {
  // Inside the repository, so that what a bundle leaves out (esbuild) resolves from node_modules.
  const cache = join(REPO_ROOT, 'node_modules/.cache');
  outRoot ??= mkdir(cache, { recursive: true }).then(async () => {
    await sweep(cache);
    const dir = await mkdtemp(join(cache, PREFIX));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  });
  return outRoot;
}

async function sweep(cache: string): Promise<void> {
  for (const name of await readdir(cache)) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(cache, name);
    const { mtimeMs } = await stat(dir).catch(() => ({ mtimeMs: Date.now() }));
    if (Date.now() - mtimeMs > STALE_MS) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * `entry` (a TypeScript file, absolute path) bundled with esbuild into one ESM file, as the service
 * images bundle their main.ts (services/Dockerfile), once per process: a process started from it does
 * not load tsx nor transform its sources, which costs several times the start itself. Resolves with
 * the bundle's path.
 */
export function bundled(entry: string): Promise<string> {
  let bundle = bundles.get(entry);
  if (!bundle) {
    const name = `${bundles.size}-${basename(entry, '.ts')}.mjs`;
    bundle = (async () => {
      const outfile = join(await root(), name);
      // Loaded on first use: a bundled process that imports this module never needs esbuild.
      const { build } = await import('esbuild');
      await build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'warning',
        external: ['esbuild'],
        // CommonJS dependencies call require(); an ESM bundle has none of its own.
        banner: {
          js: "import{createRequire}from'node:module';const require=createRequire(import.meta.url);",
        },
      });
      return outfile;
    })();
    bundles.set(entry, bundle);
  }
  return bundle;
}
