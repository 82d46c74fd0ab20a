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

interface DocCommand {
  readonly file: string;
  readonly command: string;
  readonly problem: string | undefined;
}

type Check = (match: RegExpMatchArray) => string | undefined;

function binExists(bin: string): boolean {
  return existsSync(join(ROOT, 'node_modules/.bin', bin)) || pkg.bin?.[bin] !== undefined;
}

const scriptExists: Check = (m) =>
  pkg.scripts[m[1] ?? ''] ? undefined : `no script "${m[1]}" in package.json`;
const fileExists = (path: string | undefined): string | undefined =>
  path && existsSync(join(ROOT, path)) ? undefined : `${path} does not exist`;

/** Each command pattern, and what makes the command it matches work. */
const CHECKS: ReadonlyArray<readonly [RegExp, Check]> = [
  [/\bnpm run ([A-Za-z0-9:._-]+)/g, scriptExists],
  [/\bnpm (start|test)\b/g, scriptExists],
  [
    /\bnpx (?:--yes |-y )?([@A-Za-z0-9][\w@./-]*)(?: ([\w./-]+))?/g,
    (m) => {
      const bin = m[1] ?? '';
      if (!binExists(bin)) return `"${bin}" is not installed (node_modules/.bin) nor this package's bin`;
      const arg = m[2];
      return bin === 'tsx' && arg && /\.(ts|mts|js|mjs)$/.test(arg) ? fileExists(arg) : undefined;
    },
  ],
  [/\b(?:bash|node) ((?:\.\/)?[\w./-]+\.(?:sh|m?js|ts))\b/g, (m) => fileExists(m[1])],
];

function commandsIn(file: string, text: string): DocCommand[] {
  return codeOf(text).flatMap((code) =>
    CHECKS.flatMap(([pattern, checkOf]) =>
      [...code.matchAll(pattern)].map((m) => ({ file, command: m[0], problem: checkOf(m) })),
    ),
  );
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
