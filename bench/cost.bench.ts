import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENT_NAMES } from '../contracts/environments.js';
import { loadStage } from '../scripts/cost/assembly.js';
import { estimate } from '../scripts/cost/estimate.js';
import { synthesizeStages } from '../scripts/cost/synth-stages.js';
import { isEntryScript } from './entry.js';
import { type Figure, printTable } from './report.js';

const RUNS = 21;

function median(run: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)] as number;
}

/** `npm run cost`'s work per environment (read the stage, price it) against only reading the stage's templates. */
export function runCostBench(): Figure[] {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-cost-'));
  try {
    synthesizeStages(outdir);
    const figures = ENVIRONMENT_NAMES.flatMap((env): Figure[] => {
      const baseline = { name: `read ${env}`, value: median(() => loadStage(outdir, env)) };
      return [
        { name: `read ${env} stage templates`, value: baseline.value, unit: 'ms' },
        {
          name: `price ${env} (read + price)`,
          value: median(() => estimate({ assemblyDir: outdir, env })),
          unit: 'ms',
          baseline,
        },
      ];
    });
    printTable(`cost model, median of ${RUNS}`, figures);
    return figures;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

if (isEntryScript(import.meta.url)) runCostBench();
