import {
  isRuntimeEnvironment,
  RUNTIME_ENVIRONMENTS,
  type RuntimeEnvironment,
} from '../../contracts/environments.js';
import { SERVICE_ENV } from '../../contracts/service-env.js';

/** Reading service configuration from the process environment: one clear error per bad variable. */
export class ServiceConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ServiceConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export function requiredString(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ServiceConfigError(name, 'is required');
  return value;
}

export function optionalString(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value ? value : fallback;
}

export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!/^\d+$/.test(raw))
    throw new ServiceConfigError(name, `must be an integer between ${min} and ${max}, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) {
    throw new ServiceConfigError(name, `must be an integer between ${min} and ${max}, got ${value}`);
  }
  return value;
}

export function httpUrl(env: Env, name: string): URL {
  const raw = requiredString(env, name);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ServiceConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ServiceConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
  return url;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function logLevel(env: Env, name: string = SERVICE_ENV.logLevel): LogLevel {
  const raw = optionalString(env, name, 'info');
  if (!(LEVELS as readonly string[]).includes(raw)) {
    throw new ServiceConfigError(name, `must be one of ${LEVELS.join(', ')}, got "${raw}"`);
  }
  return raw as LogLevel;
}

/** `HOST` to listen on: all interfaces in a container (default), loopback on the local platform. */
export function listenHost(env: Env): string {
  const host = optionalString(env, SERVICE_ENV.host, '0.0.0.0');
  if (!/^[0-9a-fA-F:.]+$/.test(host) && host !== 'localhost') {
    throw new ServiceConfigError(SERVICE_ENV.host, `must be an IP address or localhost, got "${host}"`);
  }
  return host;
}

/** The same AWS region rule everywhere: `AWS_REGION`, else `AWS_DEFAULT_REGION`, else refuse. */
export function awsRegion(env: Env): string {
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim();
  if (!region) throw new ServiceConfigError('AWS_REGION', 'is required');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
    throw new ServiceConfigError('AWS_REGION', `must look like eu-west-1, got "${region}"`);
  }
  return region;
}

/** `ENVIRONMENT`: the `Environment` dimension of every metric; `local` when unset. */
export function runtimeEnvironment(env: Env): RuntimeEnvironment {
  const raw = optionalString(env, SERVICE_ENV.environment, 'local');
  if (!isRuntimeEnvironment(raw)) {
    throw new ServiceConfigError(
      SERVICE_ENV.environment,
      `must be one of ${RUNTIME_ENVIRONMENTS.join(', ')}, got "${raw}"`,
    );
  }
  return raw;
}

/** `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` of the collector sidecar; tracing is off when unset. */
export function tracesEndpoint(env: Env): string | undefined {
  return env[SERVICE_ENV.tracesEndpoint]?.trim() ? httpUrl(env, SERVICE_ENV.tracesEndpoint).href : undefined;
}
