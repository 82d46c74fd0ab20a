// Jest test sequencer (plain JavaScript, like the global setup). Keeps jest's usual order within three
// groups, run one after the other:
// 1. everything else;
// 2. the resilience scenarios: their load client runs at low priority (it must not measure its own
//    contention), so they start once `npm test`'s checks beside jest are mostly done;
// 3. the files that read the shared cloud assembly (test/support/assembly.ts): `npm test` starts that
//    synth beside jest, so by now it is done instead of being waited for while a core idles.
import { readFileSync } from 'node:fs';
import Sequencer from '@jest/test-sequencer';

const READS_SHARED_ASSEMBLY = /support\/(assembly|environments)\.js'/;
const RUNS_LOAD = /\/test\/resilience\/resilience\.test\.ts$/;

function group(test) {
  if (RUNS_LOAD.test(test.path)) return 1;
  return READS_SHARED_ASSEMBLY.test(readFileSync(test.path, 'utf8')) ? 2 : 0;
}

export default class PlatformSequencer extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    const groups = ordered.map(group);
    return [0, 1, 2].flatMap((g) => ordered.filter((_, i) => groups[i] === g));
  }
}
