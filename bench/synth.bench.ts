import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Figure, printTable } from './report.js';

const RUNS = 3;

/** Median wall time of `cdk synth` for an app, each run into a fresh output directory. */
function timeSynth(app: string | undefined): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = mkdtempSync(join(tmpdir(), 'bench-synth-'));
    const args = ['cdk', 'synth', '--no-notices', '--quiet', '--output', out];
    if (app) args.push('--app', app);
    const start = process.hrtime.bigint();
    const result = spawnSync('npx', args, {
      encoding: 'utf8',
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', PROD_ACCOUNT_ID: '123456789012' },
    });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    rmSync(out, { recursive: true, force: true });
    if (result.status !== 0) throw new Error(`cdk synth failed:\n${result.stderr}`);
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
    { name: 'platform synth (dev + staging + prod, nag on)', value: platform, unit: 'ms', baseline },
  ];
  printTable(`cdk synth, median of ${RUNS}`, figures);
  return figures;
}
