import { ConfigError } from './errors.js';
import type { ProcessEnv } from './load.js';
import { partitionOf } from './regions.js';
import type { EnvironmentConfig, EnvironmentName } from './types.js';

/** Where GitHub Actions may deploy from, and how AWS recognises its OIDC tokens. */
export interface GithubConfig {
  /** `owner/name` of the repository whose workflows may assume the deploy roles. */
  readonly repository: string;
  /**
   * ARN of an existing GitHub OIDC provider in the environment's account. An account holds one provider
   * per URL, so when two environments share an account the second one imports the first one's.
   */
  readonly oidcProviderArn: string | undefined;
  /**
   * The one environment pull requests may `cdk diff` against (`GITHUB_DIFF_ENVIRONMENT`, default
   * dev): only its account gets a diff role. Never prod.
   */
  readonly diffEnvironment: EnvironmentName;
}

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** GitHub's own limits: owner 1-39 alphanumerics or inner hyphens; name of letters, digits, `.`, `_`, `-`. */
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
const OIDC_PROVIDER_ARN = new RegExp(
  `^arn:aws(-[a-z]+)*:iam::\\d{12}:oidc-provider/${GITHUB_OIDC_HOST.replaceAll('.', '\\.')}$`,
);

export function validateRepository(field: string, value: string): void {
  if (!REPOSITORY.test(value)) {
    throw new ConfigError(
      field,
      `must be a GitHub repository as owner/name (e.g. acme/axon-orbit), got "${value}"`,
    );
  }
}

/**
 * Reads the CI/CD settings of one environment: `GITHUB_REPOSITORY` (GitHub Actions sets it on every
 * run) and `<ENV>_GITHUB_OIDC_PROVIDER_ARN`. Which branches may deploy is the GitHub environment's
 * deployment-branch rule; the role trusts the environment. Returns undefined
 * when no repository is named: without one there is nothing to trust, so no CI/CD stack is built.
 */
export function loadGithubConfig(name: EnvironmentName, env: ProcessEnv): GithubConfig | undefined {
  const repository = env.GITHUB_REPOSITORY?.trim();
  if (!repository) return undefined;
  validateRepository('GITHUB_REPOSITORY', repository);

  const providerVar = `${name.toUpperCase()}_GITHUB_OIDC_PROVIDER_ARN`;
  const oidcProviderArn = env[providerVar]?.trim() || undefined;
  if (oidcProviderArn !== undefined && !OIDC_PROVIDER_ARN.test(oidcProviderArn)) {
    throw new ConfigError(
      providerVar,
      `must be the ARN of the account's GitHub OIDC provider (arn:aws:iam::<account>:oidc-provider/${GITHUB_OIDC_HOST}), got "${oidcProviderArn}"`,
    );
  }
  const diffEnvironment = (env.GITHUB_DIFF_ENVIRONMENT?.trim() || 'dev') as EnvironmentName;
  if (diffEnvironment !== 'dev' && diffEnvironment !== 'staging') {
    throw new ConfigError(
      'GITHUB_DIFF_ENVIRONMENT',
      `must be dev or staging (pull requests never read the prod account), got "${diffEnvironment}"`,
    );
  }
  return { repository, oidcProviderArn, diffEnvironment };
}

/** The role GitHub Actions deploys an environment with (and the only one that may push its images). */
export function githubDeployRoleName(prefix: string): string {
  return `${prefix}-github-deploy`;
}

/** The workflows a role trusts, by file name under .github/workflows (the job_workflow_ref claim). */
export const WORKFLOWS = {
  deploy: 'deploy-environment.yml',
  build: 'build.yml',
  diff: 'pr-diff.yml',
  policyGate: 'policy-gate.yml',
} as const;

/**
 * GitHub OIDC subjects once the repository's subject template is customized to
 * `["repo", "context", "job_workflow_ref"]` (docs/setup.md): the context (`environment:<env>` or
 * `pull_request`), then the workflow file and ref that run the job, so a role trusts one workflow
 * rather than any workflow of any branch that reaches the same context.
 */
export function githubSubject(
  repository: string,
  context: string,
  workflow: (typeof WORKFLOWS)[keyof typeof WORKFLOWS],
  ref: string,
): string {
  return `repo:${repository}:${context}:job_workflow_ref:${repository}/.github/workflows/${workflow}@${ref}`;
}

/**
 * An account holds one OIDC provider per URL: when two environments resolve to the same account and
 * neither names an existing provider, the second `cicd-<env>` deploy fails with EntityAlreadyExists.
 * Refuses that at synth, naming the variable that fixes it.
 */
export function refuseDuplicateOidcProviders(
  stages: readonly { readonly config: EnvironmentConfig; readonly github: GithubConfig }[],
): void {
  const creatorByAccount = new Map<string, EnvironmentName>();
  for (const { config, github } of stages) {
    if (config.account === undefined || github.oidcProviderArn !== undefined) continue;
    const first = creatorByAccount.get(config.account);
    if (first === undefined) {
      creatorByAccount.set(config.account, config.name);
      continue;
    }
    throw new ConfigError(
      `${config.name.toUpperCase()}_GITHUB_OIDC_PROVIDER_ARN`,
      `must be set: ${first} and ${config.name} share account ${config.account} and both would create the GitHub OIDC provider (EntityAlreadyExists); deploy cicd-${first} first, then set it to arn:${partitionOf(config.region)}:iam::${config.account}:oidc-provider/${GITHUB_OIDC_HOST}`,
    );
  }
}
