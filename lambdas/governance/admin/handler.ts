import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseRoleMapping } from '../../../contracts/admin-roles.js';
import {
  isRuntimeEnvironment,
  RUNTIME_ENVIRONMENTS,
  type RuntimeEnvironment,
} from '../../../contracts/environments.js';
import { ADMIN_FUNCTION_ENV as ENV } from '../../../contracts/service-env.js';
import { insightsSource, type RevisionSource, storeRevisions } from '../impact/index.js';
import { PolicyStore } from '../store/index.js';
import { createAdminHandler } from './http.js';
import { ImpactGate } from './impact-gate.js';
import { RoleStore } from './role-store.js';
import { AdminService } from './service.js';

const MAX_WINDOW_HOURS = 400 * 24;

function integerOf(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number {
  const raw = env[name] ?? '';
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/**
 * Dry-run impact and the put gate replay the decision function's log group through Logs Insights:
 * `DECISION_LOG_GROUP`, `IMPACT_MAX_FLIPS`, `IMPACT_WINDOW_HOURS`. Without a log group, there is no
 * impact to compute and puts are not gated.
 */
export function impactGateFromEnvironment(
  env: NodeJS.ProcessEnv,
  revisions: RevisionSource,
): ImpactGate | undefined {
  const logGroup = env[ENV.decisionLogGroup];
  if (!logGroup) return undefined;
  const maxFlips = integerOf(env, ENV.impactMaxFlips, 0, Number.MAX_SAFE_INTEGER);
  const windowHours = integerOf(env, ENV.impactWindowHours, 1, MAX_WINDOW_HOURS);
  const logs = new CloudWatchLogsClient({ maxAttempts: 3 });
  return new ImpactGate({
    maxFlips,
    windowMs: windowHours * 3_600_000,
    revisions,
    decisions: (from, to) => ({
      source: `${logGroup}, ${new Date(from).toISOString()} to ${new Date(to).toISOString()}`,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      lines: (replay) => insightsSource({ client: logs, logGroup, from, to, replay }),
      // One client for the function's lifetime: nothing to release per request.
      close: () => {},
    }),
  });
}

/**
 * Configuration from the Lambda environment: `POLICY_TABLE_NAME`, `ENVIRONMENT`, `ADMIN_ROLES`
 * (JSON `{"admins":[...],"editors":[...],"viewers":[...]}` of IAM ARN patterns, the mapping in
 * force until an admin stores one) and the impact settings above. Throws on a bad value so the
 * function fails at init.
 */
export function adminServiceFromEnvironment(env: NodeJS.ProcessEnv = process.env): {
  service: AdminService;
  environment: RuntimeEnvironment;
} {
  const tableName = env[ENV.tableName];
  if (!tableName) throw new Error(`${ENV.tableName} must name the policy table`);
  const environment = env[ENV.environment];
  if (!isRuntimeEnvironment(environment)) {
    throw new Error(
      `${ENV.environment} must be one of ${RUNTIME_ENVIRONMENTS.join(', ')}, got "${environment}"`,
    );
  }
  let roles: unknown;
  try {
    roles = JSON.parse(env[ENV.roles] ?? '');
  } catch {
    throw new Error(`${ENV.roles} must be JSON: {"admins":[...],"editors":[...],"viewers":[...]}`);
  }
  const client = new DynamoDBClient({ maxAttempts: 3 });
  const store = new PolicyStore({ client, tableName });
  const service = new AdminService({
    store,
    roles: new RoleStore(client, tableName),
    configuredRoles: parseRoleMapping(roles),
    impact: impactGateFromEnvironment(env, storeRevisions(store)),
  });
  return { service, environment };
}

const { service, environment } = adminServiceFromEnvironment();

/** The Lambda entry point behind the admin function URL. */
export const handler = createAdminHandler(service, environment);
