import type { RuntimeEnvironment } from '../../contracts/environments.js';
import { AXON_ENV } from '../../contracts/service-env.js';
import {
  awsRegion,
  type Env,
  integer,
  type LogLevel,
  listenHost,
  logLevel,
  requiredString,
  runtimeEnvironment,
  ServiceConfigError,
  tracesEndpoint,
} from '../shared/config.js';

export interface AxonConfig {
  readonly port: number;
  readonly host: string;
  readonly region: string;
  readonly verificationSecretId: string;
  readonly logLevel: LogLevel;
  readonly environment: RuntimeEnvironment;
  /** OTLP endpoint of the trace collector; undefined turns tracing off. */
  readonly tracesEndpoint: string | undefined;
  readonly shutdownDrainMs: number;
  readonly keyRefreshMs: number;
  /** When set, secrets come from JSON files in this directory instead of Secrets Manager. */
  readonly localSecretsDir: string | undefined;
  /** The fleet-wide replay table; undefined (local only) falls back to a per-process cache. */
  readonly replayTableName: string | undefined;
  readonly replayTimeoutMs: number;
  /** Decision-token keys: KMS key ARNs Axon trusts, or the local key file; neither (local only) enforces none. */
  readonly decisionTokenKeys:
    | { readonly kind: 'kms'; readonly keyIds: readonly string[] }
    | { readonly kind: 'local'; readonly file: string }
    | undefined;
}

export function loadAxonConfig(env: Env): AxonConfig {
  return {
    port: integer(env, AXON_ENV.port, 8081, 0, 65535),
    host: listenHost(env),
    region: awsRegion(env),
    verificationSecretId: requiredString(env, AXON_ENV.verificationSecretId),
    logLevel: logLevel(env),
    environment: runtimeEnvironment(env),
    tracesEndpoint: tracesEndpoint(env),
    shutdownDrainMs: integer(env, AXON_ENV.shutdownDrainMs, 20_000, 0, 120_000),
    keyRefreshMs: integer(env, AXON_ENV.keyRefreshMs, 300_000, 1_000, 86_400_000),
    localSecretsDir: env[AXON_ENV.localSecretsDir]?.trim() || undefined,
    replayTableName: env[AXON_ENV.replayTableName]?.trim() || undefined,
    replayTimeoutMs: integer(env, AXON_ENV.replayTimeoutMs, 1_000, 10, 5_000),
    decisionTokenKeys: decisionTokenKeys(env),
  };
}

function decisionTokenKeys(env: Env): AxonConfig['decisionTokenKeys'] {
  const keyIds = (env[AXON_ENV.decisionTokenKeyId] ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (keyIds.length > 0) return { kind: 'kms', keyIds };
  const file = env[AXON_ENV.decisionTokenLocalKeyFile]?.trim();
  if (file) return { kind: 'local', file };
  if (runtimeEnvironment(env) !== 'local') {
    throw new ServiceConfigError(
      AXON_ENV.decisionTokenKeyId,
      'must list the decision-token KMS key ARNs outside ENVIRONMENT=local',
    );
  }
  return undefined;
}
