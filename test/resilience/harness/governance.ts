import type { PolicyStore } from '../../../lambdas/governance/store/index.js';
import { loadDecisionFunction } from '../../../local/governance.js';
import { silenceLambdaTelemetry } from './quiet.js';

export const TABLE = 'resilience-policies';

export type DecisionHandler = (event: unknown, context?: unknown) => Promise<unknown>;

/** The real decision handler over `store`, loaded as the local platform loads it, silent. */
export async function loadDecisionHandler(store: PolicyStore, ttlMs: number): Promise<DecisionHandler> {
  silenceLambdaTelemetry();
  return loadDecisionFunction({
    store,
    policySet: 'default',
    environment: 'local',
    cacheTtlMs: ttlMs,
    powertoolsLogLevel: 'SILENT',
    functionName: 'governance',
  });
}
