/**
 * The verified caller of a dispatch: who presented the OAuth2 access token Orbit verified. Orbit
 * sends it to governance beside `service`; policies name it (`callers`, `tenants`); decision logs,
 * rate limits and metrics key on `id`.
 */
export interface CallerIdentity {
  /** The caller's name in policies, limits, logs and metrics: its configured name, else its client id. */
  readonly id: string;
  /** The OAuth client id the token was issued to (Cognito: the app client id). */
  readonly clientId: string;
  /** From the configured tenant claim; absent when the token carries none. */
  readonly tenant?: string;
}

/** A caller id or tenant: what policies list and what a decision request may carry. */
export const CALLER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;

/** The same rule as JSON Schema, for the policy schema and the decision event schema. */
export const CALLER_NAME_SCHEMA = { type: 'string', pattern: CALLER_NAME_PATTERN.source } as const;
