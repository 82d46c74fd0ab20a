/**
 * Decision tokens: governance signs each allow as a compact JWS (ES256, an asymmetric KMS key) shaped
 * as an OAuth Transaction Token (draft-ietf-oauth-transaction-tokens), Orbit forwards it with the
 * signed call, and Axon serves only an intent the token allows. Any JOSE library can verify one with
 * the public key.
 */

/** The request header Orbit forwards the token in (the draft's `Txn-Token`). */
export const DECISION_TOKEN_HEADER = 'txn-token';
/**
 * The request header naming the verified caller Orbit dispatches for (its client id). Orbit sends it
 * with every token, inside the SigV4 signature; Axon refuses a token without it and one whose `sub`
 * differs, so a token obtained for one caller cannot serve another.
 */
export const DECISION_CALLER_HEADER = 'x-caller-id';

/** JWS protected header `typ`, as the draft requires. */
export const DECISION_TOKEN_TYPE = 'txn_token';
export const DECISION_TOKEN_ALGORITHM = 'ES256';
/** Larger tokens are refused unparsed: a real one is ~600 bytes. */
export const DECISION_TOKEN_MAX_BYTES = 4096;
/** Clock difference tolerated on `iat`/`exp` between governance and Axon. */
export const DECISION_TOKEN_CLOCK_TOLERANCE_S = 5;

/** The transaction context (`tctx`): what governance decided, so Axon and its logs can quote it. */
export interface DecisionTokenContext {
  readonly decisionId: string;
  readonly policyRevision: number | null;
  /** The workload that asked governance (`service` of the decision event). */
  readonly service: string;
  readonly statementId?: string;
  readonly tenant?: string;
}

/** The token's claims. */
export interface DecisionTokenClaims {
  /** Governance of this environment: `urn:axon-orbit:<env>:governance`. */
  readonly iss: string;
  /** The trust domain: `urn:axon-orbit:<env>`. */
  readonly aud: string;
  readonly iat: number;
  /** `iat` + the token TTL, which is at most Orbit's decision-cache TTL. */
  readonly exp: number;
  /** The correlation id of the dispatch that obtained the decision. */
  readonly txn: string;
  /** The caller the decision was made for: its client id, or the asking service without one. */
  readonly sub: string;
  /** The one intent allowed. */
  readonly scope: string;
  readonly tctx: DecisionTokenContext;
}

export function decisionTokenIssuer(environment: string): string {
  return `urn:axon-orbit:${environment}:governance`;
}

export function decisionTokenAudience(environment: string): string {
  return `urn:axon-orbit:${environment}`;
}

/** Default token lifetime: Orbit's default decision-cache TTL (GOVERNANCE_CACHE_TTL_MS, 5 s). */
export const DECISION_TOKEN_TTL_S = 5;
