import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { costSection, DOC_FILE, estimatesFrom, withSection } from './docs.js';
import { CostInputError } from './errors.js';
import { synthesizeStages } from './synth-stages.js';

/**
 * `npm run docs:cost [-- --assembly <dir>]`: rewrites the cost section of docs/failure-resilience.md,
 * from the given assembly or from a fresh in-process synth of every environment.
 */
function main(): number {
  const { values } = parseArgs({ options: { assembly: { type: 'string' } } });
  const outdir = values.assembly ?? mkdtempSync(join(tmpdir(), 'docs-cost-'));
  try {
    if (values.assembly === undefined) synthesizeStages(outdir);
    writeFileSync(DOC_FILE, withSection(readFileSync(DOC_FILE, 'utf8'), costSection(estimatesFrom(outdir))));
    console.log('docs:cost: docs/failure-resilience.md cost section updated');
    return 0;
  } catch (error) {
    if (!(error instanceof CostInputError)) throw error;
    console.error(`docs:cost: ${error.message}`);
    return 2;
  } finally {
    if (values.assembly === undefined) rmSync(outdir, { recursive: true, force: true });
  }
}

process.exitCode = main();
