import { randomUUID } from 'node:crypto';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  fullJitterGenerator,
  handleWhen,
  type RetryPolicy,
  retry,
} from 'cockatiel';
import type { Logger } from 'pino';
import { type Dispatcher, Pool } from 'undici';
import { CORRELATION_ID_HEADER } from '../../contracts/correlation.js';
import { DECISION_CALLER_HEADER, DECISION_TOKEN_HEADER } from '../../contracts/decision-token.js';
import { METRICS } from '../../contracts/metrics.js';
import type { EmfMetrics } from '../shared/metrics.js';
import { type SigningKey, signRequest } from '../shared/sigv4.js';
import { inClientSpan } from '../shared/tracing.js';

/** Axon answered 5xx/429: worth another attempt, and a failure for the breaker. */
class RetryableStatusError extends Error {
  constructor(readonly status: number) {
    super(`axon answered ${status}`);
  }
}

/** The attempt got no complete answer within the attempt timeout: worth another attempt. */
class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`axon did not answer within ${timeoutMs} ms`);
  }
}

/** Errors that mean "this attempt failed, the next may not": connection trouble and timeouts. */
const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export function isRetryable(err: unknown): boolean {
  if (err instanceof RetryableStatusError || err instanceof AttemptTimeoutError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
}

export type AxonOutcome =
  | { readonly kind: 'answered'; readonly status: number; readonly body: unknown; readonly attempts: number }
  | {
      readonly kind: 'unavailable';
      readonly reason: string;
      readonly breakerOpen: boolean;
      readonly retryAfterSeconds: number;
      readonly attempts: number;
    };

/** What governance's allow lets Orbit show Axon: the decision token and the caller it was issued for. */
export interface DecisionProof {
  readonly token?: string;
  readonly caller?: string;
}

export interface SigningKeys {
  current(): SigningKey | undefined;
}

export interface AxonClientOptions {
  readonly baseUrl: URL;
  readonly region: string;
  readonly keys: SigningKeys;
  readonly attemptTimeoutMs: number;
  /** Retries after the first attempt, only for retryable failures. */
  readonly retries: number;
  readonly breakerThreshold: number;
  readonly halfOpenAfterMs: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  readonly connections?: number;
  readonly logger: Logger;
  readonly metrics?: EmfMetrics;
  readonly now?: () => number;
  /**
   * Whether a collector records spans: then each call runs in an `axon.reason` client span and
   * carries the trace header. Without one the span would record nothing, and only cost the call.
   */
  readonly traced?: boolean;
}

/**
 * Orbit's client for Axon `/reason`. Each attempt is signed afresh (new date and nonce, so Axon's
 * replay cache never sees a retry as a replay) and bounded by a per-attempt timeout (see `post`);
 * retryable
 * failures are retried with full-jitter exponential backoff (`/reason` has no side effects, so a
 * retry is safe); consecutive failures open the breaker, which then fails fast until a half-open
 * probe succeeds.
 */
export class AxonClient {
  private readonly pool: Pool;
  private readonly retry: RetryPolicy;
  private readonly breaker;
  private openedAt = 0;
  private readonly now: () => number;
  private readonly reasonUrl: URL;

  constructor(private readonly options: AxonClientOptions) {
    this.now = options.now ?? Date.now;
    this.reasonUrl = new URL('/reason', options.baseUrl);
    this.pool = new Pool(options.baseUrl.origin, {
      connections: options.connections ?? 128,
      keepAliveTimeout: 30_000,
      pipelining: 1,
    });
    this.breaker = circuitBreaker(handleWhen(isRetryable), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    });
    this.breaker.onBreak(() => {
      this.openedAt = this.now();
      options.metrics?.count(METRICS.orbit.breakerOpened.name);
      options.logger.warn({ halfOpenAfterMs: options.halfOpenAfterMs }, 'axon circuit opened');
    });
    this.breaker.onHalfOpen(() => options.logger.info('axon circuit half-open: probing'));
    this.breaker.onReset(() => options.logger.info('axon circuit closed'));
    this.retry = retry(handleWhen(isRetryable), {
      maxAttempts: options.retries,
      backoff: new ExponentialBackoff({
        generator: fullJitterGenerator,
        initialDelay: options.backoffInitialMs ?? 50,
        maxDelay: options.backoffMaxMs ?? 1_000,
      }),
    });
    this.retry.onRetry((event) => {
      options.metrics?.count(METRICS.orbit.axonRetries.name);
      options.logger.debug({ delay: event.delay }, 'retrying axon');
    });
  }

  get breakerState(): 'closed' | 'open' | 'half-open' | 'isolated' {
    switch (this.breaker.state) {
      case CircuitState.Open:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half-open';
      case CircuitState.Isolated:
        return 'isolated';
      default:
        return 'closed';
    }
  }

  async reason(body: unknown, correlationId: string, proof: DecisionProof = {}): Promise<AxonOutcome> {
    const json = JSON.stringify(body);
    let attempts = 0;
    // Retries outside the breaker: each attempt counts for it, and an open breaker ends the retries.
    const call = (traceHeaders?: Record<string, string>) =>
      this.retry.execute(() =>
        this.breaker.execute(() => {
          attempts++;
          return this.attempt(json, correlationId, proof, traceHeaders);
        }),
      );
    try {
      const answer = await (this.options.traced
        ? inClientSpan('axon.reason', { 'server.address': this.reasonUrl.host }, call)
        : call());
      return { kind: 'answered', ...answer, attempts };
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        const remaining = this.openedAt + this.options.halfOpenAfterMs - this.now();
        return {
          kind: 'unavailable',
          reason: 'axon circuit is open',
          breakerOpen: true,
          retryAfterSeconds: Math.max(1, Math.ceil(remaining / 1000)),
          attempts,
        };
      }
      this.options.logger.warn({ err, attempts }, 'axon call failed');
      const reason =
        err instanceof AttemptTimeoutError || err instanceof RetryableStatusError
          ? err.message
          : 'axon unreachable';
      return { kind: 'unavailable', reason, breakerOpen: false, retryAfterSeconds: 1, attempts };
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** One signed attempt; not async: the answer is `post`'s own promise, without a wrapper's tick. */
  private attempt(
    json: string,
    correlationId: string,
    proof: DecisionProof,
    traceHeaders: Record<string, string> | undefined,
  ): Promise<Answer> {
    const key = this.options.keys.current();
    if (!key) return Promise.reject(new Error('no signing key loaded'));
    const url = this.reasonUrl;
    const toSign: Record<string, string> = {
      'content-type': 'application/json',
      [CORRELATION_ID_HEADER]: correlationId,
      'x-axon-nonce': randomUUID(),
    };
    // Signed with the rest: the token travels with this request only.
    if (proof.token) toSign[DECISION_TOKEN_HEADER] = proof.token;
    if (proof.caller) toSign[DECISION_CALLER_HEADER] = proof.caller;
    const headers = signRequest(
      { method: 'POST', url, headers: toSign, body: json },
      key,
      this.options.region,
    );
    // The trace header travels unsigned: the collector may rewrite it, and it proves nothing.
    if (traceHeaders) Object.assign(headers, traceHeaders);
    return post(this.pool, url.pathname, headers, json, this.options.attemptTimeoutMs);
  }
}

/** Axon's answer: its status and its body parsed (undefined when empty or not JSON). */
interface Answer {
  readonly status: number;
  readonly body: unknown;
}

function parseAnswer(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * POSTs `body` through undici's dispatcher and collects the answer's bytes as they come: Axon's
 * answer is small JSON, so no response stream or async resource per call (`pool.request`). A
 * retryable status rejects with RetryableStatusError; any other answer resolves parsed. One timer
 * bounds the attempt, connection wait, headers and body alike, and aborts it when it fires (in
 * place of cockatiel's timeout policy, whose AbortController per attempt, aborted on return, cost
 * ~35 µs of CPU and garbage per dispatch in the services bench profile).
 */
function post(
  pool: Pool,
  path: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let timedOut: AttemptTimeoutError | undefined;
    let status = 0;
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      timedOut = new AttemptTimeoutError(timeoutMs);
      reject(timedOut);
      controller?.abort(timedOut);
    }, timeoutMs);
    pool.dispatch(
      { path, method: 'POST', headers, body },
      {
        onRequestStart(started) {
          controller = started;
          // Still queued when the timer fired: never send it.
          if (timedOut) started.abort(timedOut);
        },
        onResponseStart(_c, statusCode) {
          // 1xx answers are interim: the final status follows.
          if (statusCode >= 200) status = statusCode;
        },
        onResponseData(_c, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          clearTimeout(timer);
          if (RETRYABLE_STATUS.has(status)) reject(new RetryableStatusError(status));
          else resolve({ status, body: parseAnswer(Buffer.concat(chunks).toString('utf8')) });
        },
        onResponseError(_c, error) {
          clearTimeout(timer);
          reject(error);
        },
      },
    );
  });
}
