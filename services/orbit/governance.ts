import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Logger } from 'pino';
import type { CallerIdentity } from '../../contracts/caller.js';
import { type DecisionRequest, type DecisionResult, parseDecisionResult } from '../../contracts/decision.js';
import { inClientSpan } from '../shared/tracing.js';

export interface Decision extends DecisionResult {
  readonly kind: 'decision';
  readonly cached: boolean;
}

/** Governance could not answer (timeout, error, nonsense): Orbit denies — it fails closed. */
export interface Unavailable {
  readonly kind: 'unavailable';
  readonly reason: string;
}

export type GovernanceOutcome = Decision | Unavailable;

export interface Governance {
  decide(intent: string, correlationId: string, caller: CallerIdentity): Promise<GovernanceOutcome>;
}

interface CacheEntry {
  readonly expires: number;
  readonly outcome: Promise<GovernanceOutcome>;
  /** The outcome as a reuse reports it (`cached: true`), made once per entry rather than per dispatch. */
  reused?: Promise<GovernanceOutcome>;
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

/**
 * Asks the governance Lambda through the real SDK `Invoke`, bounded by `timeoutMs`. Decisions (allow
 * and deny) are cached per intent for `cacheTtlMs`, and concurrent asks for the same intent share
 * one invoke. Failures are never cached and always come back as `unavailable`.
 */
export class GovernanceClient implements Governance {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly now: () => number;
  private readonly service: string;

  constructor(private readonly options: GovernanceClientOptions) {
    this.now = options.now ?? Date.now;
    this.service = options.service ?? 'orbit';
  }

  decide(intent: string, correlationId: string, caller: CallerIdentity): Promise<GovernanceOutcome> {
    // A decision holds for one caller (and tenant) and one intent: policies may tell callers apart.
    const key = `${caller.clientId}\n${caller.tenant ?? ''}\n${intent}`;
    const cached = this.cache.get(key);
    if (cached && cached.expires > this.now()) {
      cached.reused ??= cached.outcome.then((o) => (o.kind === 'decision' ? { ...o, cached: true } : o));
      return cached.reused;
    }
    const outcome = this.invoke(intent, correlationId, caller);
    if (this.options.cacheTtlMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      const entry: CacheEntry = { expires: this.now() + this.options.cacheTtlMs, outcome };
      this.cache.set(key, entry);
      outcome.then((o) => {
        if (o.kind === 'unavailable' && this.cache.get(key) === entry) this.cache.delete(key);
      });
    }
    return outcome;
  }

  private invoke(intent: string, correlationId: string, caller: CallerIdentity): Promise<GovernanceOutcome> {
    return inClientSpan(
      'governance.invoke',
      { 'rpc.system': 'aws-api', 'rpc.service': 'Lambda', 'faas.invoked_name': this.options.functionName },
      () => this.invokeOnce(intent, correlationId, caller),
    );
  }

  private async invokeOnce(
    intent: string,
    correlationId: string,
    caller: CallerIdentity,
  ): Promise<GovernanceOutcome> {
    const event: DecisionRequest = { service: this.service, caller, intent, correlationId };
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
      const decision = parseDecisionResult(payload);
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
