import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * Every command the documentation tells a reader to run must exist: `npm run <script>` /
 * `npm start` / `npm test` name a script in package.json, `npx <bin>` a binary installed in
 * node_modules/.bin (or this package's own `bin`), and files passed to `npx tsx`, `node` or `bash`
 * exist. AWS CLI and other external commands are out of scope: they need an account.
 */
const ROOT = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  bin?: Record<string, string>;
};

function markdownFiles(): string[] {
  const files = ['README.md', 'governance/README.md'].filter((f) => existsSync(join(ROOT, f)));
  const walk = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) return walk(path);
      return entry.name.endsWith('.md') ? [path] : [];
    });
  return [...files, ...(existsSync(join(ROOT, 'docs')) ? walk('docs') : [])];
}

/** Shell-ish text in a document: fenced code blocks and inline code spans. */
function codeOf(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const withoutBlocks = markdown.replace(/```[^\n]*\n[\s\S]*?```/g, '');
  const spans = [...withoutBlocks.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '');
  return [...blocks, ...spans];
}

export interface DocCommand {
  readonly file: string;
  readonly command: string;
  readonly problem: string | undefined;
}

function binExists(bin: string): boolean {
  return existsSync(join(ROOT, 'node_modules/.bin', bin)) || pkg.bin?.[bin] !== undefined;
}

export function commandsIn(file: string, text: string): DocCommand[] {
  const found: DocCommand[] = [];
  const add = (command: string, problem: string | undefined) => found.push({ file, command, problem });
  for (const code of codeOf(text)) {
    for (const m of code.matchAll(/\bnpm run ([A-Za-z0-9:._-]+)/g)) {
      const script = m[1] ?? '';
      add(m[0], pkg.scripts[script] ? undefined : `no script "${script}" in package.json`);
    }
    for (const m of code.matchAll(/\bnpm (start|test)\b/g)) {
      const script = m[1] ?? '';
      add(m[0], pkg.scripts[script] ? undefined : `no script "${script}" in package.json`);
    }
    for (const m of code.matchAll(/\bnpx (?:--yes |-y )?([@A-Za-z0-9][\w@./-]*)(?: ([\w./-]+))?/g)) {
      const bin = m[1] ?? '';
      const arg = m[2];
      if (!binExists(bin)) {
        add(m[0], `"${bin}" is not installed (node_modules/.bin) nor this package's bin`);
      } else if (bin === 'tsx' && arg && /\.(ts|mts|js|mjs)$/.test(arg)) {
        add(m[0], existsSync(join(ROOT, arg)) ? undefined : `${arg} does not exist`);
      } else {
        add(m[0], undefined);
      }
    }
    for (const m of code.matchAll(/\b(?:bash|node) ((?:\.\/)?[\w./-]+\.(?:sh|m?js|ts))\b/g)) {
      const path = m[1] ?? '';
      add(m[0], existsSync(join(ROOT, path)) ? undefined : `${path} does not exist`);
    }
  }
  return found;
}

describe('commands in the documentation', () => {
  const files = markdownFiles();
  const commands = files.flatMap((file) => commandsIn(file, readFileSync(join(ROOT, file), 'utf8')));

  it('finds the documents and the commands in them', () => {
    expect(files).toContain('README.md');
    expect(commands.length).toBeGreaterThan(5);
  });

  it('names only scripts, binaries and files that exist', () => {
    const broken = commands
      .filter((c) => c.problem !== undefined)
      .map((c) => `${c.file}: ${c.command} — ${c.problem}`);
    expect(broken).toEqual([]);
  });

  it('recognises a broken command', () => {
    const doc =
      '```bash\nnpm run no-such-script\nnpx no-such-bin\nnpx tsx scripts/missing.ts\nbash scripts/missing.sh\n```\nand `npm test`';
    const found = commandsIn('example.md', doc);
    expect(found.filter((c) => c.problem !== undefined).map((c) => c.command)).toEqual([
      'npm run no-such-script',
      'npx no-such-bin',
      'npx tsx scripts/missing.ts',
      'bash scripts/missing.sh',
    ]);
    expect(found.find((c) => c.command === 'npm test')?.problem).toBeUndefined();
  });
});
