import {
  DECISION_TOKEN_ALGORITHM,
  DECISION_TOKEN_TYPE,
  type DecisionTokenClaims,
  decisionTokenAudience,
  decisionTokenIssuer,
} from '../../../contracts/decision-token.js';
import type { Es256Signer } from './es256.js';

export interface DecisionTokenRequest {
  readonly subject: string;
  readonly intent: string;
  readonly correlationId: string;
  readonly service: string;
  readonly decisionId: string;
  readonly policyRevision: number | null;
  readonly statementId?: string;
  readonly tenant?: string;
  /** Epoch ms of the decision. */
  readonly time: number;
}

const base64url = (data: Uint8Array | string): string => Buffer.from(data).toString('base64url');

/**
 * Issues a decision token for one allow: the compact JWS `header.payload.signature` built here and
 * signed by the `Es256Signer` (KMS in AWS), since KMS signs bytes, not JWTs.
 */
export class DecisionTokenIssuer {
  private readonly header: string;

  constructor(
    private readonly signer: Es256Signer,
    private readonly environment: string,
    /** Token lifetime: at most Orbit's decision-cache TTL, so a cached decision never outlives its proof. */
    private readonly ttlSeconds: number,
  ) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 300) {
      throw new Error(`decision token TTL must be an integer from 1 to 300 s, got ${ttlSeconds}`);
    }
    this.header = base64url(
      JSON.stringify({ alg: DECISION_TOKEN_ALGORITHM, typ: DECISION_TOKEN_TYPE, kid: signer.keyId }),
    );
  }

  async issue(request: DecisionTokenRequest): Promise<string> {
    const iat = Math.floor(request.time / 1000);
    const claims: DecisionTokenClaims = {
      iss: decisionTokenIssuer(this.environment),
      aud: decisionTokenAudience(this.environment),
      iat,
      exp: iat + this.ttlSeconds,
      txn: request.correlationId,
      sub: request.subject,
      scope: request.intent,
      tctx: {
        decisionId: request.decisionId,
        policyRevision: request.policyRevision,
        service: request.service,
        ...(request.statementId === undefined ? {} : { statementId: request.statementId }),
        ...(request.tenant === undefined ? {} : { tenant: request.tenant }),
      },
    };
    const signingInput = `${this.header}.${base64url(JSON.stringify(claims))}`;
    const signature = await this.signer.sign(Buffer.from(signingInput));
    return `${signingInput}.${base64url(signature)}`;
  }
}
