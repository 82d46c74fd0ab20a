import { CHECK_STATUSES, type CheckResult, type CheckStatus } from './checks.js';

/** Why a command stopped before running its checks (exit 2). */
export interface CommandError {
  readonly kind: 'usage' | 'config' | 'credentials';
  readonly message: string;
}

/**
 * The one JSON shape every operator command prints with `--json` (doctor, verify, drill), whether
 * it ran its checks or stopped early: scripts read `exitCode`, `checks[].status` and `error`.
 *
 * ```
 * { "command": "verify", "environment": "dev" | null, "region": "eu-west-1" | null,
 *   "account": "123456789012" | null, "exitCode": 0 | 1 | 2,
 *   "summary": { "pass": n, "fail": n, "warn": n, "error": n },
 *   "checks": [{ "id", "title", "status": "pass|fail|warn|error", "detail", "fix"?, "permission"? }],
 *   "error": null | { "kind": "usage|config|credentials", "message" } }
 * ```
 */
export interface CommandReport {
  readonly command: string;
  readonly environment: string | null;
  readonly region: string | null;
  readonly account: string | null;
  readonly exitCode: number;
  readonly summary: Readonly<Record<CheckStatus, number>>;
  readonly checks: readonly CheckResult[];
  readonly error: CommandError | null;
}

export function summarize(results: readonly CheckResult[]): Record<CheckStatus, number> {
  const summary = { pass: 0, fail: 0, warn: 0, error: 0 };
  for (const r of results) summary[r.status] += 1;
  return summary;
}

const LABEL: Readonly<Record<CheckStatus, string>> = {
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARN',
  error: 'ERROR',
};

/** A table for people: one row per check, the fix under every row that did not pass. */
export function formatTable(report: CommandReport): string[] {
  if (report.error) return [`${report.command}: ${report.error.message}`];
  const idWidth = Math.max(5, ...report.checks.map((c) => c.id.length));
  const lines = [
    `${report.command} ${report.environment} (account ${report.account}, ${report.region})`,
    `${'STATUS'.padEnd(6)}  ${'CHECK'.padEnd(idWidth)}  DETAIL`,
  ];
  for (const check of report.checks) {
    lines.push(`${LABEL[check.status].padEnd(6)}  ${check.id.padEnd(idWidth)}  ${check.detail}`);
    if (check.status !== 'pass' && check.fix) lines.push(`${''.padEnd(8 + idWidth)}  fix: ${check.fix}`);
  }
  const counts = CHECK_STATUSES.map((s) => `${report.summary[s]} ${s}`).join(', ');
  lines.push(`${report.checks.length} checks: ${counts}`);
  return lines;
}

export function formatJson(report: CommandReport): string {
  return JSON.stringify(report, null, 2);
}
