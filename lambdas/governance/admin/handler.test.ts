import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import type { PolicyDocument } from '../engine/index.js';

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

describe('impact settings', () => {
  const logs = mockClient(CloudWatchLogsClient);
  const LOG_GROUP = '/aws/lambda/axon-orbit-prod-governance-decide';
  const allow = {
    version: 1,
    statements: [{ id: 'all', effect: 'allow', principals: ['orbit'], actions: ['reason:*'] }],
  } as PolicyDocument;
  const revisions = {
    revision: async (_set: string, n: number) => (n === 1 ? allow : undefined),
    head: async () => ({ revision: 1, document: allow }),
  };
  const env = { DECISION_LOG_GROUP: LOG_GROUP, IMPACT_MAX_FLIPS: '0', IMPACT_WINDOW_HOURS: '24' };
  // The module builds its handler from process.env at import, as Lambda loads it.
  const load = async () => {
    Object.assign(process.env, { POLICY_TABLE_NAME: 'policies', ENVIRONMENT: 'dev', ADMIN_ROLES: ROLES });
    return (await import('./handler.js')).impactGateFromEnvironment;
  };

  it('replays the decision log group through Logs Insights over the configured window', async () => {
    logs.reset();
    logs.on(StartQueryCommand).resolves({ queryId: 'q1' });
    const message = JSON.stringify({
      level: 'INFO',
      message: 'decision',
      decisionId: 'd1',
      input: { service: 'orbit', intent: 'reason:deep' },
      time: '2026-01-05T12:00:00.000Z',
      environment: 'prod',
      policySet: 'default',
      result: { allowed: true, reason: 'allowed by statement all', statementId: 'all', policyRevision: 1 },
    });
    logs.on(GetQueryResultsCommand).resolves({
      status: 'Complete',
      results: [
        [
          { field: '@timestamp', value: '2026-01-05 12:00:00.003' },
          { field: '@message', value: message },
        ],
      ],
      statistics: { recordsMatched: 1 },
    });
    const impactGateFromEnvironment = await load();
    const gate = impactGateFromEnvironment(env, revisions);
    expect(gate?.maxFlips).toBe(0);
    const impact = await gate?.measure({ version: 1, statements: [] });
    expect(impact?.totals).toMatchObject({ replayed: 1, flips: 1, allowToDeny: 1 });
    const started = logs.commandCalls(StartQueryCommand)[0]?.args[0].input;
    expect(started?.logGroupName).toBe(LOG_GROUP);
    // Whole seconds, both ends inclusive: the last 24 hours up to the second now falls in.
    const seconds = (started?.endTime ?? 0) - (started?.startTime ?? 0) + 1;
    expect([24 * 3600, 24 * 3600 + 1]).toContain(seconds);
    expect(impact?.source).toMatch(new RegExp(`^${LOG_GROUP}, .+Z to .+Z$`));
  });

  it('is off without a log group, and refuses bad numbers at init', async () => {
    const impactGateFromEnvironment = await load();
    expect(impactGateFromEnvironment({}, revisions)).toBeUndefined();
    expect(() => impactGateFromEnvironment({ ...env, IMPACT_MAX_FLIPS: '-1' }, revisions)).toThrow(
      `IMPACT_MAX_FLIPS must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}, got "-1"`,
    );
    expect(() => impactGateFromEnvironment({ ...env, IMPACT_WINDOW_HOURS: '' }, revisions)).toThrow(
      'IMPACT_WINDOW_HOURS must be an integer from 1 to 9600, got ""',
    );
  });
});
