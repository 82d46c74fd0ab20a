import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isEntryScript } from './entry.js';
import { type Figure, printTable } from './report.js';

/** Written by scripts/test.sh at the end of every full `npm test`. */
const TEST_WALL_TIME_FILE = '.local/test-wall-time.json';

interface TestWallTime {
  readonly seconds: number;
  readonly date: string;
  readonly commit: string;
  readonly passed: number;
  readonly failed: number;
}

/**
 * What a new contributor waits for: the installed dependencies' size, measured now, and the wall time
 * of `npm test`. A full `npm test` takes minutes, so the bench does not run one: it reports the last
 * run scripts/test.sh recorded (when, on which commit, with its result). `.ci/run` (fresh clone,
 * `npm ci`, `npm test`) records it for a fresh clone.
 */
export function runFeedbackBench(): Figure[] {
  const figures: Figure[] = [{ name: 'node_modules size', value: nodeModulesMiB(), unit: 'MiB' }];
  let note = `no full npm test recorded in ${TEST_WALL_TIME_FILE} yet: run npm test (or .ci/run)`;
  if (existsSync(TEST_WALL_TIME_FILE)) {
    const last = JSON.parse(readFileSync(TEST_WALL_TIME_FILE, 'utf8')) as TestWallTime;
    figures.push({ name: 'npm test wall time (last recorded run)', value: last.seconds, unit: 's' });
    note = `last npm test: ${last.date}, commit ${last.commit}, ${last.passed} passed, ${last.failed} failed`;
  }
  printTable('fresh-clone feedback', figures);
  console.log(`  (${note})`);
  return figures;
}

function nodeModulesMiB(): number {
  // du counts each hard-linked file once, as the disk holds it.
  const du = spawnSync('du', ['-sk', 'node_modules'], { encoding: 'utf8' });
  if (du.status !== 0) throw new Error(`du node_modules failed: ${du.stderr}`);
  return Number.parseInt(du.stdout, 10) / 1024;
}

if (isEntryScript(import.meta.url)) runFeedbackBench();
