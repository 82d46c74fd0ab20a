import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly, type CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../contracts/environments.js';
import type { LoadOverrides } from '../../lib/config/index.js';
import { addPlatform } from '../../lib/platform-app.js';
import { SHARED_ASSEMBLY_ENV } from './assembly-dir.js';
import { cdkContext, reportedViolations, SHARED_PROCESS_ENV, type Violation } from './platform.js';

/** The construct ids of a stage's stacks (`PlatformStage`'s properties capitalised; `Cicd` in `cicd-<env>`). */
export type StackId =
  | 'Security'
  | 'Network'
  | 'Signing'
  | 'Callers'
  | 'PolicyStore'
  | 'Governance'
  | 'PolicyAdmin'
  | 'Services'
  | 'Observability'
  | 'Cicd';

/** A stage of the app: an environment's platform, or its OIDC trust (`cicd-<env>`). */
export type StageName = EnvironmentName | `cicd-${EnvironmentName}`;

/**
 * Every environment synthesized once per run, as bin/app.ts builds it (lib/platform-app.ts: the same
 * stages and, for the `source` variant, the same template rules — cdk-nag packs, cfn-guard,
 * CloudFormation's own checks), with SHARED_PROCESS_ENV. Synthesizing costs tens of seconds, so CDK
 * tests read this instead of each building its own app.
 */
export interface SharedAssembly {
  /** The cloud assembly directory (`assembly-<env>/` per stage, as `cdk.out/`). */
  readonly directory: string;
  readonly assembly: CloudAssembly;
  /**
   * Unacknowledged findings of the template rules, across every stage (empty when clean). Only the
   * `source` variant is judged: reading this on the `imageTag` variant throws.
   */
  readonly violations: readonly Violation[];
  /** One stage's nested assembly (`assembly-<stage>/`). */
  stage(name: StageName): CloudAssembly;
  /** The stacks of one stage. */
  stacks(stage: StageName): readonly CloudFormationStackArtifact[];
  stack(stage: StageName, id: StackId): CloudFormationStackArtifact;
  template(stage: StageName, id: StackId): Template;
}

/** The image tag the `imageTag` variant deploys, as `-c imageTag=git-0123abc` would. */
export const IMAGE_TAG = 'git-0123abc';

/**
 * The app as `npm run synth` builds it (`source`: service images built from source) and as the deploy
 * workflow does (`imageTag`: the CI-pushed images, `-c imageTag=`). Each is synthesized at most once
 * per run, only when something asks for it.
 *
 * `source` is `npm run synth` itself (scripts/synth.sh: the CDK CLI, Lambda bundling, every template
 * rule). `npm test` starts it beside jest as its "synth all environments" step, so the rules (cfn-guard
 * over every template is most of a synth's cost) run once per run, and the CDK tests, ordered last
 * (test/support/sequencer.js), find it done. `imageTag` differs from it only in where the service
 * images come from (the services stack tests assert what differs); it is synthesized in the test
 * process without the rules, which also puts the constructs' code under jest's coverage.
 */
export const ASSEMBLY_VARIANTS = {
  source: {},
  imageTag: { imageTag: IMAGE_TAG },
} as const satisfies Record<string, LoadOverrides>;
export type AssemblyVariant = keyof typeof ASSEMBLY_VARIANTS;

interface SynthResult {
  /** Absent when the variant is not held to the template rules. */
  readonly violations?: Violation[];
  readonly error?: string;
}

const RESULT_FILE = 'result.json';
// A synth takes well under a minute alone; under a full `npm test` on two cores, a few.
const WAIT_LIMIT_MS = 10 * 60 * 1000;

const shared = new Map<AssemblyVariant, SharedAssembly>();

/**
 * The run's shared assembly. The first test file to ask synthesizes it into the directory jest's
 * global setup made (test/support/assembly-dir.js); files in other workers wait for it. Outside jest
 * (no such directory) it is synthesized once per process.
 */
export function sharedAssembly(variant: AssemblyVariant = 'source'): SharedAssembly {
  let assembly = shared.get(variant);
  if (!assembly) {
    const root = process.env[SHARED_ASSEMBLY_ENV] ?? mkdtempSync(join(tmpdir(), 'cdk-shared-'));
    assembly = load(join(root, variant), variant);
    shared.set(variant, assembly);
  }
  return assembly;
}

/** Shorthand for `sharedAssembly().template(stage, id)`. */
export function stackTemplate(stage: StageName, id: StackId): Template {
  return sharedAssembly().template(stage, id);
}

function load(root: string, variant: AssemblyVariant): SharedAssembly {
  mkdirSync(root, { recursive: true });
  const result = synthesizeOnce(root, variant);
  if (result.error !== undefined) throw new Error(`the shared assembly did not synthesize: ${result.error}`);
  return open(join(root, 'cdk.out'), variant, result.violations);
}

function synthesizeOnce(root: string, variant: AssemblyVariant): SynthResult {
  const resultFile = join(root, RESULT_FILE);
  if (existsSync(resultFile)) return readResult(resultFile);
  try {
    // mkdir is atomic: exactly one worker wins and synthesizes, the others wait for its result.
    mkdirSync(join(root, 'lock'));
  } catch {
    return waitForResult(resultFile);
  }
  let result: SynthResult;
  try {
    result = { violations: synthesize(join(root, 'cdk.out'), variant) };
  } catch (error) {
    result = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  writeFileSync(`${resultFile}.tmp`, JSON.stringify(result));
  renameSync(`${resultFile}.tmp`, resultFile);
  return result;
}

function synthesize(outdir: string, variant: AssemblyVariant): Violation[] | undefined {
  if (variant === 'source') return synthesizeWithCli(outdir);
  const app = new App({
    context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] },
    outdir,
    builtinCloudFormationValidation: false,
  });
  addPlatform(app, {
    envs: ENVIRONMENT_NAMES,
    processEnv: SHARED_PROCESS_ENV,
    overrides: ASSEMBLY_VARIANTS[variant],
    templateRules: false,
  });
  app.synth();
  return undefined;
}

const REPO_ROOT = new URL('../..', import.meta.url).pathname;

/**
 * `npm run synth` with SHARED_PROCESS_ENV and nothing else of this process's environment, so a
 * developer's exported account ids or certificates cannot change what the tests read.
 */
function synthesizeWithCli(outdir: string): Violation[] {
  const result = spawnSync('bash', ['scripts/synth.sh'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      ...SHARED_PROCESS_ENV,
      SYNTH_OUTPUT: outdir,
    },
  });
  const violations = reportedViolations(outdir);
  if (result.status === 0) return violations ?? [];
  // A finding fails the synth, as it should a deploy; the tests report the findings themselves.
  if (violations !== undefined && violations.length > 0) return violations;
  throw new Error(`npm run synth failed (exit ${result.status}):\n${result.stderr}${result.stdout}`);
}

function readResult(file: string): SynthResult {
  return JSON.parse(readFileSync(file, 'utf8')) as SynthResult;
}

function waitForResult(file: string): SynthResult {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + WAIT_LIMIT_MS;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`no shared assembly after ${WAIT_LIMIT_MS / 1000} s: ${file}`);
    // Test files read their templates at import time, synchronously: block this worker, not a busy loop.
    Atomics.wait(pause, 0, 0, 100);
  }
  return readResult(file);
}

function open(
  directory: string,
  variant: AssemblyVariant,
  violations: Violation[] | undefined,
): SharedAssembly {
  const assembly = new CloudAssembly(directory);
  const templates = new Map<string, Template>();
  const stage = (name: StageName) => {
    const found = assembly.nestedAssemblies.find((a) => a.id === `assembly-${name}`);
    if (!found) throw new Error(`no stage ${name} in the shared assembly`);
    return found.nestedAssembly;
  };
  const stacks = (name: StageName) => stage(name).stacks;
  const stack = (name: StageName, id: StackId) => {
    const found = stacks(name).find((s) => s.hierarchicalId === `${name}/${id}`);
    if (!found) throw new Error(`no stack ${id} in stage ${name}`);
    return found;
  };
  return {
    directory,
    assembly,
    get violations() {
      if (violations === undefined) {
        throw new Error(`the ${variant} assembly is not held to the template rules: read the source one's`);
      }
      return violations;
    },
    stage,
    stacks,
    stack,
    template(name, id) {
      const key = `${name}/${id}`;
      let template = templates.get(key);
      if (!template) {
        template = Template.fromJSON(stack(name, id).template);
        templates.set(key, template);
      }
      return template;
    },
  };
}
