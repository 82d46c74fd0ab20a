import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** GitHub rejects comment bodies over 65,536 characters; keep room for the header and footer. */
export const MAX_DIFF_CHARS = 60_000;

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are what this strips
const ANSI = /\u001b\[[0-9;]*m/g;

export interface DiffSummary {
  readonly stacks: number;
  readonly changed: number;
  readonly securityChanges: boolean;
}

/** Counts the stacks `cdk diff` printed and those with differences. */
export function summarizeDiff(text: string): DiffSummary {
  const sections = text.split(/^Stack /m).slice(1);
  const changed = sections.filter((s) => !/There were no differences/.test(s)).length;
  return {
    stacks: sections.length,
    changed,
    securityChanges: /IAM Statement Changes|Security Group Changes|IAM Policy Changes/.test(text),
  };
}

/** The marker that lets a later run update its own comment instead of adding another. */
export function commentMarker(environment: string): string {
  return `<!-- cdk-diff:${environment} -->`;
}

/** Markdown for the pull request: a one-line verdict, then the diff (truncated when too long). */
export function renderDiffComment(rawDiff: string, environment: string, sha: string): string {
  const diff = rawDiff.replace(ANSI, '').trimEnd();
  const summary = summarizeDiff(diff);
  const verdict =
    summary.stacks === 0
      ? 'no stacks were compared'
      : `${summary.changed} of ${summary.stacks} stacks change`;
  const body =
    diff.length > MAX_DIFF_CHARS
      ? `${diff.slice(0, MAX_DIFF_CHARS)}\n… truncated (${diff.length - MAX_DIFF_CHARS} more characters; see the job log)`
      : diff;
  // A fence longer than any backtick run inside the diff keeps the block closed.
  const longestRun = Math.max(2, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  return [
    commentMarker(environment),
    `### cdk diff against \`${environment}\` at ${sha.slice(0, 12)}`,
    '',
    `${verdict}${summary.securityChanges ? ' — **includes IAM or security group changes: review them**' : ''}.`,
    '',
    '<details><summary>Full diff</summary>',
    '',
    `${fence}diff`,
    body,
    fence,
    '',
    '</details>',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, environment, sha] = process.argv.slice(2);
  if (!file || !environment || !sha) {
    console.error('usage: diff-comment.ts <cdk-diff.txt> <environment> <git-sha>');
    process.exit(1);
  }
  console.log(renderDiffComment(readFileSync(file, 'utf8'), environment, sha));
}
