import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Figure, printTable } from './report.js';

const RUNS = 3;

/**
 * Median wall time of `npm run synth`'s script for an app (the platform when `app` is undefined),
 * each run into a fresh output directory, so both apps are synthesized exactly the same way.
 */
function timeSynth(app: string | undefined): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = mkdtempSync(join(tmpdir(), 'bench-synth-'));
    const start = process.hrtime.bigint();
    const result = spawnSync('bash', ['scripts/synth.sh', ...(app ? ['--app', app] : [])], {
      encoding: 'utf8',
      env: { ...process.env, SYNTH_OUTPUT: out },
    });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    rmSync(out, { recursive: true, force: true });
    if (result.status !== 0) throw new Error(`synth failed:\n${result.stderr}`);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)] as number;
}

export function runSynthBench(): Figure[] {
  const baseline = {
    name: 'one-bucket app',
    value: timeSynth('node --import tsx bench/fixtures/one-bucket-app.ts'),
  };
  const platform = timeSynth(undefined);
  const figures: Figure[] = [
    { name: 'one-bucket app synth', value: baseline.value, unit: 'ms' },
    { name: 'platform synth (3 environments + cicd stages, nag on)', value: platform, unit: 'ms', baseline },
  ];
  printTable(`cdk synth, median of ${RUNS}`, figures);
  return figures;
}
