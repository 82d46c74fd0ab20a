import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IPolicyValidationContext } from 'aws-cdk-lib';
import { ProjectGuardValidator } from '../lib/guard/validator.js';
import { isEntryScript } from './entry.js';
import { type Figure, printTable } from './report.js';

const RUNS = 3;

interface SynthTime {
  /** Wall time, ms. */
  readonly wall: number;
  /** CPU time (user + system) of the synth and every process it started, ms: robust to a busy machine. */
  readonly cpu: number;
}

/**
 * Median wall and CPU time of `npm run synth`'s script for an app (the platform when `app` is
 * undefined), each run into a fresh output directory, so both apps are synthesized exactly the same way.
 */
function timeSynth(app: string | undefined, inspect?: (out: string) => void): SynthTime {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = mkdtempSync(join(tmpdir(), 'bench-synth-'));
    const start = process.hrtime.bigint();
    // bash's `times` prints the user and system time of the shell's children: the synth and all it ran.
    const result = spawnSync(
      'bash',
      ['-c', 'bash scripts/synth.sh "$@" >&2 && times', 'synth', ...(app ? ['--app', app] : [])],
      {
        encoding: 'utf8',
        env: { ...process.env, SYNTH_OUTPUT: out },
      },
    );
    walls.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.status === 0 && i === RUNS - 1) inspect?.(out);
    rmSync(out, { recursive: true, force: true });
    if (result.status !== 0) throw new Error(`synth failed:\n${result.stderr}`);
    cpus.push(childCpuMs(result.stdout));
  }
  return { wall: median(walls), cpu: median(cpus) };
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** The children's line of `times` ("0m1.250s 0m0.300s"), user + system in ms. */
function childCpuMs(times: string): number {
  const line = times.trim().split('\n').at(-1) ?? '';
  const seconds = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  if (seconds.length !== 2) throw new Error(`unexpected \`times\` output: ${times}`);
  return ((seconds[0] ?? 0) + (seconds[1] ?? 0)) * 1000;
}

/** Every stack template of a cloud assembly, nested stage assemblies included. */
function templatesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory() && entry.name.startsWith('assembly-')) return templatesOf(join(dir, entry.name));
    return entry.isFile() && entry.name.endsWith('.template.json') ? [join(dir, entry.name)] : [];
  });
}

/** Median wall time of the guard validation alone (part of every synth) over one synth's templates. */
function timeGuard(out: string): number {
  const templatePaths = templatesOf(out);
  const validator = new ProjectGuardValidator();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    // Its findings include those the app acknowledges (lib/guard/exceptions.ts), which only the synth
    // above applies: that synth, which failed on any other finding, is what judges them.
    validator.validate({ templatePaths } as unknown as IPolicyValidationContext);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

export function runSynthBench(): Figure[] {
  const bucket = timeSynth('node --import tsx bench/fixtures/one-bucket-app.ts');
  let guard = 0;
  const platform = timeSynth(undefined, (out) => {
    guard = timeGuard(out);
  });
  const name = 'platform synth (3 environments + cicd stages, nag and guard on)';
  const figures: Figure[] = [
    { name: 'one-bucket app synth', value: bucket.wall, unit: 'ms' },
    { name, value: platform.wall, unit: 'ms', baseline: { name: 'one-bucket app', value: bucket.wall } },
    // Guard (Control Tower + project rules) runs inside the synth above; this is its share.
    { name: 'of which guard validation (all templates)', value: guard, unit: 'ms' },
    {
      name: 'platform synth without guard (derived)',
      value: platform.wall - guard,
      unit: 'ms',
      baseline: { name: 'one-bucket app', value: bucket.wall },
    },
    { name: 'one-bucket app synth, CPU', value: bucket.cpu, unit: 'ms' },
    {
      name: `${name}, CPU`,
      value: platform.cpu,
      unit: 'ms',
      baseline: { name: 'one-bucket app CPU', value: bucket.cpu },
    },
  ];
  printTable(`cdk synth, median of ${RUNS} (target: platform ≤ 3× one-bucket app)`, figures);
  return figures;
}

if (isEntryScript(import.meta.url)) runSynthBench();
