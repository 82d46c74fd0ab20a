import { spawn } from 'node:child_process';

/** How one run of a bench script ended: its exit code, or the signal that killed it. */
export interface Attempt {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly seconds: number;
}

export interface ScriptOutcome {
  readonly script: string;
  readonly ok: boolean;
  /** Every run, in order: one, or two when the first crashed. */
  readonly attempts: readonly Attempt[];
}

export interface OwnProcessOptions {
  readonly cwd: string;
  /** Put before the script on node's command line (`--import tsx` for TypeScript benches). */
  readonly nodeArgs?: readonly string[];
  /** The scripts' own output: the terminal's (the default), or dropped. */
  readonly output?: 'inherit' | 'ignore';
  /** Where the runner says a crash happened and that the script runs again. */
  readonly log?: (line: string) => void;
}

/**
 * Signals by which the runtime itself fails (V8's "Fatal error", a native fault, an abort) rather
 * than the bench: node 20.20 here has died by SIGTRAP ("Fatal error … unreachable code" in V8's
 * deoptimizer) part-way through a bench that passed when run again.
 */
const CRASH_SIGNALS: ReadonlySet<string> = new Set(['SIGTRAP', 'SIGILL', 'SIGSEGV', 'SIGBUS', 'SIGABRT']);

const crashed = (attempt: Attempt): boolean =>
  attempt.signal !== null && CRASH_SIGNALS.has(attempt.signal);

function runScript(script: string, options: OwnProcessOptions): Promise<Attempt> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    cwd: options.cwd,
    stdio: options.output ?? 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      resolve({ code, signal, seconds: Number(process.hrtime.bigint() - started) / 1e9 }),
    );
  });
}

/**
 * Runs each script in a process of its own, one after another, so that no bench measures a heap or
 * JIT state another left, and one that fails does not take the rest down. A script that crashes (see
 * CRASH_SIGNALS) runs once more, and the outcome keeps both attempts; any other failure, or a
 * second crash, is the script's outcome.
 */
export async function runEachInOwnProcess(
  scripts: readonly string[],
  options: OwnProcessOptions,
): Promise<ScriptOutcome[]> {
  const log = options.log ?? console.log;
  const outcomes: ScriptOutcome[] = [];
  for (const script of scripts) {
    const first = await runScript(script, options);
    const attempts = [first];
    if (crashed(first)) {
      log(`\n${script} crashed (${first.signal}) after ${first.seconds.toFixed(0)} s; running it again`);
      attempts.push(await runScript(script, options));
    }
    const last = attempts[attempts.length - 1] as Attempt;
    outcomes.push({ script, ok: last.code === 0, attempts });
  }
  return outcomes;
}

/** One line per script, in columns: ok or FAILED, the script, its seconds, how each run of it ended. */
export function describeOutcomes(outcomes: readonly ScriptOutcome[]): string[] {
  const width = Math.max(...outcomes.map((o) => o.script.length));
  return outcomes.map(({ script, ok, attempts }) => {
    const ends = attempts.map((a) =>
      a.signal !== null ? `killed by ${a.signal}` : a.code === 0 ? 'passed' : `exit ${a.code}`,
    );
    const seconds = attempts
      .reduce((sum, a) => sum + a.seconds, 0)
      .toFixed(0)
      .padStart(4);
    return `${ok ? 'ok    ' : 'FAILED'}  ${script.padEnd(width)}  ${seconds} s  ${ends.join(', then ')}`;
  });
}
