/**
 * Every way an admin operation can fail on the caller's side, with its HTTP status and the CLI's
 * exit code, so the handler and the CLI report the same failure the same way.
 */
export const ADMIN_ERRORS = {
  'bad-request': { status: 400, exitCode: 2, title: 'Bad request' },
  'invalid-policy': { status: 422, exitCode: 1, title: 'Policy document is invalid' },
  'tests-failed': { status: 422, exitCode: 1, title: 'Policy tests failed' },
  'impact-exceeded': { status: 422, exitCode: 1, title: 'Impact exceeds the threshold' },
  forbidden: { status: 403, exitCode: 4, title: 'Forbidden' },
  'not-found': { status: 404, exitCode: 5, title: 'Not found' },
  conflict: { status: 409, exitCode: 3, title: 'Revision conflict' },
  unavailable: { status: 503, exitCode: 6, title: 'Policy store unavailable' },
} as const;

export type AdminErrorCode = keyof typeof ADMIN_ERRORS;

export class AdminError extends Error {
  readonly status: number;
  readonly exitCode: number;
  readonly title: string;

  constructor(
    readonly code: AdminErrorCode,
    message: string,
    /** Machine-readable specifics: `errors` (a list), `headRevision`, test `results`, `impact`. */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'AdminError';
    const known = ADMIN_ERRORS[code];
    this.status = known.status;
    this.exitCode = known.exitCode;
    this.title = known.title;
  }

  /** RFC 9457 problem details, as the handler returns them. */
  toProblem(): Record<string, unknown> {
    return {
      type: `urn:axon-orbit:governance-admin:${this.code}`,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...this.details,
    };
  }
}
