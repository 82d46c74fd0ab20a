/**
 * `npm test`'s "synth all environments" step: `npm run synth` into the run's shared assembly directory
 * (SHARED_CDK_ASSEMBLY_DIR), where the CDK tests read it (test/support/assembly.ts). Fails, as the
 * synth does, on a template rule finding.
 */
import { sharedAssembly } from './assembly.js';

const started = performance.now();
const assembly = sharedAssembly('source');
const templates = assembly.assembly.nestedAssemblies.flatMap((a) => a.nestedAssembly.stacks).length;
console.log(
  `synth: ${templates} templates in ${Math.round(performance.now() - started)} ms -> ${assembly.directory}`,
);
for (const v of assembly.violations) console.error(`${v.rule} at ${v.path}: ${v.description}`);
process.exitCode = assembly.violations.length > 0 ? 1 : 0;
