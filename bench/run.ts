import { runCostBench } from './cost.bench.js';
import { runFeedbackBench } from './feedback.bench.js';
import { runGovernanceBench } from './governance.bench.js';
import { runGovernanceAdminBench } from './governance-admin.bench.js';
import { runHopBench } from './hop.bench.js';
import { runImpactBench } from './impact.bench.js';
import { runServicesBench } from './services.bench.js';
import { runSynthBench } from './synth.bench.js';

/** `npm run bench`: every benchmark, each printing its figures next to a baseline measured in the same run. */
runSynthBench();
runCostBench();
await runGovernanceBench();
await runGovernanceAdminBench();
await runImpactBench();
await runServicesBench();
await runHopBench();
runFeedbackBench();
