import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { AdminError } from '../../lambdas/governance/admin/errors.js';
import { UsageError } from './args.js';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EMFILE: 'too many open files',
};

/** Line and column (1-based) of a character offset in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines.at(-1) ?? '').length + 1 };
}

/**
 * `file:line:column: <what is wrong>` for text that is not JSON. Node reports the offending offset as
 * "position N" (and, from Node 22, its own line and column, which are dropped for this single form);
 * an empty or truncated text ends at its last character.
 */
export function jsonProblem(file: string, text: string, error: Error): string {
  const position = /at position (\d+)/.exec(error.message)?.[1];
  const offset = position === undefined ? text.length : Number(position);
  const { line, column } = lineAndColumn(text, offset);
  const reason = error.message
    .replace(/ in JSON at position \d+.*$/, '')
    .replace(/ \(line \d+ column \d+\)$/, '')
    .replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
  return `${file}:${line}:${column}: not valid JSON: ${reason}`;
}

function cannotRead(file: string, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return new UsageError(`cannot read ${file}: ${REASONS[code] ?? (code || 'unreadable')}`);
}

/**
 * The absolute path of a file that is read later, as a stream: missing or a directory is said now,
 * in `readJson`'s words, rather than as whatever fails once reading starts.
 */
export function readableFile(file: string, cwd: string): string {
  const path = resolve(cwd, file);
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error(path), { code: 'EISDIR' });
  } catch (error) {
    throw cannotRead(file, error);
  }
  return path;
}

/** Reads and parses a JSON file; an unreadable file names the reason, invalid JSON its line and column. */
export function readJson(file: string, cwd: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw cannotRead(file, error);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AdminError('invalid-policy', jsonProblem(file, text, error as Error));
  }
}
