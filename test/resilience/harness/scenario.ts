/** A behaviour the scenario asserts, with the figure that shows it. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  /**
   * A bound relative to a configured time (a timeout, a TTL). `npm run resilience` enforces it; the
   * jest variants report it without failing on it, since a shared CI core may stall for longer.
   */
  readonly timing?: boolean;
}

export interface ScenarioResult {
  readonly name: string;
  /** The measured figures, in reading order (name → formatted value). */
  readonly figures: ReadonlyArray<readonly [string, string]>;
  readonly checks: readonly Check[];
  readonly elapsedMs: number;
}

/** `full` is what `npm run resilience` runs; `short` is the variant jest runs inside `npm test`. */
export type Size = 'full' | 'short';

export interface Scenario {
  readonly name: string;
  readonly description: string;
  run(size: Size): Promise<Omit<ScenarioResult, 'name' | 'elapsedMs'>>;
}

export function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

/** A check whose bound is a configured time: see `Check.timing`. */
export function timingCheck(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail, timing: true };
}

export function passed(result: Pick<ScenarioResult, 'checks'>): boolean {
  return result.checks.length > 0 && result.checks.every((c) => c.ok);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true or `timeoutMs` passes; resolves with whether it did. */
export async function waitFor(probe: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await sleep(everyMs);
  }
  return probe();
}

/** The result table: one row per scenario with its figures, one indented row per failed check. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) => [
    r.name,
    passed(r) ? 'PASS' : 'FAIL',
    `${(r.elapsedMs / 1000).toFixed(1)} s`,
    r.figures.map(([k, v]) => `${k} ${v}`).join('; '),
  ]);
  const header = ['scenario', 'result', 'time', 'figures'];
  const widths = [0, 1, 2].map((i) =>
    Math.max(header[i]?.length ?? 0, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i < 3 ? c.padEnd(widths[i] ?? 0) : c)).join(' | ')} |`;
  const out = [line(header), `|${[...widths, 7].map((w) => '-'.repeat(w + 2)).join('|')}|`];
  for (const row of rows) out.push(line(row));
  const failures = results.flatMap((r) =>
    r.checks.filter((c) => !c.ok).map((c) => `  ✗ ${r.name}: ${c.name} (${c.detail})`),
  );
  return [...out, ...(failures.length > 0 ? ['', 'failed checks:', ...failures] : [])].join('\n');
}
