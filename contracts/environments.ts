/**
 * The environments the platform is deployed to, and `local` for the loopback platform (`npm start`,
 * tests). Config, stacks, services, Lambdas, the policy language and the CLI all read these.
 */
export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/** Where code can run: a deployed environment or the local platform. */
export const RUNTIME_ENVIRONMENTS = [...ENVIRONMENT_NAMES, 'local'] as const;
export type RuntimeEnvironment = (typeof RUNTIME_ENVIRONMENTS)[number];

export function isRuntimeEnvironment(value: unknown): value is RuntimeEnvironment {
  return typeof value === 'string' && (RUNTIME_ENVIRONMENTS as readonly string[]).includes(value);
}

export function isEnvironmentName(value: unknown): value is EnvironmentName {
  return typeof value === 'string' && (ENVIRONMENT_NAMES as readonly string[]).includes(value);
}
