import { spawn } from 'node:child_process';

/** How one bench script ended: its exit code, or the signal that killed it, and how long it ran. */
export interface ScriptOutcome {
  readonly script: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly seconds: number;
}

export interface OwnProcessOptions {
  readonly cwd: string;
  /** Put before the script on node's command line (`--import tsx` for TypeScript benches). */
  readonly nodeArgs?: readonly string[];
  /** The scripts' own output: the terminal's (the default), or dropped. */
  readonly output?: 'inherit' | 'ignore';
}

export const passed = (outcome: ScriptOutcome): boolean => outcome.code === 0;

function runScript(script: string, options: OwnProcessOptions): Promise<ScriptOutcome> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    cwd: options.cwd,
    stdio: options.output ?? 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      resolve({ script, code, signal, seconds: Number(process.hrtime.bigint() - started) / 1e9 }),
    );
  });
}

/**
 * Runs each script in a node process of its own, one after another: no bench measures a heap or
 * JIT state another left, and one that fails or crashes does not take the rest down with it.
 */
export async function runEachInOwnProcess(
  scripts: readonly string[],
  options: OwnProcessOptions,
): Promise<ScriptOutcome[]> {
  const outcomes: ScriptOutcome[] = [];
  for (const script of scripts) outcomes.push(await runScript(script, options));
  return outcomes;
}

/** One line per script, in columns: ok or FAILED, the script, its seconds, how it ended. */
export function describeOutcomes(outcomes: readonly ScriptOutcome[]): string[] {
  const width = Math.max(...outcomes.map((o) => o.script.length));
  return outcomes.map((o) => {
    const end = o.signal !== null ? `killed by ${o.signal}` : passed(o) ? 'passed' : `exit ${o.code}`;
    const seconds = o.seconds.toFixed(0).padStart(4);
    return `${passed(o) ? 'ok    ' : 'FAILED'}  ${o.script.padEnd(width)}  ${seconds} s  ${end}`;
  });
}
