import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Logger } from 'pino';
import { inClientSpan } from '../shared/tracing.js';

/** What Orbit asks governance; the shape is the shared handler contract. */
export interface GovernanceEvent {
  readonly service: string;
  readonly intent: string;
  readonly context?: Record<string, unknown>;
  readonly correlationId?: string;
}

export interface Decision {
  readonly kind: 'decision';
  readonly allowed: boolean;
  readonly reason: string;
  readonly statementId?: string;
  readonly policyRevision: number | null;
  readonly decisionId: string;
  readonly cached: boolean;
}

/** Governance could not answer (timeout, error, nonsense): Orbit denies — it fails closed. */
export interface Unavailable {
  readonly kind: 'unavailable';
  readonly reason: string;
}

export type GovernanceOutcome = Decision | Unavailable;

export interface Governance {
  decide(intent: string, correlationId: string): Promise<GovernanceOutcome>;
}

export interface GovernanceClientOptions {
  readonly lambda: LambdaClient;
  readonly functionName: string;
  readonly timeoutMs: number;
  /** How long a decision is reused for the same intent; 0 asks governance every time. */
  readonly cacheTtlMs: number;
  readonly service?: string;
  readonly logger: Logger;
  readonly now?: () => number;
}

function parseDecision(payload: unknown): Omit<Decision, 'kind' | 'cached'> | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const p = payload as Record<string, unknown>;
  if (typeof p.allowed !== 'boolean' || typeof p.reason !== 'string' || typeof p.decisionId !== 'string')
    return undefined;
  const revision = p.policyRevision;
  if (revision !== null && typeof revision !== 'number') return undefined;
  return {
    allowed: p.allowed,
    reason: p.reason,
    policyRevision: revision,
    decisionId: p.decisionId,
    ...(typeof p.statementId === 'string' ? { statementId: p.statementId } : {}),
  };
}

/**
 * Asks the governance Lambda through the real SDK `Invoke`, bounded by `timeoutMs`. Decisions (allow
 * and deny) are cached per intent for `cacheTtlMs`, and concurrent asks for the same intent share
 * one invoke. Failures are never cached and always come back as `unavailable`.
 */
export class GovernanceClient implements Governance {
  private readonly cache = new Map<string, { expires: number; outcome: Promise<GovernanceOutcome> }>();
  private readonly now: () => number;
  private readonly service: string;

  constructor(private readonly options: GovernanceClientOptions) {
    this.now = options.now ?? Date.now;
    this.service = options.service ?? 'orbit';
  }

  decide(intent: string, correlationId: string): Promise<GovernanceOutcome> {
    const cached = this.cache.get(intent);
    if (cached && cached.expires > this.now()) {
      return cached.outcome.then((o) => (o.kind === 'decision' ? { ...o, cached: true } : o));
    }
    const outcome = this.invoke(intent, correlationId);
    if (this.options.cacheTtlMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      const entry = { expires: this.now() + this.options.cacheTtlMs, outcome };
      this.cache.set(intent, entry);
      outcome.then((o) => {
        if (o.kind === 'unavailable' && this.cache.get(intent) === entry) this.cache.delete(intent);
      });
    }
    return outcome;
  }

  private invoke(intent: string, correlationId: string): Promise<GovernanceOutcome> {
    return inClientSpan(
      'governance.invoke',
      { 'rpc.system': 'aws-api', 'rpc.service': 'Lambda', 'faas.invoked_name': this.options.functionName },
      () => this.invokeOnce(intent, correlationId),
    );
  }

  private async invokeOnce(intent: string, correlationId: string): Promise<GovernanceOutcome> {
    const event: GovernanceEvent = { service: this.service, intent, correlationId };
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    try {
      const out = await this.options.lambda.send(
        new InvokeCommand({
          FunctionName: this.options.functionName,
          Payload: Buffer.from(JSON.stringify(event)),
        }),
        { abortSignal: signal },
      );
      if (out.FunctionError) {
        this.options.logger.warn({ functionError: out.FunctionError }, 'governance function failed');
        return { kind: 'unavailable', reason: 'governance function error' };
      }
      const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
      let payload: unknown;
      try {
        payload = JSON.parse(text);
      } catch {
        payload = undefined;
      }
      const decision = parseDecision(payload);
      if (!decision) return { kind: 'unavailable', reason: 'governance returned an invalid decision' };
      return { kind: 'decision', cached: false, ...decision };
    } catch (err) {
      const timedOut = signal.aborted;
      this.options.logger.warn({ err, timedOut }, 'governance invoke failed');
      return {
        kind: 'unavailable',
        reason: timedOut
          ? `governance did not answer within ${this.options.timeoutMs} ms`
          : 'governance unreachable',
      };
    }
  }
}
