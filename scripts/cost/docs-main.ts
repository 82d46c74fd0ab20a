import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { costSection, DOC_FILE, estimatesFrom, withSection } from './docs.js';
import { CostInputError } from './errors.js';

/** `npm run docs:cost [-- --check] [--assembly <dir>]`: rewrites (or checks) the cost section from a synthesized assembly. */
function main(): number {
  const { values } = parseArgs({
    options: { assembly: { type: 'string', default: 'cdk.out' }, check: { type: 'boolean', default: false } },
  });
  try {
    const document = readFileSync(DOC_FILE, 'utf8');
    const updated = withSection(document, costSection(estimatesFrom(values.assembly)));
    if (values.check) {
      if (updated === document) return 0;
      console.error(
        'docs:cost: docs/failure-resilience.md cost section is out of date; run `npm run docs:cost`',
      );
      return 1;
    }
    writeFileSync(DOC_FILE, updated);
    console.log('docs:cost: docs/failure-resilience.md cost section updated');
    return 0;
  } catch (error) {
    if (!(error instanceof CostInputError)) throw error;
    console.error(`docs:cost: ${error.message}`);
    return 2;
  }
}

process.exitCode = main();
