import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { describeOutcomes, runEachInOwnProcess } from './own-process.js';

/** Scripts standing in for benches: each ends as a bench can (passes, throws, crashes once or always). */
const SCRIPTS = {
  'passes.mjs': `console.log('figures');`,
  'throws.mjs': `throw new Error('bench failed');`,
  'crashes-once.mjs': `
    import { existsSync, writeFileSync } from 'node:fs';
    if (!existsSync('crashed-once')) {
      writeFileSync('crashed-once', '');
      process.kill(process.pid, 'SIGTRAP');
    }`,
  'crashes-always.mjs': `process.kill(process.pid, 'SIGSEGV');`,
  'interrupted.mjs': `process.kill(process.pid, 'SIGTERM');`,
};

describe('runEachInOwnProcess', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-own-process-'));
    for (const [name, text] of Object.entries(SCRIPTS)) writeFileSync(join(dir, name), text);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every script in order, whatever the ones before it did, and keeps how each ended', async () => {
    const logged: string[] = [];
    const outcomes = await runEachInOwnProcess(
      ['throws.mjs', 'crashes-always.mjs', 'crashes-once.mjs', 'interrupted.mjs', 'passes.mjs'],
      { cwd: dir, output: 'ignore', log: (line) => logged.push(line) },
    );
    const ends = outcomes.map((o) => ({
      script: o.script,
      ok: o.ok,
      attempts: o.attempts.map((a) => a.signal ?? a.code),
    }));
    expect(ends).toEqual([
      { script: 'throws.mjs', ok: false, attempts: [1] },
      { script: 'crashes-always.mjs', ok: false, attempts: ['SIGSEGV', 'SIGSEGV'] },
      { script: 'crashes-once.mjs', ok: true, attempts: ['SIGTRAP', 0] },
      { script: 'interrupted.mjs', ok: false, attempts: ['SIGTERM'] },
      { script: 'passes.mjs', ok: true, attempts: [0] },
    ]);
    expect(existsSync(join(dir, 'crashed-once'))).toBe(true);
    expect(logged).toEqual([
      expect.stringMatching(/^\ncrashes-always\.mjs crashed \(SIGSEGV\) after \d+ s; running it again$/),
      expect.stringMatching(/^\ncrashes-once\.mjs crashed \(SIGTRAP\) after \d+ s; running it again$/),
    ]);
  });

  it('describes each outcome on a line of its own, in columns', async () => {
    const outcomes = await runEachInOwnProcess(['crashes-once.mjs', 'throws.mjs'], {
      cwd: dir,
      output: 'ignore',
      log: () => {},
    });
    expect(describeOutcomes(outcomes)).toEqual([
      expect.stringMatching(/^ok {6}crashes-once\.mjs {2} {3}\d s {2}killed by SIGTRAP, then passed$/),
      expect.stringMatching(/^FAILED {2}throws\.mjs {8} {3}\d s {2}exit 1$/),
    ]);
  });
});
