import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { bundled } from '../../../local/bundle.js';

const CLIENT = fileURLToPath(new URL('./load-client.ts', import.meta.url));

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
  /** `Bearer <access token>` of the caller the load dispatches as. */
  readonly authorization: string;
  readonly connections: number;
  /** Stop issuing new requests after this long. */
  readonly durationMs: number;
  /** Request `n` dispatches `intents[n % intents.length]`; defaults to `reason:load`. */
  readonly intents?: readonly string[];
  /** Client-side bound on each request: anything slower counts as hung. */
  readonly requestTimeoutMs: number;
  /** Stop early when this resolves (e.g. the server is being shut down on purpose). */
  readonly until?: Promise<unknown>;
  /** Pause between requests on one connection; 0 keeps each connection busy. */
  readonly pauseMs?: number;
  /** The `performance.now()` that record times count from; defaults to the start of the run. */
  readonly t0?: number;
  /** Called when answers start carrying a different signing key id (`result.keyId`). */
  readonly onKeyId?: (keyId: string) => void;
  /** Called once, when the first request comes back (answered or failed): the load is under way. */
  readonly onUnderway?: () => void;
}

/** What the load client process is told: `LoadOptions` without the callbacks, times in epoch ms. */
export interface LoadSpec {
  readonly url: string;
  readonly authorization: string;
  readonly connections: number;
  readonly durationMs: number;
  readonly intents: readonly string[];
  readonly requestTimeoutMs: number;
  readonly pauseMs: number;
  /** `performance.timeOrigin + t0`, so both processes count from the same instant. */
  readonly t0Epoch: number;
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
 * Runs the load from a separate process (`load-client.ts`), so that the client's own work never
 * delays the governance endpoint and dynalite that this process serves. Resolves with every record.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const t0 = options.t0 ?? performance.now();
  const spec: LoadSpec = {
    url: options.url,
    authorization: options.authorization,
    connections: options.connections,
    durationMs: options.durationMs,
    intents: options.intents ?? ['reason:load'],
    requestTimeoutMs: options.requestTimeoutMs,
    pauseMs: options.pauseMs ?? 0,
    t0Epoch: performance.timeOrigin + t0,
  };
  // A bundle, not tsx: each scenario forks a client, and tsx's start costs several times node's.
  const child = fork(await bundled(CLIENT), [], {
    execArgv: [],
    serialization: 'advanced',
    stdio: 'inherit',
  });
  // The client yields the CPU to the system under test: on a small shared machine a busy client
  // would otherwise measure its own contention rather than the platform's.
  if (child.pid !== undefined) setPriority(child.pid, 10);
  return new Promise((resolve, reject) => {
    let result: LoadResult | undefined;
    child.on('message', (message: LoadMessage) => {
      if (message.type === 'underway') options.onUnderway?.();
      if (message.type === 'key') options.onKeyId?.(message.keyId);
      if (message.type === 'done') result = message.result;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`the load client exited with code ${code} before reporting`));
    });
    const stop = () => {
      if (child.connected) child.send('stop');
    };
    options.until?.then(stop, stop);
    child.send(spec);
  });
}

/** A load that is under way: its first request has come back. */
export interface RunningLoad {
  /** The run's records and accounting, once it has stopped. */
  readonly result: Promise<LoadResult>;
}

/**
 * `runLoad`, resolved once the load is under way. The client is a separate low-priority process that
 * may take seconds to start on a loaded machine, so a scenario that acts "under load" waits for this
 * rather than for a fixed time after starting it.
 */
export async function startLoad(options: LoadOptions): Promise<RunningLoad> {
  let underway: () => void = () => undefined;
  const firstBack = new Promise<void>((resolve) => {
    underway = resolve;
  });
  const result = runLoad({ ...options, onUnderway: underway });
  await Promise.race([firstBack, result]);
  return { result };
}

export type LoadMessage =
  | { type: 'underway' }
  | { type: 'key'; keyId: string }
  | { type: 'done'; result: LoadResult };

export interface LoadControl {
  stopped(): boolean;
  onKeyId(keyId: string): void;
  onUnderway(): void;
}

/**
 * A closed-loop load generator: `connections` workers, each with its own keep-alive connection,
 * send one request after another. Every request carries a unique `x-correlation-id`; the answer must
 * echo it (header, and body for dispatches), so each id is accounted for exactly once: answered,
 * lost, duplicated or mismatched.
 */
export async function generateLoad(options: LoadSpec, control: LoadControl): Promise<LoadResult> {
  const run = randomBytes(4).toString('hex');
  const agent = new Agent({ connections: options.connections, pipelining: 1, keepAliveTimeout: 10_000 });
  const records: RequestRecord[] = [];
  const answers = new Map<string, number>();
  let mismatched = 0;
  let seq = 0;
  let lastKeyId = '';
  const t0 = options.t0Epoch - performance.timeOrigin;
  // The duration counts from the first answer: on a loaded machine the first requests to cold
  // processes may take longer than a short run, which would then send one request per connection.
  let stopAt = Number.POSITIVE_INFINITY;
  const target = `${options.url}/dispatch`;

  let underway = false;
  const back = () => {
    if (underway) return;
    underway = true;
    stopAt = performance.now() + options.durationMs;
    control.onUnderway();
  };
  const one = async (): Promise<void> => {
    const n = seq++;
    const id = `load-${run}-${n.toString().padStart(7, '0')}`;
    const body = JSON.stringify({ intent: options.intents[n % options.intents.length], payload: { n } });
    const record: RequestRecord = { id, start: performance.now() - t0, end: 0, status: 0, kind: '' };
    records.push(record);
    try {
      const res = await request(target, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          'content-type': 'application/json',
          'x-correlation-id': id,
          authorization: options.authorization,
        },
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
      back();
      if (record.keyId && record.keyId !== lastKeyId) {
        lastKeyId = record.keyId;
        control.onKeyId(lastKeyId);
      }
    } catch (error) {
      record.end = performance.now() - t0;
      record.error = errorCode(error);
      record.kind = 'network-error';
      back();
    }
  };

  const worker = async (): Promise<void> => {
    while (!control.stopped() && performance.now() < stopAt) {
      await one();
      if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const elapsedMs = performance.now() - t0;
  await agent.close();

  const byStatus: Record<string, number> = {};
  for (const r of records) {
    const key = r.status === 0 ? (r.error ?? 'error') : r.status === 200 ? '200' : `${r.status} ${r.kind}`;
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

/** Our own timeout means the request hung; anything else is the network error's code. */
function errorCode(error: unknown): string {
  const name = (error as Error).name;
  if (name === 'TimeoutError' || name === 'AbortError') return HUNG;
  return (error as { code?: string }).code ?? name;
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
  // Problem types are `urn:axon-orbit:problem:<slug>`: the slug is the kind. An answer without a type
  // is not one of the platform's problems (e.g. Fastify's own 503 while the server closes).
  record.kind = typeof body.type === 'string' ? (body.type.split(/[:/]/).at(-1) ?? 'untyped') : 'untyped';
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
