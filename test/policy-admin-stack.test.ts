import { describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { validateGovernanceAdmin } from '../lib/config/governance-admin.js';
import { ConfigError, loadConfig, roleMappingOf } from '../lib/config/index.js';
import { REVISION_MUTATIONS } from '../lib/constructs/policy-admin.js';
import { sharedAssembly, stackTemplate } from './support/assembly.js';
import { TEST_PROCESS_ENV } from './support/platform.js';

function template(name: 'dev' | 'prod'): Template {
  return stackTemplate(name, 'PolicyAdmin');
}

interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
}

/** Every statement of the admin role's policies. */
function statements(t: Template): PolicyStatement[] {
  const policies = Object.values(t.findResources('AWS::IAM::Policy')) as {
    Properties: { PolicyDocument: { Statement: PolicyStatement[] } };
  }[];
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const actionsOf = (s: PolicyStatement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('PolicyAdminStack', () => {
  it('runs the admin handler as an arm64 Node 22+ function named outside the Orbit boundary pattern', () => {
    const t = template('dev');
    t.resourceCountIs('AWS::Lambda::Function', 1);
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'axon-orbit-dev-policy-admin',
      Architectures: ['arm64'],
      Runtime: Match.stringLikeRegexp('^nodejs(22|24)\\.x$'),
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          ENVIRONMENT: 'dev',
          POLICY_TABLE_NAME: Match.anyValue(),
          ADMIN_ROLES: JSON.stringify({
            admins: ['arn:aws:iam::*:role/axon-orbit-dev-policy-admin'],
            editors: ['arn:aws:iam::*:role/axon-orbit-dev-policy-editor'],
            viewers: ['arn:aws:iam::*:role/axon-orbit-dev-policy-viewer'],
          }),
        }),
      },
    });
    expect('axon-orbit-dev-policy-admin'.startsWith('axon-orbit-dev-governance')).toBe(false);
  });

  it('is reached through a function URL with AWS_IAM auth, so the handler sees the caller ARN', () => {
    const t = template('dev');
    t.resourceCountIs('AWS::Lambda::Url', 1);
    t.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    t.hasOutput('*', { Description: Match.stringLikeRegexp('^Policy admin API') });
  });

  it('may read the table and append revisions, and is explicitly denied updating or deleting them', () => {
    const all = statements(template('dev'));
    const allowed = all.filter((s) => s.Effect === 'Allow').flatMap(actionsOf);
    expect(allowed.filter((a) => a.startsWith('dynamodb:')).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
    ]);
    for (const mutation of REVISION_MUTATIONS) expect(allowed).not.toContain(mutation);
    const denied = all.filter((s) => s.Effect === 'Deny').flatMap(actionsOf);
    expect(denied).toEqual(
      expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']),
    );
    expect(allowed.filter((a) => a.startsWith('kms:')).sort()).toEqual([
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ]);
  });

  it("queries only the decision function's log group, and gets the environment's impact threshold", () => {
    const t = template('prod');
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'axon-orbit-prod-policy-admin',
      Environment: {
        Variables: Match.objectLike({
          DECISION_LOG_GROUP: '/aws/lambda/axon-orbit-prod-governance-decide',
          IMPACT_MAX_FLIPS: '0',
          IMPACT_WINDOW_HOURS: '24',
        }),
      },
    });
    const all = statements(t).filter((s) => s.Effect === 'Allow');
    const logs = all.filter((s) =>
      actionsOf(s).some(
        (a) => a.startsWith('logs:') && a !== 'logs:CreateLogStream' && a !== 'logs:PutLogEvents',
      ),
    );
    const resources = (s: PolicyStatement) => JSON.stringify((s as { Resource?: unknown }).Resource);
    const start = logs.find((s) => actionsOf(s).includes('logs:StartQuery'));
    expect(start && actionsOf(start)).toEqual(['logs:StartQuery']);
    expect(resources(start as PolicyStatement)).toContain(
      ':log-group:/aws/lambda/axon-orbit-prod-governance-decide"',
    );
    expect(resources(start as PolicyStatement)).toContain(
      ':log-group:/aws/lambda/axon-orbit-prod-governance-decide:*"',
    );
    expect(resources(start as PolicyStatement)).not.toMatch(/"\*"/);
    // The only logs actions beyond its own log stream: start a query there, read its results by id.
    expect(logs.flatMap(actionsOf).sort()).toEqual(['logs:GetQueryResults', 'logs:StartQuery']);
    const dev = template('dev');
    dev.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ IMPACT_MAX_FLIPS: '100' }) },
    });
  });

  it('names the role ARNs in the account when it is known (prod)', () => {
    const config = loadConfig('prod', TEST_PROCESS_ENV);
    expect(roleMappingOf(config.governanceAdmin, config.account).admins).toEqual([
      'arn:aws:iam::123456789012:role/axon-orbit-prod-policy-admin',
    ]);
    template('prod').hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ADMIN_ROLES: Match.stringLikeRegexp('123456789012:role/axon-orbit-prod-policy-admin'),
        }),
      },
    });
  });

  it('passes the compliance packs without unacknowledged findings', () => {
    const ours = sharedAssembly().violations.filter((v) => /\/PolicyAdmin\//.test(v.path));
    expect(ours.map((v) => `${v.rule} at ${v.path}`)).toEqual([]);
  });
});

describe('governanceAdmin config', () => {
  const impact = { maxFlips: 0, windowHours: 24 };
  it.each([
    [{ admins: ['ops team'], editors: [], viewers: [], impact }, 'dev.governanceAdmin.admins[0]'],
    [{ admins: [], editors: [], viewers: [], impact }, 'dev.governanceAdmin'],
    [{ admins: ['ops'], editors: ['arn:aws:s3:::bucket'], viewers: [], impact }, 'dev.governanceAdmin'],
    [
      { admins: ['ops'], editors: [], viewers: [], impact: { ...impact, maxFlips: -1 } },
      'dev.governanceAdmin.impact.maxFlips',
    ],
    [
      { admins: ['ops'], editors: [], viewers: [], impact: { ...impact, windowHours: 0.5 } },
      'dev.governanceAdmin.impact.windowHours',
    ],
    [
      { admins: ['ops'], editors: [], viewers: [], impact: { ...impact, windowHours: 9601 } },
      'dev.governanceAdmin.impact.windowHours',
    ],
  ])('rejects %j naming %s', (admin, field) => {
    expect(() => validateGovernanceAdmin('dev', admin)).toThrow(ConfigError);
    expect(() => validateGovernanceAdmin('dev', admin)).toThrow(`Invalid configuration: ${field} `);
  });
});
