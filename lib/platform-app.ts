import type { App } from 'aws-cdk-lib';
import { CicdStage } from './cicd-stage.js';
import { type GithubConfig, loadGithubConfig, refuseDuplicateOidcProviders } from './config/cicd.js';
import {
  ConfigError,
  ENVIRONMENT_NAMES,
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
  /**
   * Hold every template to the rules (cdk-nag packs, cfn-guard). Default true; bin/app.ts never turns
   * it off. Only a test's second look at an app whose templates the rules already judged does, since
   * the rules cost most of a synth.
   */
  readonly templateRules?: boolean;
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
  const configs = props.envs.map((name) => loadConfig(name, props.processEnv, props.overrides));
  const cicd = githubTrusts(configs, props.processEnv);
  refuseDuplicateOidcProviders(everyGithubTrust(configs, props.processEnv));
  const stages: Partial<Record<EnvironmentName, PlatformStage>> = {};
  for (const config of configs) stages[config.name] = new PlatformStage(app, config.name, { config });
  // The OIDC trust of each environment, deployed apart from it: `cdk deploy 'cicd-<env>/*'`.
  const cicdStages = cicd.map(
    ({ config, github }) => new CicdStage(app, `cicd-${config.name}`, { config, github }),
  );
  if (props.templateRules ?? true) {
    applyCompliancePacks(app);
    applyGuardRules(app);
  }
  return { stages, cicdStages };
}

type GithubTrust = { readonly config: EnvironmentConfig; readonly github: GithubConfig };

function githubTrusts(configs: readonly EnvironmentConfig[], processEnv: ProcessEnv): GithubTrust[] {
  return configs.flatMap((config) => {
    const github = loadGithubConfig(config.name, processEnv);
    return github ? [{ config, github }] : [];
  });
}

/**
 * The OIDC providers every environment would create, not only the selected ones: CI synthesizes one
 * environment per deploy, and another environment's provider in the same account collides all the
 * same. An environment this process environment cannot configure (prod without PROD_ACCOUNT_ID)
 * cannot be deployed from it either, so it creates nothing here.
 */
function everyGithubTrust(selected: readonly EnvironmentConfig[], processEnv: ProcessEnv): GithubTrust[] {
  const configs = ENVIRONMENT_NAMES.flatMap((name) => {
    const chosen = selected.find((config) => config.name === name);
    if (chosen) return [chosen];
    try {
      return [loadConfig(name, processEnv)];
    } catch (error) {
      if (error instanceof ConfigError) return [];
      throw error;
    }
  });
  return githubTrusts(configs, processEnv);
}
