import { Template } from 'aws-cdk-lib/assertions';
import {
  type EnvironmentConfig,
  type EnvironmentName,
  loadConfig,
  type ProcessEnv,
} from '../../lib/config/index.js';
import type { PlatformStage } from '../../lib/platform-stage.js';
import { ServicesStack } from '../../lib/stacks/services-stack.js';
import { buildPlatform, TEST_PROCESS_ENV } from './platform.js';

export interface BuiltEnvironment {
  readonly stage: PlatformStage;
  readonly config: EnvironmentConfig;
  readonly services: ServicesStack;
  readonly servicesTemplate: Template;
  readonly signingTemplate: Template;
}

/**
 * Synthesizes the given environments and returns each one's services and signing templates.
 * Images come from a CI tag so no Dockerfile or Docker is involved.
 */
export function buildEnvironments(
  envs: readonly EnvironmentName[],
  processEnv: ProcessEnv = TEST_PROCESS_ENV,
): Record<string, BuiltEnvironment> {
  const { stages } = buildPlatform({ bundle: false, envs, processEnv });
  const built: Record<string, Omit<BuiltEnvironment, 'servicesTemplate' | 'signingTemplate'>> = {};
  for (const env of envs) {
    const stage = stages[env];
    if (!stage) throw new Error(`no stage ${env}`);
    const config = loadConfig(env, processEnv, { imageTag: 'git-0123abc' });
    const services = new ServicesStack(stage, 'Services', {
      config,
      vpc: stage.network.vpc,
      privateSubnets: stage.network.privateSubnets,
      isolatedSubnets: stage.network.isolatedSubnets,
      orbitTaskRole: stage.security.orbitTaskRole,
      axonTaskRole: stage.security.axonTaskRole,
      orbitKey: stage.security.orbitKey,
      axonKey: stage.security.axonKey,
      logsKey: stage.security.logsKey,
      orbitSigningSecret: stage.signing.orbitSigningSecret,
      axonVerificationSecret: stage.signing.axonVerificationSecret,
      governanceFunction: stage.governance.decisionFunction,
    });
    built[env] = { stage, config, services };
  }
  // Templates only after every stack exists: the first synth freezes the construct tree.
  return Object.fromEntries(
    Object.entries(built).map(([env, b]) => [
      env,
      {
        ...b,
        servicesTemplate: Template.fromStack(b.services),
        signingTemplate: Template.fromStack(b.stage.signing),
      },
    ]),
  );
}
