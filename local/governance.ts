import { randomUUID } from 'node:crypto';
import { DECISION_FUNCTION_ENV } from '../contracts/service-env.js';
import type { PolicyStore } from '../lambdas/governance/store/index.js';
import type { LambdaHandler } from './invoke-endpoint.js';

export interface DecisionFunctionOptions {
  readonly store: PolicyStore;
  readonly policySet: string;
  /** What the decision function decides as (`local` on this machine). */
  readonly environment: 'local';
  /** The function's compiled-policy cache (the deployed `POLICY_CACHE_TTL_MS`). */
  readonly cacheTtlMs: number;
  /** Powertools log level (`SILENT` drops its logs and EMF metrics, for tests and benches). */
  readonly powertoolsLogLevel: string;
  /** The Lambda function name the invoke endpoint serves it under (its context's `functionName`). */
  readonly functionName: string;
  /** The local decision-token key file (local/decision-token-key.ts): allows carry a signed token. */
  readonly decisionTokenKeyFile?: string;
}

/**
 * The real governance decision handler, built from its factory with a store on the local DynamoDB,
 * called with a Lambda-like context. Everything the handler needs is passed to its factory; only
 * Powertools' own switches (log level, metrics, tracing) come from the process environment, as the
 * Lambda runtime sets them, and they must be in place before its module loads.
 */
export async function loadDecisionFunction(options: DecisionFunctionOptions): Promise<LambdaHandler> {
  const silent = options.powertoolsLogLevel === 'SILENT';
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: options.powertoolsLogLevel,
    POWERTOOLS_METRICS_DISABLED: String(silent),
    POWERTOOLS_TRACE_ENABLED: 'false',
  });
  const { createDecisionHandler } = await import('../lambdas/governance/decision-handler.js');
  const { decisionTokensFromEnvironment } = await import('../lambdas/governance/decision-token/index.js');
  const tokens = options.decisionTokenKeyFile
    ? decisionTokensFromEnvironment(
        { [DECISION_FUNCTION_ENV.decisionTokenLocalKeyFile]: options.decisionTokenKeyFile },
        options.environment,
      )
    : undefined;
  const decide = createDecisionHandler({
    store: options.store,
    policySet: options.policySet,
    environment: options.environment,
    cacheTtlMs: options.cacheTtlMs,
    ...(tokens ? { tokens } : {}),
  }) as unknown as (event: unknown, context: unknown) => Promise<unknown>;
  return (event) => decide(event, { functionName: options.functionName, awsRequestId: randomUUID() });
}
