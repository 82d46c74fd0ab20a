import { describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { loadGithubConfig } from '../lib/config/cicd.js';
import { ConfigError, type EnvironmentName } from '../lib/config/index.js';
import { createDrillCommand, ForcedAlarms } from '../scripts/ops/drill-checks.js';
import { verifyCommand } from '../scripts/ops/verify-checks.js';
import { sharedAssembly, stackTemplate } from './support/assembly.js';
import { GITHUB_REPOSITORY as REPO, STAGING_OIDC_PROVIDER_ARN } from './support/platform.js';

// The shared assembly builds a cicd-<env> stage per environment: it names the repository, and staging
// an existing OIDC provider.
const template = (name: EnvironmentName): Template => stackTemplate(`cicd-${name}`, 'Cicd');

type Role = {
  Properties: {
    RoleName: string;
    MaxSessionDuration: number;
    AssumeRolePolicyDocument: { Statement: { Action: string; Condition: unknown; Principal: unknown }[] };
  };
};
const role = (name: EnvironmentName, kind: 'deploy' | 'diff' | 'policy-impact') => {
  const found = Object.values(template(name).findResources('AWS::IAM::Role')).find(
    (r) => (r as Role).Properties.RoleName === `axon-orbit-${name}-github-${kind}`,
  ) as Role | undefined;
  if (!found) throw new Error(`no ${kind} role in ${name}`);
  return found;
};
type Statement = { Sid: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const policyStatements = (name: EnvironmentName, roleLogicalPrefix: string): Statement[] => {
  const policies = Object.entries(template(name).findResources('AWS::IAM::ManagedPolicy')) as [
    string,
    { Properties: { PolicyDocument: { Statement: Statement[] } } },
  ][];
  const [, policy] = policies.find(([id]) => id.startsWith(roleLogicalPrefix)) ?? [];
  if (!policy) throw new Error(`no policy ${roleLogicalPrefix}`);
  return policy.Properties.PolicyDocument.Statement;
};

describe('CicdStack', () => {
  const workflow = (file: string, ref: string) => `job_workflow_ref:${REPO}/.github/workflows/${file}@${ref}`;

  it('trusts only deploy-environment.yml on main, in the matching GitHub environment', () => {
    for (const name of ['staging', 'prod'] as const) {
      const [statement, ...others] = role(name, 'deploy').Properties.AssumeRolePolicyDocument.Statement;
      expect(others).toEqual([]);
      expect(statement?.Action).toBe('sts:AssumeRoleWithWebIdentity');
      expect(statement?.Condition).toEqual({
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
        StringLike: {
          'token.actions.githubusercontent.com:sub': `repo:${REPO}:environment:${name}:${workflow('deploy-environment.yml', 'refs/heads/main')}`,
        },
      });
    }
    const [dev] = role('dev', 'deploy').Properties.AssumeRolePolicyDocument.Statement;
    expect(dev?.Condition).toMatchObject({
      StringLike: {
        'token.actions.githubusercontent.com:sub': [
          `repo:${REPO}:environment:dev:${workflow('deploy-environment.yml', 'refs/heads/main')}`,
          `repo:${REPO}:environment:dev:${workflow('build.yml', 'refs/heads/main')}`,
          `repo:${REPO}:environment:dev:${workflow('build.yml', 'refs/tags/v*')}`,
        ],
      },
    });
  });

  it('creates the read-only diff role only in the diff environment, bound to pr-diff.yml, never in prod', () => {
    const [statement] = role('dev', 'diff').Properties.AssumeRolePolicyDocument.Statement;
    expect(statement?.Condition).toEqual({
      StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
      StringLike: {
        'token.actions.githubusercontent.com:sub': `repo:${REPO}:pull_request:${workflow('pr-diff.yml', 'refs/pull/*/merge')}`,
      },
    });
    const statements = policyStatements('dev', 'DiffPolicy');
    expect(statements.map((s) => s.Action)).toEqual([
      ['sts:AssumeRole', 'sts:TagSession'],
      'ecs:DescribeServices',
      'ecs:DescribeTaskDefinition',
    ]);
    expect(JSON.stringify(statements[0]?.Resource)).toContain('cdk-hnb659fds-lookup-role-');
    expect(() => role('staging', 'diff')).toThrow('no diff role in staging');
    expect(() => role('prod', 'diff')).toThrow('no diff role in prod');
    expect(() =>
      loadGithubConfig('prod', { GITHUB_REPOSITORY: REPO, GITHUB_DIFF_ENVIRONMENT: 'prod' }),
    ).toThrow(/GITHUB_DIFF_ENVIRONMENT must be dev or staging \(pull requests never read the prod account\)/);
  });

  it('gives the policy gate a staging-only role that can query the decision log and nothing else', () => {
    const [statement] = role('staging', 'policy-impact').Properties.AssumeRolePolicyDocument.Statement;
    expect(statement?.Condition).toMatchObject({
      StringLike: {
        'token.actions.githubusercontent.com:sub': `repo:${REPO}:pull_request:${workflow('policy-gate.yml', 'refs/pull/*/merge')}`,
      },
    });
    const statements = policyStatements('staging', 'PolicyImpactPolicy');
    expect(statements.map((s) => s.Action)).toEqual([
      'logs:StartQuery',
      ['logs:GetQueryResults', 'logs:StopQuery'],
    ]);
    expect(JSON.stringify(statements[0]?.Resource)).toContain(
      ':log-group:/aws/lambda/axon-orbit-staging-governance-decide:*',
    );
    expect(() => role('prod', 'policy-impact')).toThrow();
  });

  it('bounds the CloudFormation execution role so no deployed change can edit the pipeline trust', () => {
    const policies = template('prod').findResources('AWS::IAM::ManagedPolicy', {
      Properties: { ManagedPolicyName: 'axon-orbit-prod-cdk-execution-boundary' },
    });
    const [boundary] = Object.values(policies) as {
      Properties: { PolicyDocument: { Statement: Statement[] } };
    }[];
    const statements = boundary?.Properties.PolicyDocument.Statement ?? [];
    const denied = JSON.stringify(statements.filter((s) => (s as { Effect?: string }).Effect === 'Deny'));
    for (const protectedArn of [
      ':role/axon-orbit-prod-github-*',
      ':role/cdk-hnb659fds-*',
      ':policy/axon-orbit-prod-cicd-*',
      ':policy/axon-orbit-prod-cdk-execution-boundary',
      ':oidc-provider/token.actions.githubusercontent.com',
      ':stack/axon-orbit-prod-cicd/*',
      ':stack/CDKToolkit/*',
    ]) {
      expect(denied).toContain(protectedArn);
    }
    expect(template('prod').findOutputs('ExecutionBoundaryName')).toBeDefined();
  });

  it('lets a cancelled run cancel its own stage update, and the smoke test read the listener protocol', () => {
    const statements = policyStatements('prod', 'DeployPolicy');
    const cancel = statements.find((s) => s.Sid === 'CancelOwnStackUpdates');
    expect(cancel?.Action).toBe('cloudformation:CancelUpdateStack');
    expect(JSON.stringify(cancel?.Resource)).toContain(':stack/axon-orbit-prod-*/*');
    const reads = statements.find((s) => s.Sid === 'ReadTaskDefinitionsAndLoadBalancers');
    expect(reads?.Action).toEqual(
      expect.arrayContaining(['elasticloadbalancing:DescribeListeners', 'cloudformation:DescribeStacks']),
    );
  });

  it('lets the deploy role run npm run verify everywhere and npm run drill in dev only', () => {
    const granted = (name: EnvironmentName) =>
      new Set(
        ['DeployPolicy', 'OperatorChecksPolicy'].flatMap((p) =>
          policyStatements(name, p).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])),
        ),
      );
    // GetCallerIdentity needs no permission.
    const needed = (permissions: readonly string[]) =>
      permissions.filter((p) => p !== 'sts:GetCallerIdentity');
    for (const name of ['dev', 'staging', 'prod'] as const) {
      const actions = granted(name);
      expect(needed(verifyCommand.permissions).filter((p) => !actions.has(p))).toEqual([]);
    }
    const drill = needed(createDrillCommand(new ForcedAlarms()).permissions);
    expect(drill.filter((p) => !granted('dev').has(p))).toEqual([]);
    expect(granted('prod').has('cloudwatch:SetAlarmState')).toBe(false);
  });

  it('lets the deploy role assume exactly the four CDK bootstrap roles of its own account and region', () => {
    const assume = policyStatements('prod', 'DeployPolicy').find((s) => s.Sid === 'AssumeCdkBootstrapRoles');
    const resources = ((assume?.Resource ?? []) as unknown[]).map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(4);
    for (const kind of ['deploy', 'file-publishing', 'image-publishing', 'lookup']) {
      expect(
        resources.some((r) => r.includes(`:role/cdk-hnb659fds-${kind}-role-123456789012-eu-west-1`)),
      ).toBe(true);
    }
  });

  it('grants nothing that could change IAM or reach another environment', () => {
    const text = JSON.stringify(policyStatements('prod', 'DeployPolicy'));
    expect(text).not.toMatch(/"iam:(Create|Put|Attach|Update|Delete)/);
    expect(text).not.toContain('axon-orbit-dev');
    expect(text).not.toContain('axon-orbit-staging');
    const passRole = policyStatements('prod', 'DeployPolicy').find((s) => s.Sid === 'PassOwnTaskRolesToEcs');
    expect(passRole?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
  });

  it("reads smoke-test output only from Orbit's own log group", () => {
    const logs = policyStatements('prod', 'DeployPolicy').find((s) => s.Sid === 'ReadSmokeTaskOutput');
    expect(logs?.Action).toBe('logs:GetLogEvents');
    expect(JSON.stringify(logs?.Resource)).toContain(':log-group:/axon-orbit-prod/orbit:log-stream:*');
  });

  it('publishes the role ARNs for the GitHub variables and the boundary name for the bootstrap', () => {
    expect(Object.keys(template('dev').findOutputs('*')).sort()).toEqual([
      'DeployRoleArn',
      'DiffRoleArn',
      'ExecutionBoundaryName',
    ]);
    expect(Object.keys(template('staging').findOutputs('*')).sort()).toEqual([
      'DeployRoleArn',
      'ExecutionBoundaryName',
      'PolicyImpactRoleArn',
    ]);
  });

  it('limits sessions to one hour', () => {
    expect(role('prod', 'deploy').Properties.MaxSessionDuration).toBe(3600);
    expect(role('dev', 'diff').Properties.MaxSessionDuration).toBe(3600);
  });

  it('creates the GitHub OIDC provider, or imports the one an account already has', () => {
    template('prod').hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
    template('staging').resourceCountIs('AWS::IAM::OIDCProvider', 0);
    template('staging').hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Federated: STAGING_OIDC_PROVIDER_ARN } }),
        ]),
      },
    });
  });

  it('passes the compliance packs without unacknowledged findings', () => {
    const ours = sharedAssembly().violations.filter((v) => /(^|\/)cicd-/.test(v.path));
    expect(ours.map((v) => `${v.rule} at ${v.path}`)).toEqual([]);
  });
});

describe('loadGithubConfig', () => {
  it('builds no CI/CD stack when no repository is named', () => {
    expect(loadGithubConfig('dev', {})).toBeUndefined();
    expect(loadGithubConfig('dev', { GITHUB_REPOSITORY: '  ' })).toBeUndefined();
  });

  it('reads the repository GitHub Actions exports', () => {
    expect(loadGithubConfig('dev', { GITHUB_REPOSITORY: REPO })).toEqual({
      repository: REPO,
      oidcProviderArn: undefined,
      diffEnvironment: 'dev',
    });
  });

  it.each([
    'acme',
    'acme/',
    '/repo',
    'acme/repo/extra',
    '-acme/repo',
    'acme/..',
    'acme/re po',
    'acme/repo:environment:prod',
    'acme/*',
  ])('rejects the repository "%s" naming the variable', (repository) => {
    expect(() => loadGithubConfig('dev', { GITHUB_REPOSITORY: repository })).toThrow(ConfigError);
    expect(() => loadGithubConfig('dev', { GITHUB_REPOSITORY: repository })).toThrow(
      /^Invalid configuration: GITHUB_REPOSITORY must be a GitHub repository as owner\/name/,
    );
  });

  it('rejects a provider ARN of another issuer', () => {
    expect(() =>
      loadGithubConfig('prod', {
        GITHUB_REPOSITORY: REPO,
        PROD_GITHUB_OIDC_PROVIDER_ARN: 'arn:aws:iam::123456789012:oidc-provider/example.com',
      }),
    ).toThrow(/PROD_GITHUB_OIDC_PROVIDER_ARN must be the ARN of the account's GitHub OIDC provider/);
  });
});
