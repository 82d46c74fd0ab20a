import { BASE_CONFIGS } from './environments.js';
import { ConfigError } from './errors.js';
import { ENVIRONMENT_NAMES, type EnvironmentConfig, type EnvironmentName } from './types.js';
import { validateAccount, validateConfig, validateRegion } from './validate.js';

export type ProcessEnv = Readonly<Record<string, string | undefined>>;

export function isEnvironmentName(value: string): value is EnvironmentName {
  return (ENVIRONMENT_NAMES as readonly string[]).includes(value);
}

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

/**
 * Resolves one environment: the base settings plus account, region and alarm e-mail from
 * `<ENV>_ACCOUNT_ID`, `<ENV>_REGION` and `<ENV>_ALARM_EMAIL`. Prod must name its account; dev and
 * staging fall back to `CDK_DEFAULT_ACCOUNT`, then to an environment-agnostic synth.
 */
export function loadConfig(name: EnvironmentName, env: ProcessEnv): EnvironmentConfig {
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

  return validateConfig({
    ...base,
    account,
    region,
    alarmEmail: nonEmpty(env[`${key}_ALARM_EMAIL`]) ?? base.alarmEmail,
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}
