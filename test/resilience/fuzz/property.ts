/**
 * What every fuzz surface shares: running a property with counts and heap figures, and what every
 * answer must be (no 5xx, problem+json with a stable type, no stack trace).
 */
import fc from 'fast-check';
import type { FuzzEnvironment, FuzzResponse } from './environment.js';

export interface SurfaceReport {
  readonly surface: string;
  readonly cases: number;
  /** How the cases were answered: status code (or outcome) → count. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** Heap growth over the run after a full GC, in MB; undefined when the GC is not exposed. */
  readonly heapGrowthMb: number | undefined;
  readonly elapsedMs: number;
  /** The shrunk counterexample and what was wrong with it; absent when every case held. */
  readonly failure?: string;
}

export interface Surface {
  readonly name: string;
  /** Runs `runs` cases; resolves with the report (a failed property is reported, not thrown). */
  run(env: FuzzEnvironment, runs: number): Promise<SurfaceReport>;
}

const PROBLEM_TYPE = /^urn:axon-orbit:problem:[a-z0-9-]+$/;

function heapUsed(): number | undefined {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return undefined;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Runs a property, counting outcomes and measuring the heap around it. */
export async function measure<T>(
  surface: string,
  runs: number,
  arbitrary: fc.Arbitrary<T>,
  body: (value: T, note: (outcome: string) => void) => Promise<void>,
): Promise<SurfaceReport> {
  const outcomes: Record<string, number> = {};
  const note = (outcome: string) => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  };
  const before = heapUsed();
  const started = performance.now();
  let failure: string | undefined;
  let cases = 0;
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (value) => {
        cases++;
        await body(value, note);
      }),
      { numRuns: runs, endOnFailure: true },
    );
  } catch (error) {
    const cause = (error as Error).cause;
    const why = cause instanceof Error ? cause.message : '';
    failure = `${why}\n${(error as Error).message}`.slice(0, 3_000);
  }
  const after = heapUsed();
  return {
    surface,
    cases,
    outcomes,
    heapGrowthMb: before === undefined || after === undefined ? undefined : (after - before) / 2 ** 20,
    elapsedMs: performance.now() - started,
    ...(failure === undefined ? {} : { failure }),
  };
}

export function fail(message: string, res?: FuzzResponse): never {
  throw new Error(res ? `${message}: ${res.statusCode} ${res.body.slice(0, 500)}` : message);
}

/** What every answer must be: no 5xx, JSON, and every error an RFC 9457 problem with a stable type. */
export function assertSane(res: FuzzResponse): Record<string, unknown> {
  if (res.statusCode >= 500) fail('5xx', res);
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    fail('body is not JSON', res);
  }
  if (typeof body !== 'object' || body === null) fail('body is not a JSON object', res);
  const record = body as Record<string, unknown>;
  if (res.statusCode >= 400) {
    const contentType = String(res.headers['content-type'] ?? '');
    if (!contentType.startsWith('application/problem+json')) fail('error is not problem+json', res);
    if (typeof record.type !== 'string' || !PROBLEM_TYPE.test(record.type))
      fail('problem has no stable type', res);
    if (record.status !== res.statusCode) fail('problem status differs from the HTTP status', res);
  }
  if (/\n\s+at .+:\d+:\d+/.test(res.body)) fail('a stack trace leaked', res);
  return record;
}
