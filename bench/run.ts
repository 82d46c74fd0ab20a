import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeOutcomes, passed, runEachInOwnProcess } from './own-process.js';

/**
 * `npm run bench`: every benchmark, each printing its figures next to a baseline measured in the same
 * run, each in a node process of its own; exits non-zero when any of them failed.
 */
const BENCHES = [
  'synth',
  'cost',
  'governance',
  'governance-admin',
  'impact',
  'services',
  'hop',
  'feedback',
].map((name) => `bench/${name}.bench.ts`);

const outcomes = await runEachInOwnProcess(BENCHES, {
  cwd: dirname(dirname(fileURLToPath(import.meta.url))),
  nodeArgs: ['--import', 'tsx'],
});
console.log('\nbenches, each in its own process');
for (const line of describeOutcomes(outcomes)) console.log(`  ${line}`);
if (!outcomes.every(passed)) process.exitCode = 1;
