import type { Template } from 'aws-cdk-lib/assertions';
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import type { EnvironmentName } from '../../contracts/environments.js';
import { type EnvironmentConfig, loadConfig } from '../../lib/config/index.js';
import { ASSEMBLY_VARIANTS, type AssemblyVariant, type StackId, sharedAssembly } from './assembly.js';
import { SHARED_PROCESS_ENV } from './platform.js';

export interface BuiltEnvironment {
  readonly config: EnvironmentConfig;
  readonly servicesTemplate: Template;
  readonly signingTemplate: Template;
  template(id: StackId): Template;
  /** The synthesized stack: its name, directory, asset manifest. */
  stack(id: StackId): CloudFormationStackArtifact;
}

export interface BuildEnvironmentsOptions {
  /** `imageTag`: the environments as `-c imageTag=` with assembly.ts's `IMAGE_TAG` synthesizes them; default: from source. */
  readonly variant?: AssemblyVariant;
}

/**
 * The given environments of the run's shared assembly (test/support/assembly.ts: synthesized as
 * bin/app.ts would, without Lambda bundling), each with its config and templates.
 */
export function buildEnvironments(
  envs: readonly EnvironmentName[],
  options: BuildEnvironmentsOptions = {},
): Record<string, BuiltEnvironment> {
  const variant = options.variant ?? 'source';
  const assembly = sharedAssembly(variant);
  return Object.fromEntries(
    envs.map((env) => [
      env,
      {
        config: loadConfig(env, SHARED_PROCESS_ENV, ASSEMBLY_VARIANTS[variant]),
        servicesTemplate: assembly.template(env, 'Services'),
        signingTemplate: assembly.template(env, 'Signing'),
        template: (id: StackId) => assembly.template(env, id),
        stack: (id: StackId) => assembly.stack(env, id),
      },
    ]),
  );
}
