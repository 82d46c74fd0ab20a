import { describeAwsError } from './aws-errors.js';

/**
 * The outcome of one check:
 * - `pass`: proven as expected;
 * - `fail`: proven wrong (a blocker for doctor, a broken deployment for verify, a failed drill);
 * - `warn`: worth fixing, but nothing breaks now;
 * - `error`: could not be decided (missing permission, resource not found, API error).
 */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'error';

export const CHECK_STATUSES: readonly CheckStatus[] = ['pass', 'fail', 'warn', 'error'];

export interface CheckOutcome {
  readonly status: CheckStatus;
  /** What was found, with the numbers that decided it. */
  readonly detail: string;
  /** One line on how to fix it; required unless the check passed. */
  readonly fix?: string;
}

export interface CheckResult extends CheckOutcome {
  /** Stable id, e.g. `lambda-concurrency` or `drill:axon-orbit-dev-critical-orbit-error-rate`. */
  readonly id: string;
  readonly title: string;
  /** The IAM action the caller lacked, when an API call was denied. */
  readonly permission?: string;
}

export interface Check {
  readonly id: string;
  readonly title: string;
  run(): Promise<CheckOutcome>;
}

export const pass = (detail: string): CheckOutcome => ({ status: 'pass', detail });
export const fail = (detail: string, fix: string): CheckOutcome => ({ status: 'fail', detail, fix });
export const warn = (detail: string, fix: string): CheckOutcome => ({ status: 'warn', detail, fix });
export const error = (detail: string, fix: string): CheckOutcome => ({ status: 'error', detail, fix });

/** A check cannot go on; the runner reports it as an `error` with this fix. */
export class CheckAbort extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = 'CheckAbort';
  }
}

/**
 * Runs one check and turns anything it throws into an `error` result, so one denied or failing API
 * never stops the others. An AWS access denial names the missing permission.
 */
export async function runCheck(check: Check): Promise<CheckResult> {
  const base = { id: check.id, title: check.title };
  try {
    return { ...base, ...(await check.run()) };
  } catch (thrown) {
    if (thrown instanceof CheckAbort) return { ...base, ...error(thrown.message, thrown.fix) };
    const described = describeAwsError(thrown);
    return {
      ...base,
      ...error(described.detail, described.fix),
      ...(described.permission ? { permission: described.permission } : {}),
    };
  }
}

/** Runs independent checks concurrently; results keep the checks' order. */
export function runChecks(checks: readonly Check[]): Promise<CheckResult[]> {
  return Promise.all(checks.map(runCheck));
}

/** Runs checks one after another (each may change what the next one sees, e.g. alarm drills). */
export async function runChecksInOrder(checks: readonly Check[]): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) results.push(await runCheck(check));
  return results;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** 0 when nothing failed or errored (warnings allowed), 1 otherwise. */
export function exitCodeOf(results: readonly CheckResult[]): number {
  return results.some((r) => r.status === 'fail' || r.status === 'error') ? EXIT.failed : EXIT.ok;
}
