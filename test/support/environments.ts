import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  type EnvironmentConfig,
  type EnvironmentName,
  type LoadOverrides,
  loadConfig,
  type ProcessEnv,
} from '../../lib/config/index.js';
import { PlatformStage } from '../../lib/platform-stage.js';
import { cdkContext, TEST_PROCESS_ENV } from './platform.js';

export interface BuiltEnvironment {
  readonly stage: PlatformStage;
  readonly config: EnvironmentConfig;
  readonly servicesTemplate: Template;
  readonly signingTemplate: Template;
}

export interface BuildEnvironmentsOptions {
  readonly processEnv?: ProcessEnv;
  /** Per-synth choices, e.g. `{ imageTag }` as `-c imageTag=` would give. */
  readonly overrides?: LoadOverrides;
}

/**
 * Synthesizes the given environments exactly as bin/app.ts would (without Lambda bundling) and
 * returns each one's services and signing templates.
 */
export function buildEnvironments(
  envs: readonly EnvironmentName[],
  options: BuildEnvironmentsOptions = {},
): Record<string, BuiltEnvironment> {
  const processEnv = options.processEnv ?? TEST_PROCESS_ENV;
  const app = new App({
    context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] },
    outdir: mkdtempSync(join(tmpdir(), 'cdk-env-')),
  });
  const stages = envs.map((env) => {
    const config = loadConfig(env, processEnv, options.overrides);
    return { env, config, stage: new PlatformStage(app, env, { config }) };
  });
  // Templates only after every stage exists: the first synth freezes the construct tree.
  return Object.fromEntries(
    stages.map(({ env, config, stage }) => [
      env,
      {
        stage,
        config,
        servicesTemplate: Template.fromStack(stage.services),
        signingTemplate: Template.fromStack(stage.signing),
      },
    ]),
  );
}
