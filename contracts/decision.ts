import { CALLER_NAME_SCHEMA, type CallerIdentity } from './caller.js';
import { INTENT_MAX_LENGTH } from './intent.js';

/**
 * The governance decision contract: what Orbit (or any caller) sends the decision Lambda, and what
 * it answers. The Lambda validates the request against `decisionRequestSchema`; Orbit reads the
 * answer with `parseDecisionResult` and treats anything else as "governance unavailable".
 */
export interface DecisionRequest {
  /** The asking service, e.g. `orbit`; a policy principal. */
  readonly service: string;
  /** The verified caller on whose behalf `service` asks; policies match it with `callers`/`tenants`. */
  readonly caller?: CallerIdentity;
  /** What is asked for (see contracts/intent.ts). */
  readonly intent: string;
  /** Attributes conditions test; `context.resource` names the resource statements' `resources` match. */
  readonly context?: Readonly<Record<string, unknown>>;
  readonly correlationId?: string;
}

export interface DecisionResult {
  readonly allowed: boolean;
  /** Human-readable: "allowed by statement X", "no statement allows …", "policy store unavailable". */
  readonly reason: string;
  /** The deciding statement; absent when nothing matched (default deny) or no policy was consulted. */
  readonly statementId?: string;
  /** The policy revision that decided; null when none was consulted. */
  readonly policyRevision: number | null;
  /** Unique per decision; the decision log line carries it, so a caller can quote it. */
  readonly decisionId: string;
  /** On an allow: the signed decision token (contracts/decision-token.ts) Orbit forwards to Axon. */
  readonly token?: string;
}

/** At most this many attributes in `context`: conditions test a handful, never a document. */
export const MAX_CONTEXT_ATTRIBUTES = 64;

/** JSON Schema (2020-12, ajv-compatible) of a decision request. Names are checked by the engine's grammar. */
export const decisionRequestSchema = {
  type: 'object',
  required: ['service', 'intent'],
  properties: {
    service: { type: 'string', maxLength: 63 },
    caller: {
      type: 'object',
      required: ['clientId'],
      additionalProperties: false,
      properties: { clientId: CALLER_NAME_SCHEMA, tenant: CALLER_NAME_SCHEMA },
    },
    intent: { type: 'string', maxLength: INTENT_MAX_LENGTH },
    context: { type: 'object', maxProperties: MAX_CONTEXT_ATTRIBUTES },
    // Any printable token: decision logs recorded under this rule must stay replayable. Orbit itself
    // only sends ids that pass CORRELATION_ID_PATTERN.
    correlationId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
  },
} as const;

/** Reasons the decision Lambda gives when no policy decided. */
export const DENY_REASONS = {
  storeUnavailable: 'policy store unavailable',
  internalError: 'internal error',
  tokenUnavailable: 'decision token could not be signed',
} as const;

/** Why a request was denied, as the `Reason` dimension of the `DenialsByReason` metric: a small, fixed set. */
export const DENIAL_KINDS = [
  'explicit-deny',
  'no-match',
  'invalid-request',
  'store-unavailable',
  'no-policy',
  'invalid-policy',
  'token-unavailable',
  'internal-error',
] as const;
export type DenialKind = (typeof DENIAL_KINDS)[number];

/** A decision result as the Lambda returns it, or undefined when the payload is not one. */
export function parseDecisionResult(payload: unknown): DecisionResult | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  if (typeof p.allowed !== 'boolean' || typeof p.reason !== 'string' || typeof p.decisionId !== 'string')
    return undefined;
  const revision = p.policyRevision;
  if (revision !== null && (typeof revision !== 'number' || !Number.isInteger(revision))) return undefined;
  return {
    allowed: p.allowed,
    reason: p.reason,
    policyRevision: revision,
    decisionId: p.decisionId,
    ...(typeof p.statementId === 'string' ? { statementId: p.statementId } : {}),
    ...(typeof p.token === 'string' ? { token: p.token } : {}),
  };
}
