import { parseCallerNames } from '../../contracts/caller-names.js';
import type { RuntimeEnvironment } from '../../contracts/environments.js';
import { ORBIT_ENV } from '../../contracts/service-env.js';
import {
  awsRegion,
  type Env,
  httpUrl,
  integer,
  type LogLevel,
  listenHost,
  logLevel,
  requiredString,
  runtimeEnvironment,
  tracesEndpoint,
} from '../shared/config.js';
import type { AuthSettings } from './auth.js';
import { parseRateLimits, type RateLimits } from './rate-limit.js';

/** Every caller, every intent class: 50 requests/s sustained, bursts of 100, per Orbit task. */
export const DEFAULT_RATE_LIMITS = '{"default":{"*":{"perSecond":50,"burst":100}}}';

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
  readonly environment: RuntimeEnvironment;
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
  readonly auth: AuthSettings;
  readonly rateLimits: RateLimits;
}

function optional(env: Env, name: string): string | undefined {
  return env[name]?.trim() || undefined;
}

/** Who may call: `AUTH_*` variables (see README "Caller authentication"). */
export function loadAuthSettings(env: Env): AuthSettings {
  const callerNames = optional(env, ORBIT_ENV.callerNames);
  return {
    issuer: requiredString(env, ORBIT_ENV.authIssuer),
    jwksUrl: httpUrl(env, ORBIT_ENV.authJwksUrl),
    audience: optional(env, ORBIT_ENV.authAudience),
    clientIdClaim: optional(env, ORBIT_ENV.authClientIdClaim) ?? 'client_id',
    tenantClaim: optional(env, ORBIT_ENV.authTenantClaim),
    requiredClaims: (optional(env, ORBIT_ENV.authRequiredClaims) ?? '')
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
    clockToleranceS: integer(env, ORBIT_ENV.authClockToleranceS, 60, 0, 300),
    jwksCacheMaxAgeMs: integer(env, ORBIT_ENV.authJwksCacheMaxAgeMs, 600_000, 1_000, 86_400_000),
    jwksCooldownMs: integer(env, ORBIT_ENV.authJwksCooldownMs, 30_000, 0, 3_600_000),
    callerNames: callerNames === undefined ? undefined : parseCallerNames(callerNames),
  };
}

export function loadOrbitConfig(env: Env): OrbitConfig {
  return {
    port: integer(env, ORBIT_ENV.port, 8080, 0, 65535),
    host: listenHost(env),
    region: awsRegion(env),
    axonUrl: httpUrl(env, ORBIT_ENV.axonUrl),
    governanceFunctionName: requiredString(env, ORBIT_ENV.governanceFunctionName),
    governanceTimeoutMs: integer(env, ORBIT_ENV.governanceTimeoutMs, 1_000, 50, 30_000),
    governanceCacheTtlMs: integer(env, ORBIT_ENV.governanceCacheTtlMs, 5_000, 0, 300_000),
    signingSecretId: requiredString(env, ORBIT_ENV.signingSecretId),
    logLevel: logLevel(env),
    environment: runtimeEnvironment(env),
    tracesEndpoint: tracesEndpoint(env),
    shutdownDrainMs: integer(env, ORBIT_ENV.shutdownDrainMs, 20_000, 0, 120_000),
    keyRefreshMs: integer(env, ORBIT_ENV.keyRefreshMs, 300_000, 1_000, 86_400_000),
    axonTimeoutMs: integer(env, ORBIT_ENV.axonTimeoutMs, 2_000, 10, 60_000),
    axonRetries: integer(env, ORBIT_ENV.axonRetries, 2, 0, 10),
    breakerThreshold: integer(env, ORBIT_ENV.breakerThreshold, 5, 1, 1_000),
    breakerHalfOpenMs: integer(env, ORBIT_ENV.breakerHalfOpenMs, 10_000, 100, 600_000),
    localSecretsDir: env[ORBIT_ENV.localSecretsDir]?.trim() || undefined,
    auth: loadAuthSettings(env),
    rateLimits: parseRateLimits(optional(env, ORBIT_ENV.rateLimits) ?? DEFAULT_RATE_LIMITS),
  };
}
