import { describe, expect, it } from '@jest/globals';

const ROLES = JSON.stringify({ admins: ['arn:aws:iam::111111111111:role/admin'], editors: [], viewers: [] });

describe('admin handler configuration', () => {
  it('builds the handler from POLICY_TABLE_NAME, ENVIRONMENT and ADMIN_ROLES at init', async () => {
    Object.assign(process.env, { POLICY_TABLE_NAME: 'policies', ENVIRONMENT: 'dev', ADMIN_ROLES: ROLES });
    const { handler, adminServiceFromEnvironment } = await import('./handler.js');
    expect(typeof handler).toBe('function');
    const env = { POLICY_TABLE_NAME: 'policies', ENVIRONMENT: 'dev', ADMIN_ROLES: ROLES };
    expect(adminServiceFromEnvironment(env).environment).toBe('dev');
    expect(() => adminServiceFromEnvironment({ ...env, POLICY_TABLE_NAME: '' })).toThrow(
      'POLICY_TABLE_NAME must name the policy table',
    );
    expect(() => adminServiceFromEnvironment({ ...env, ENVIRONMENT: 'qa' })).toThrow(
      'ENVIRONMENT must be one of dev, staging, prod, local, got "qa"',
    );
    expect(() => adminServiceFromEnvironment({ ...env, ADMIN_ROLES: '{' })).toThrow(
      /^ADMIN_ROLES must be JSON/,
    );
    expect(() => adminServiceFromEnvironment({ ...env, ADMIN_ROLES: '{"admins":[]}' })).toThrow(
      'roles.editors must be an array',
    );
  });
});
