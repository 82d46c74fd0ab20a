import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseRoleMapping } from '../../../contracts/admin-roles.js';
import {
  isRuntimeEnvironment,
  RUNTIME_ENVIRONMENTS,
  type RuntimeEnvironment,
} from '../../../contracts/environments.js';
import { ADMIN_FUNCTION_ENV as ENV } from '../../../contracts/service-env.js';
import { PolicyStore } from '../store/index.js';
import { createAdminHandler } from './http.js';
import { RoleStore } from './role-store.js';
import { AdminService } from './service.js';

/**
 * Configuration from the Lambda environment: `POLICY_TABLE_NAME`, `ENVIRONMENT`, and
 * `ADMIN_ROLES` (JSON `{"admins":[...],"editors":[...],"viewers":[...]}` of IAM ARN patterns, the
 * mapping in force until an admin stores one). Throws on a bad value so the function fails at init.
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
  const service = new AdminService({
    store: new PolicyStore({ client, tableName }),
    roles: new RoleStore(client, tableName),
    configuredRoles: parseRoleMapping(roles),
  });
  return { service, environment };
}

const { service, environment } = adminServiceFromEnvironment();

/** The Lambda entry point behind the admin function URL. */
export const handler = createAdminHandler(service, environment);
