import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ENVIRONMENTS, type Environment } from '../engine/index.js';
import { PolicyStore } from '../store/index.js';
import { createAdminHandler } from './http.js';
import { RoleStore } from './role-store.js';
import { parseRoleMapping } from './roles.js';
import { AdminService } from './service.js';

/**
 * Configuration from the Lambda environment: `POLICY_TABLE_NAME`, `ENVIRONMENT`, and
 * `ADMIN_ROLES` (JSON `{"admins":[...],"editors":[...],"viewers":[...]}` of IAM ARN patterns, the
 * mapping in force until an admin stores one). Throws on a bad value so the function fails at init.
 */
export function adminServiceFromEnvironment(env: NodeJS.ProcessEnv = process.env): {
  service: AdminService;
  environment: Environment;
} {
  const tableName = env.POLICY_TABLE_NAME;
  if (!tableName) throw new Error('POLICY_TABLE_NAME must name the policy table');
  const environment = env.ENVIRONMENT as Environment;
  if (!ENVIRONMENTS.includes(environment)) {
    throw new Error(`ENVIRONMENT must be one of ${ENVIRONMENTS.join(', ')}, got "${env.ENVIRONMENT}"`);
  }
  let roles: unknown;
  try {
    roles = JSON.parse(env.ADMIN_ROLES ?? '');
  } catch {
    throw new Error('ADMIN_ROLES must be JSON: {"admins":[...],"editors":[...],"viewers":[...]}');
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
