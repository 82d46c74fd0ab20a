/**
 * The verified caller of a dispatch: the OAuth client whose access token Orbit verified. Orbit sends
 * it to governance beside `service`; policies name it (`callers`, `tenants`); decision logs, rate
 * limits and metrics key on `clientId`.
 */
export interface CallerIdentity {
  /** The OAuth client id the token was issued to (Cognito: the app client id). */
  readonly clientId: string;
  /** From the configured tenant claim; absent when the token carries none. */
  readonly tenant?: string;
}

/** A client id or tenant: what policies list and what a decision request may carry. */
export const CALLER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;

/** The same rule as JSON Schema, for the decision event schema. */
export const CALLER_NAME_SCHEMA = { type: 'string', pattern: CALLER_NAME_PATTERN.source } as const;
