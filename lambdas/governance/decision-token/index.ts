import { DECISION_TOKEN_TTL_S } from '../../../contracts/decision-token.js';
import { DECISION_FUNCTION_ENV as ENV } from '../../../contracts/service-env.js';
import { KmsEs256Signer, LocalEs256Signer } from './es256.js';
import { DecisionTokenIssuer } from './issuer.js';

export { derToJose, type Es256Signer, KmsEs256Signer, LocalEs256Signer } from './es256.js';
export { DecisionTokenIssuer, type DecisionTokenRequest } from './issuer.js';

/**
 * The issuer the environment configures: the KMS key `DECISION_TOKEN_KEY_ID`, or locally the key file
 * `DECISION_TOKEN_LOCAL_KEY_FILE`; lifetime `DECISION_TOKEN_TTL_S` (default 5 s, Orbit's default
 * decision-cache TTL). Without either, allows carry no token, and an Axon that enforces tokens (every
 * deployed one: its configuration requires the key) refuses them: fail closed at the callee.
 */
export function decisionTokensFromEnvironment(
  env: NodeJS.ProcessEnv,
  environment: string,
): DecisionTokenIssuer | undefined {
  const ttl = Number(env[ENV.decisionTokenTtlS] ?? DECISION_TOKEN_TTL_S);
  const keyId = env[ENV.decisionTokenKeyId]?.trim();
  if (keyId) {
    // Sign sits on the decision path: a short timeout and one retry, then the allow becomes a deny.
    const kms = { maxAttempts: 2, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 } };
    return new DecisionTokenIssuer(new KmsEs256Signer(kms, keyId), environment, ttl);
  }
  const file = env[ENV.decisionTokenLocalKeyFile]?.trim();
  if (file) return new DecisionTokenIssuer(LocalEs256Signer.fromFile(file), environment, ttl);
  return undefined;
}
