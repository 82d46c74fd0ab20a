import {
  awsRegion,
  type DeploymentEnvironment,
  deploymentEnvironment,
  type Env,
  httpUrl,
  integer,
  type LogLevel,
  listenHost,
  logLevel,
  requiredString,
  tracesEndpoint,
} from '../shared/config.js';

export interface OrbitConfig {
  readonly port: number;
  readonly host: string;
  readonly region: string;
  readonly axonUrl: URL;
  readonly governanceFunctionName: string;
  readonly governanceTimeoutMs: number;
  readonly governanceCacheTtlMs: number;
  readonly signingSecretId: string;
  readonly logLevel: LogLevel;
  readonly environment: DeploymentEnvironment;
  /** OTLP endpoint of the trace collector; undefined turns tracing off. */
  readonly tracesEndpoint: string | undefined;
  readonly shutdownDrainMs: number;
  readonly keyRefreshMs: number;
  readonly axonTimeoutMs: number;
  readonly axonRetries: number;
  readonly breakerThreshold: number;
  readonly breakerHalfOpenMs: number;
  /** When set, secrets come from JSON files in this directory instead of Secrets Manager. */
  readonly localSecretsDir: string | undefined;
}

export function loadOrbitConfig(env: Env): OrbitConfig {
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: listenHost(env),
    region: awsRegion(env),
    axonUrl: httpUrl(env, 'AXON_URL'),
    governanceFunctionName: requiredString(env, 'GOVERNANCE_FUNCTION_NAME'),
    governanceTimeoutMs: integer(env, 'GOVERNANCE_TIMEOUT_MS', 1_000, 50, 30_000),
    governanceCacheTtlMs: integer(env, 'GOVERNANCE_CACHE_TTL_MS', 5_000, 0, 300_000),
    signingSecretId: requiredString(env, 'SIGNING_SECRET_ID'),
    logLevel: logLevel(env),
    environment: deploymentEnvironment(env),
    tracesEndpoint: tracesEndpoint(env),
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_MS', 20_000, 0, 120_000),
    keyRefreshMs: integer(env, 'KEY_REFRESH_MS', 300_000, 1_000, 86_400_000),
    axonTimeoutMs: integer(env, 'AXON_TIMEOUT_MS', 2_000, 10, 60_000),
    axonRetries: integer(env, 'AXON_RETRIES', 2, 0, 10),
    breakerThreshold: integer(env, 'BREAKER_THRESHOLD', 5, 1, 1_000),
    breakerHalfOpenMs: integer(env, 'BREAKER_HALF_OPEN_MS', 10_000, 100, 600_000),
    localSecretsDir: env.LOCAL_SECRETS_DIR?.trim() || undefined,
  };
}
