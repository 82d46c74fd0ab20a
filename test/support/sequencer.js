// Jest test sequencer (plain JavaScript, like the global setup). Runs the test files that read the
// shared cloud assembly (test/support/assembly.ts) after all others, in jest's usual order within
// each group: `npm test` starts that synth beside jest, so by the time jest reaches them it is done
// instead of being waited for while a core idles.
import { readFileSync } from 'node:fs';
import Sequencer from '@jest/test-sequencer';

const READS_SHARED_ASSEMBLY = /support\/(assembly|environments)\.js'/;

export default class SharedAssemblyLastSequencer extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    const readsAssembly = (test) => READS_SHARED_ASSEMBLY.test(readFileSync(test.path, 'utf8'));
    return [...ordered.filter((t) => !readsAssembly(t)), ...ordered.filter(readsAssembly)];
  }
}
