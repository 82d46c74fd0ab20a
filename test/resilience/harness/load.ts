import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';

/** One request of a load run, as the client saw it. */
export interface RequestRecord {
  readonly id: string;
  /** Milliseconds since the run started. */
  readonly start: number;
  end: number;
  /** HTTP status, or 0 when no response came. */
  status: number;
  /** The problem `type` slug or the dispatch status, enough to tell answers apart. */
  kind: string;
  /** Network error code when no response came (ECONNREFUSED, UND_ERR_SOCKET, timeout, ...). */
  error?: string;
  /** Orbit's `decision.policyRevision` (200) or the problem's `policyRevision` (403). */
  policyRevision?: number | null;
  /** The signing key Axon verified (`result.keyId`), on 200. */
  keyId?: string;
}

export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  /** Stop issuing new requests after this long. */
  readonly durationMs: number;
  /** The body of request `n`; defaults to a `reason:load` dispatch. */
  readonly body?: (n: number) => unknown;
  /** Client-side bound on each request: anything slower counts as hung. */
  readonly requestTimeoutMs: number;
  /** Stop early when this resolves (e.g. the server is being shut down on purpose). */
  readonly until?: Promise<unknown>;
  /** Pause between requests on one connection; 0 keeps each connection busy. */
  readonly pauseMs?: number;
  /** The `performance.now()` that record times count from; defaults to the start of the run. */
  readonly t0?: number;
  /** Called with each request once it is answered or failed. */
  readonly onRecord?: (record: RequestRecord) => void;
}

export interface Accounting {
  readonly sent: number;
  readonly answered: number;
  /** Sent, but no response ever came (network error or hung past the client timeout). */
  readonly lost: number;
  /** Ids answered more than once, or answers carrying an id that was never sent. */
  readonly duplicated: number;
  /** Answers whose correlation id (header and body) was not the one the request carried. */
  readonly mismatched: number;
  readonly hung: number;
  readonly byStatus: Readonly<Record<string, number>>;
}

export interface LoadResult {
  readonly records: readonly RequestRecord[];
  readonly accounting: Accounting;
  readonly elapsedMs: number;
}

const HUNG = 'client-timeout';

/**
 * A closed-loop load generator: `connections` workers, each with its own keep-alive connection,
 * send one request after another. Every request carries a unique `x-correlation-id`; the answer must
 * echo it (header, and body for dispatches), so each id is accounted for exactly once: answered,
 * lost, duplicated or mismatched.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const run = randomBytes(4).toString('hex');
  const agent = new Agent({ connections: options.connections, pipelining: 1, keepAliveTimeout: 10_000 });
  const records: RequestRecord[] = [];
  const answers = new Map<string, number>();
  let mismatched = 0;
  let seq = 0;
  let stopped = false;
  const t0 = options.t0 ?? performance.now();
  const stopAt = performance.now() + options.durationMs;
  options.until?.then(
    () => {
      stopped = true;
    },
    () => {
      stopped = true;
    },
  );
  const target = `${options.url}/dispatch`;

  const one = async (): Promise<void> => {
    const n = seq++;
    const id = `load-${run}-${n.toString().padStart(7, '0')}`;
    const body = JSON.stringify(options.body?.(n) ?? { intent: 'reason:load', payload: { n } });
    const record: RequestRecord = { id, start: performance.now() - t0, end: 0, status: 0, kind: '' };
    records.push(record);
    try {
      const res = await request(target, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'x-correlation-id': id },
        body,
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      });
      const text = await res.body.text();
      record.end = performance.now() - t0;
      record.status = res.statusCode;
      const echoed = res.headers['x-correlation-id'];
      // A refusal written before routing (a server that is closing) carries no id: it is still an answer.
      if (typeof echoed === 'string') {
        if (echoed !== id) mismatched++;
        answers.set(echoed, (answers.get(echoed) ?? 0) + 1);
      }
      describe(record, text, id, () => mismatched++);
      options.onRecord?.(record);
    } catch (error) {
      record.end = performance.now() - t0;
      const name = (error as Error).name;
      record.error =
        name === 'TimeoutError' || name === 'AbortError' ? HUNG : ((error as { code?: string }).code ?? name);
      record.kind = 'network-error';
      options.onRecord?.(record);
    }
  };

  const worker = async (): Promise<void> => {
    while (!stopped && performance.now() < stopAt) {
      await one();
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const elapsedMs = performance.now() - t0;
  await agent.close();

  const byStatus: Record<string, number> = {};
  for (const r of records) {
    const key = r.status === 0 ? (r.error ?? 'error') : String(r.status);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  const answered = records.filter((r) => r.status !== 0).length;
  const sentIds = new Set(records.map((r) => r.id));
  let duplicated = 0;
  for (const [answeredId, count] of answers) duplicated += sentIds.has(answeredId) ? count - 1 : count;
  return {
    records,
    elapsedMs,
    accounting: {
      sent: records.length,
      answered,
      lost: records.length - answered,
      duplicated,
      mismatched,
      hung: records.filter((r) => r.error === HUNG).length,
      byStatus,
    },
  };
}

/** Reads what the answer says (outcome kind, policy revision, key id) into the record. */
function describe(record: RequestRecord, text: string, id: string, onMismatch: () => void): void {
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    record.kind = 'unparseable';
    return;
  }
  if (record.status === 200) {
    record.kind = String(body.status);
    if (body.correlationId !== id) onMismatch();
    const decision = body.decision as { policyRevision?: number | null } | undefined;
    record.policyRevision = decision?.policyRevision ?? null;
    const result = body.result as { keyId?: string; correlationId?: string } | undefined;
    if (result?.correlationId !== id) onMismatch();
    if (result?.keyId) record.keyId = result.keyId;
    return;
  }
  // Problem types are `urn:axon-orbit:problem:<slug>`: the slug is the kind.
  record.kind =
    String(body.type ?? 'unknown')
      .split(/[:/]/)
      .at(-1) ?? 'unknown';
  if (body.correlationId !== undefined && body.correlationId !== id) onMismatch();
  if (typeof body.policyRevision === 'number') record.policyRevision = body.policyRevision;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export function latencies(records: readonly RequestRecord[]): LatencySummary {
  const sorted = records.map((r) => r.end - r.start).sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

export const ms = (value: number): string => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(1)} ms`);
