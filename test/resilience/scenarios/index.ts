import type { Scenario } from '../harness/scenario.js';
import { axonDiesScenario } from './axon-dies.js';
import { compromisedOrbitScenario } from './compromised-orbit.js';
import { fuzzScenario } from './fuzz.js';
import { governanceFaultsScenario } from './governance-faults.js';
import { loadScenario } from './load.js';
import { noisyCallerScenario } from './noisy-caller.js';
import { policyChangeScenario } from './policy-change.js';
import { replayAcrossTasksScenario } from './replay-across-tasks.js';
import { secretRotationScenario } from './secret-rotation.js';
import { sigtermScenario } from './sigterm.js';

/** Every scenario, in the order the table lists them. */
export const SCENARIOS: readonly Scenario[] = [
  loadScenario,
  noisyCallerScenario,
  axonDiesScenario,
  governanceFaultsScenario,
  secretRotationScenario,
  sigtermScenario,
  policyChangeScenario,
  replayAcrossTasksScenario,
  compromisedOrbitScenario,
  fuzzScenario,
];
