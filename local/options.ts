import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { POLICY_SET_PATTERN } from '../lambdas/governance/store/index.js';
import type { PlatformOptions } from './platform.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The variable that picks each component's port: what a "port in use" message tells the user to set. */
export const PORT_VARIABLES: Readonly<Record<string, string>> = {
  orbit: 'ORBIT_PORT',
  axon: 'AXON_PORT',
  lambda: 'LOCAL_LAMBDA_PORT',
  dynamo: 'LOCAL_DYNAMODB_PORT',
};

/** The Lambda's compiled-policy cache on this machine: short, so a pushed policy shows within a second. */
export const LOCAL_POLICY_CACHE_TTL_MS = 1_000;

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535)
    throw new Error(`${name} must be a port number 0-65535, got "${raw}"`);
  return value;
}

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max)
    throw new Error(`${name} must be an integer from 0 to ${max} (milliseconds), got "${raw}"`);
  return Number(raw);
}

/** Where `npm start` appends its decisions (`LOCAL_DECISION_LOG`; `off` keeps none). */
function decisionLogPath(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.LOCAL_DECISION_LOG;
  if (raw === 'off') return undefined;
  return resolve(raw || resolve(REPO_ROOT, '.local/decisions.jsonl'));
}

/** `npm start` settings from the environment; every variable is documented in README ("Local platform"). */
export function platformOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): PlatformOptions {
  const signingKey = env.LOCAL_SIGNING_KEY || undefined;
  if (signingKey !== undefined && Buffer.from(signingKey, 'base64').length < 32) {
    throw new Error('LOCAL_SIGNING_KEY must be base64 of at least 32 bytes (e.g. `openssl rand -base64 32`)');
  }
  const signingKeyId = env.LOCAL_SIGNING_KEY_ID || `local-${randomBytes(4).toString('hex')}`;
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(signingKeyId)) {
    throw new Error(`LOCAL_SIGNING_KEY_ID must be 1-128 of A-Z a-z 0-9 . _ -, got "${signingKeyId}"`);
  }
  const policySet = env.POLICY_SET_NAME || 'default';
  if (!POLICY_SET_PATTERN.test(policySet)) {
    throw new Error(`POLICY_SET_NAME must match ${POLICY_SET_PATTERN.source}, got "${policySet}"`);
  }
  return {
    orbitPort: port(env, PORT_VARIABLES.orbit as string, 8080),
    axonPort: port(env, PORT_VARIABLES.axon as string, 8081),
    lambdaPort: port(env, PORT_VARIABLES.lambda as string, 9001),
    dynamoPort: port(env, PORT_VARIABLES.dynamo as string, 8000),
    region: env.AWS_REGION || 'eu-west-1',
    secretsDir: resolve(env.LOCAL_SECRETS_DIR || resolve(REPO_ROOT, '.local/secrets')),
    signingKey,
    signingKeyId,
    logLevel: env.LOG_LEVEL || 'info',
    logs: 'inherit',
    policySet,
    policyCacheTtlMs: milliseconds(env, 'POLICY_CACHE_TTL_MS', LOCAL_POLICY_CACHE_TTL_MS, 300_000),
    decisionLog: decisionLogPath(env),
    serviceEnv: {},
  };
}
