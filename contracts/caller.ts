/**
 * The verified caller of a dispatch: the OAuth client whose access token Orbit verified, named as
 * configuration names it. Orbit sends it to governance beside `service`; policies name it
 * (`callers`, `tenants`); decision logs, rate limits and metrics key on `clientId`.
 */
export interface CallerIdentity {
  /**
   * The caller's configured name: the token's OAuth client id translated through Orbit's
   * `CALLER_NAMES` (contracts/caller-names.ts), or the client id itself where no map is configured.
   * Kept under this name because decision requests and decision logs carry it so.
   */
  readonly clientId: string;
  /** From the configured tenant claim; absent when the token carries none. */
  readonly tenant?: string;
}

/** A client id or tenant: what policies list and what a decision request may carry. */
export const CALLER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;

/** The same rule as JSON Schema, for the decision event schema. */
export const CALLER_NAME_SCHEMA = { type: 'string', pattern: CALLER_NAME_PATTERN.source } as const;
