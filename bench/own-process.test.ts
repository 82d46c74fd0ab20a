import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { describeOutcomes, runEachInOwnProcess } from './own-process.js';

/** Scripts standing in for benches: each ends as a bench can (passes, throws, is killed). */
const SCRIPTS = {
  'passes.mjs': `console.log('figures');`,
  'throws.mjs': `throw new Error('bench failed');`,
  'crashes.mjs': `process.kill(process.pid, 'SIGTRAP');`,
};

describe('runEachInOwnProcess', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-own-process-'));
    for (const [name, text] of Object.entries(SCRIPTS)) writeFileSync(join(dir, name), text);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every script in order, whatever the ones before it did, and keeps how each ended', async () => {
    const outcomes = await runEachInOwnProcess(['throws.mjs', 'crashes.mjs', 'passes.mjs'], {
      cwd: dir,
      output: 'ignore',
    });
    expect(outcomes.map(({ script, code, signal }) => ({ script, code, signal }))).toEqual([
      { script: 'throws.mjs', code: 1, signal: null },
      { script: 'crashes.mjs', code: null, signal: 'SIGTRAP' },
      { script: 'passes.mjs', code: 0, signal: null },
    ]);
  });

  it('describes each outcome on a line of its own, in columns', async () => {
    const outcomes = await runEachInOwnProcess(['crashes.mjs', 'throws.mjs', 'passes.mjs'], {
      cwd: dir,
      output: 'ignore',
    });
    expect(describeOutcomes(outcomes)).toEqual([
      expect.stringMatching(/^FAILED {2}crashes\.mjs {2} {3}\d s {2}killed by SIGTRAP$/),
      expect.stringMatching(/^FAILED {2}throws\.mjs {3} {3}\d s {2}exit 1$/),
      expect.stringMatching(/^ok {6}passes\.mjs {3} {3}\d s {2}passed$/),
    ]);
  });
});
