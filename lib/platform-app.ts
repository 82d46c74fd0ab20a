import type { App } from 'aws-cdk-lib';
import { CicdStage } from './cicd-stage.js';
import { type GithubConfig, loadGithubConfig, refuseDuplicateOidcProviders } from './config/cicd.js';
import {
  type EnvironmentConfig,
  type EnvironmentName,
  type LoadOverrides,
  loadConfig,
  type ProcessEnv,
} from './config/index.js';
import { applyGuardRules } from './guard/validator.js';
import { applyCompliancePacks } from './nag.js';
import { PlatformStage } from './platform-stage.js';

export interface PlatformAppProps {
  readonly envs: readonly EnvironmentName[];
  /** Where account ids, certificates and the GitHub repository come from (`process.env` in bin/app.ts). */
  readonly processEnv: ProcessEnv;
  /** Per-synth choices, e.g. `{ imageTag }` from `-c imageTag=`. */
  readonly overrides?: LoadOverrides;
}

export interface PlatformApp {
  readonly stages: Readonly<Partial<Record<EnvironmentName, PlatformStage>>>;
  readonly cicdStages: readonly CicdStage[];
}

/**
 * Adds to `app` everything `cdk synth` builds: one stage per environment, the OIDC trust of each
 * environment with a GitHub repository, and the rules every template is held to. bin/app.ts and the
 * tests' shared assembly both build through here, so a rule added here runs in both.
 * Throws ConfigError on a configuration mistake.
 */
export function addPlatform(app: App, props: PlatformAppProps): PlatformApp {
  const stages: Partial<Record<EnvironmentName, PlatformStage>> = {};
  const cicd: { config: EnvironmentConfig; github: GithubConfig }[] = [];
  for (const name of props.envs) {
    const config = loadConfig(name, props.processEnv, props.overrides);
    stages[name] = new PlatformStage(app, name, { config });
    const github = loadGithubConfig(name, props.processEnv);
    if (github) cicd.push({ config, github });
  }
  refuseDuplicateOidcProviders(cicd);
  // The OIDC trust of each environment, deployed apart from it: `cdk deploy 'cicd-<env>/*'`.
  const cicdStages = cicd.map(
    ({ config, github }) => new CicdStage(app, `cicd-${config.name}`, { config, github }),
  );
  applyCompliancePacks(app);
  applyGuardRules(app);
  return { stages, cicdStages };
}
