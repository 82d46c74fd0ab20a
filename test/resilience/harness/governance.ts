import type { PolicyStore } from '../../../lambdas/governance/store/index.js';
import { silenceLambdaTelemetry } from './quiet.js';

export const TABLE = 'resilience-policies';

export type DecisionHandler = (event: unknown, context: unknown) => Promise<unknown>;

/** Loads the real decision handler; its module reads the Lambda environment once, at import. */
export async function loadDecisionHandler(store: PolicyStore, ttlMs: number): Promise<DecisionHandler> {
  silenceLambdaTelemetry();
  Object.assign(process.env, {
    POLICY_TABLE_NAME: TABLE,
    ENVIRONMENT: 'local',
    AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
  });
  const { createDecisionHandler } = await import('../../../lambdas/governance/handler.js');
  return createDecisionHandler({
    store,
    policySet: 'default',
    environment: 'local',
    cacheTtlMs: ttlMs,
  }) as unknown as DecisionHandler;
}
