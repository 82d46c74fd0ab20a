import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
function timeSynth(app: string | undefined): SynthTime {
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

export function runSynthBench(): Figure[] {
  const bucket = timeSynth('node --import tsx bench/fixtures/one-bucket-app.ts');
  const platform = timeSynth(undefined);
  const name = 'platform synth (3 environments + cicd stages, nag on)';
  const figures: Figure[] = [
    { name: 'one-bucket app synth', value: bucket.wall, unit: 'ms' },
    { name, value: platform.wall, unit: 'ms', baseline: { name: 'one-bucket app', value: bucket.wall } },
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
