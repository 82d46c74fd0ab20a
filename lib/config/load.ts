import { ENVIRONMENT_NAMES, type EnvironmentName, isEnvironmentName } from '../../contracts/environments.js';
import { BASE_CONFIGS } from './environments.js';
import { ConfigError } from './errors.js';
import type { EnvironmentConfig } from './types.js';
import { validateAccount, validateCertificateArn, validateConfig, validateRegion } from './validate.js';

export type ProcessEnv = Readonly<Record<string, string | undefined>>;

/**
 * Parses the `env` context value (`dev`, `dev,prod`, `all`) into environment names, in pipeline order.
 * An unknown name is a synth error listing the allowed values.
 */
export function parseEnvironmentSelection(selection: string | undefined): EnvironmentName[] {
  if (selection === undefined || selection.trim() === '' || selection.trim() === 'all')
    return [...ENVIRONMENT_NAMES];
  const names = selection.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!isEnvironmentName(name)) {
      throw new ConfigError(
        'env',
        `"${name}" is not an environment; allowed: ${ENVIRONMENT_NAMES.join(', ')}, all`,
      );
    }
  }
  return ENVIRONMENT_NAMES.filter((n) => names.includes(n));
}

/** Choices made per synth rather than per environment (CDK context). */
export interface LoadOverrides {
  /** `-c imageTag=<tag>`: run the CI-pushed ECR image with this tag instead of building from source. */
  readonly imageTag?: string | undefined;
}

/**
 * Resolves one environment: the base settings plus account, region, alarm e-mail and ALB certificate
 * from `<ENV>_ACCOUNT_ID`, `<ENV>_REGION`, `<ENV>_ALARM_EMAIL` and `<ENV>_CERTIFICATE_ARN`. Prod must
 * name its account; dev and staging fall back to `CDK_DEFAULT_ACCOUNT`, then to an
 * environment-agnostic synth. Environments that require HTTPS must name their certificate.
 */
export function loadConfig(
  name: EnvironmentName,
  env: ProcessEnv,
  overrides: LoadOverrides = {},
): EnvironmentConfig {
  const { defaultRegion, ...base } = BASE_CONFIGS[name];
  const key = name.toUpperCase();
  const accountVar = `${key}_ACCOUNT_ID`;
  const regionVar = `${key}_REGION`;

  const explicitAccount = nonEmpty(env[accountVar]);
  if (explicitAccount !== undefined) validateAccount(accountVar, explicitAccount);
  if (name === 'prod' && explicitAccount === undefined) {
    throw new ConfigError(
      accountVar,
      'is required for prod: set it to the 12-digit id of the production account',
    );
  }
  const account = explicitAccount ?? nonEmpty(env.CDK_DEFAULT_ACCOUNT);

  const region = nonEmpty(env[regionVar]) ?? defaultRegion;
  validateRegion(regionVar, region);

  const certificateVar = `${key}_CERTIFICATE_ARN`;
  const certificateArn = nonEmpty(env[certificateVar]);
  if (base.deployment.requireHttps && certificateArn === undefined) {
    throw new ConfigError(
      certificateVar,
      `is required for ${name}: its internal ALB serves HTTPS only; set it to an ACM certificate ARN in ${region}`,
    );
  }
  if (certificateArn !== undefined) validateCertificateArn(certificateVar, certificateArn, region, account);

  const imageTag = nonEmpty(overrides.imageTag);
  return validateConfig({
    ...base,
    account,
    region,
    alarmEmail: nonEmpty(env[`${key}_ALARM_EMAIL`]) ?? base.alarmEmail,
    observability: { ...base.observability, webhookUrl: nonEmpty(env[`${key}_ALARM_WEBHOOK_URL`]) },
    deployment: {
      ...base.deployment,
      certificateArn,
      imageSource: imageTag === undefined ? base.deployment.imageSource : { kind: 'ecr', tag: imageTag },
    },
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}
