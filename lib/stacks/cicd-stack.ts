import { ArnFormat, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  GITHUB_OIDC_AUDIENCE,
  GITHUB_OIDC_HOST,
  type GithubConfig,
  githubDeployRoleName,
  githubSubject,
  WORKFLOWS,
} from '../config/cicd.js';
import type { EnvironmentConfig } from '../config/index.js';
import { acknowledge, acknowledgeGuard, acknowledgeWildcardResource } from '../nag.js';
import { decisionFunctionName } from './governance-stack.js';

/** The qualifier `cdk bootstrap` uses unless told otherwise; the deploy role may assume only its roles. */
export const CDK_BOOTSTRAP_QUALIFIER = 'hnb659fds';
const BOOTSTRAP_ROLE_KINDS = ['deploy', 'file-publishing', 'image-publishing', 'lookup'] as const;

export interface CicdStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly github: GithubConfig;
}

/**
 * What GitHub Actions needs in one environment's account: the GitHub OIDC provider (or the account's
 * existing one) and roles that only named workflows of this repository can assume, with short-lived
 * tokens and no stored keys. Subjects carry the workflow file (`job_workflow_ref`, see
 * `githubSubject`), so another workflow of the same repository reaching the same context gets nothing:
 *
 * - `<prefix>-github-deploy`, for deploy-environment.yml on main in the GitHub environment named
 *   after this one (its protection rules, e.g. prod approval, gate every use), and in dev also
 *   build.yml's publish job. It may assume the CDK bootstrap roles (CloudFormation does the
 *   deploying), copy signed images into this environment's ECR repositories, start the one-off
 *   smoke-test task inside the VPC, and cancel an update a cancelled run left behind.
 * - `<prefix>-github-diff`, only in the diff environment (never prod), for pr-diff.yml: the bootstrap
 *   lookup role (deployed templates) and the running task definition (its image tag).
 * - `<prefix>-github-policy-impact`, only in staging, for policy-gate.yml: Logs Insights queries of
 *   the decision function's log group.
 *
 * It also creates the permissions boundary `cdk bootstrap --custom-permissions-boundary` puts on the
 * CloudFormation execution role, so no stack change deployed through the pipeline can edit these
 * roles, the OIDC provider, this stack or the bootstrap roles: the pipeline cannot widen its own trust.
 */
export class CicdStack extends Stack {
  readonly provider: iam.IOidcProvider;
  readonly deployRole: iam.Role;
  readonly diffRole: iam.Role | undefined;
  readonly impactRole: iam.Role | undefined;
  readonly executionBoundary: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: CicdStackProps) {
    super(scope, id, props);
    const { config, github } = props;

    this.provider =
      github.oidcProviderArn === undefined
        ? new iam.OidcProviderNative(this, 'GithubOidcProvider', {
            url: `https://${GITHUB_OIDC_HOST}`,
            clientIds: [GITHUB_OIDC_AUDIENCE],
          })
        : iam.OidcProviderNative.fromOidcProviderArn(this, 'GithubOidcProvider', github.oidcProviderArn);

    this.deployRole = new iam.Role(this, 'DeployRole', {
      roleName: githubDeployRoleName(config.prefix),
      description: `GitHub Actions in environment "${config.name}" of ${github.repository}: cdk deploy, image promotion, smoke test`,
      assumedBy: this.githubPrincipal(this.deploySubjects(config, github)),
      maxSessionDuration: Duration.hours(1),
    });
    // Managed rather than inline policies: NIST 800-53 R5 asks for policies that can be reviewed alone.
    const deployPolicy = new iam.ManagedPolicy(this, 'DeployPolicy', {
      description: `What GitHub Actions may do when deploying ${config.name}`,
      roles: [this.deployRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'AssumeCdkBootstrapRoles',
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          resources: BOOTSTRAP_ROLE_KINDS.map((kind) => this.bootstrapRoleArn(kind)),
        }),
      ],
    });
    this.grantImagePromotion(deployPolicy, config.prefix);
    this.grantSmokeTest(deployPolicy, config.prefix);
    this.grantCancelUpdate(deployPolicy, config.prefix);
    this.grantOperatorChecks(config);

    this.diffRole = config.name === github.diffEnvironment ? this.createDiffRole(config, github) : undefined;
    this.impactRole = config.name === 'staging' ? this.createImpactRole(config, github) : undefined;
    this.executionBoundary = this.createExecutionBoundary(config);

    new CfnOutput(this, 'DeployRoleArn', {
      value: this.deployRole.roleArn,
      description: `GitHub environment "${config.name}" variable AWS_DEPLOY_ROLE_ARN`,
    });
    new CfnOutput(this, 'ExecutionBoundaryName', {
      value: this.executionBoundary.managedPolicyName,
      description: 'cdk bootstrap --custom-permissions-boundary <this name> (docs/setup.md)',
    });
  }

  /** deploy-environment.yml on main; in dev also build.yml publishing main and release builds. */
  private deploySubjects(config: EnvironmentConfig, github: GithubConfig): string[] {
    const context = `environment:${config.name}`;
    const subjects = [githubSubject(github.repository, context, WORKFLOWS.deploy, 'refs/heads/main')];
    if (config.name === 'dev') {
      subjects.push(
        githubSubject(github.repository, context, WORKFLOWS.build, 'refs/heads/main'),
        githubSubject(github.repository, context, WORKFLOWS.build, 'refs/tags/v*'),
      );
    }
    return subjects;
  }

  private createDiffRole(config: EnvironmentConfig, github: GithubConfig): iam.Role {
    const role = new iam.Role(this, 'DiffRole', {
      roleName: `${config.prefix}-github-diff`,
      description: `pr-diff.yml of ${github.repository}: cdk diff against ${config.name} (read-only)`,
      assumedBy: this.githubPrincipal([
        githubSubject(github.repository, 'pull_request', WORKFLOWS.diff, 'refs/pull/*/merge'),
      ]),
      maxSessionDuration: Duration.hours(1),
    });
    const policy = new iam.ManagedPolicy(this, 'DiffPolicy', {
      description: `Read-only cdk diff of ${config.name} from pull requests`,
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'AssumeCdkLookupRole',
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          resources: [this.bootstrapRoleArn('lookup')],
        }),
      ],
    });
    const services = this.formatArn({
      service: 'ecs',
      resource: 'service',
      resourceName: `${config.prefix}/*`,
    });
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'ReadRunningImageTag',
        actions: ['ecs:DescribeServices'],
        resources: [services],
      }),
      new iam.PolicyStatement({
        sid: 'ReadTaskDefinitions',
        actions: ['ecs:DescribeTaskDefinition'],
        resources: ['*'],
      }),
    );
    acknowledgeWildcardResource(policy, services, "Services of this environment's cluster only");
    acknowledgeWildcardResource(policy, '*', 'ecs:DescribeTaskDefinition has no resource-level permissions');
    new CfnOutput(this, 'DiffRoleArn', {
      value: role.roleArn,
      description: 'Repository variable AWS_DIFF_ROLE_ARN (pull-request cdk diff)',
    });
    return role;
  }

  /** `governance impact --since 24h --env staging` reads the decision log through Logs Insights. */
  private createImpactRole(config: EnvironmentConfig, github: GithubConfig): iam.Role {
    const role = new iam.Role(this, 'PolicyImpactRole', {
      roleName: `${config.prefix}-github-policy-impact`,
      description: `policy-gate.yml of ${github.repository}: replay ${config.name} decisions (read-only)`,
      assumedBy: this.githubPrincipal([
        githubSubject(github.repository, 'pull_request', WORKFLOWS.policyGate, 'refs/pull/*/merge'),
      ]),
      maxSessionDuration: Duration.hours(1),
    });
    const decisionLog = this.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `/aws/lambda/${decisionFunctionName(config)}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const policy = new iam.ManagedPolicy(this, 'PolicyImpactPolicy', {
      description: `Logs Insights queries of the ${config.name} decision log, for the policy gate`,
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'QueryDecisionLog',
          actions: ['logs:StartQuery'],
          resources: [decisionLog],
        }),
        new iam.PolicyStatement({
          sid: 'ReadQueryResults',
          actions: ['logs:GetQueryResults', 'logs:StopQuery'],
          resources: ['*'],
        }),
      ],
    });
    acknowledgeWildcardResource(policy, decisionLog, "The decision function's own log group and its streams");
    acknowledgeWildcardResource(
      policy,
      '*',
      'Query results and StopQuery are addressed by query id, not by resource',
    );
    new CfnOutput(this, 'PolicyImpactRoleArn', {
      value: role.roleArn,
      description: 'Repository variable AWS_POLICY_IMPACT_ROLE_ARN (policy gate on pull requests)',
    });
    return role;
  }

  /**
   * The ceiling on what CloudFormation may do for any stack deployed through the bootstrap roles.
   * It allows everything the execution policies grant, except touching the pipeline's own trust:
   * the GitHub roles and their policies, the OIDC provider, this stack, the bootstrap stack and roles
   * (which could drop the boundary), and the boundary itself.
   */
  private createExecutionBoundary(config: EnvironmentConfig): iam.ManagedPolicy {
    const arn = (service: string, resource: string, resourceName: string, region = this.region) =>
      this.formatArn({ service, region, resource, resourceName });
    const iamArn = (resource: string, resourceName: string) => arn('iam', resource, resourceName, '');
    const boundaryName = `${config.prefix}-cdk-execution-boundary`;
    const boundary = new iam.ManagedPolicy(this, 'ExecutionBoundary', {
      managedPolicyName: boundaryName,
      description: `Permissions boundary of the CDK execution role (${config.name}): no change to the pipeline's own trust`,
      statements: [
        new iam.PolicyStatement({ sid: 'CeilingOnly', actions: ['*'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'ProtectPipelineIdentities',
          effect: iam.Effect.DENY,
          actions: ['iam:*'],
          resources: [
            iamArn('role', `${config.prefix}-github-*`),
            iamArn('role', `cdk-${CDK_BOOTSTRAP_QUALIFIER}-*`),
            iamArn('policy', `${config.prefix}-cicd-*`),
            iamArn('policy', boundaryName),
            iamArn('oidc-provider', GITHUB_OIDC_HOST),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'ProtectPipelineStacks',
          effect: iam.Effect.DENY,
          actions: ['cloudformation:*'],
          resources: [
            arn('cloudformation', 'stack', `${this.stackName}/*`),
            arn('cloudformation', 'stack', 'CDKToolkit/*'),
          ],
        }),
      ],
    });
    const ceiling =
      'A permissions boundary is a ceiling, not a grant: Allow * leaves the execution policies to decide, the Deny statements hold; it is attached to no principal as a policy';
    for (const id of [
      'AwsSolutions-IAM5[Action::*]',
      'AwsSolutions-IAM5[Resource::*]',
      'NIST.800.53.R5-IAMPolicyNoStatementsWithAdminAccess',
      'NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess',
    ]) {
      acknowledge(boundary, id, ceiling);
    }
    for (const rule of [
      'iam_managed_policy_no_statements_with_admin_access_check',
      'iam_managed_policy_no_statements_with_full_access_check',
    ]) {
      acknowledgeGuard(boundary, rule, `CT.IAM.PR.2/3: ${ceiling}`);
    }
    return boundary;
  }

  /** Trusts the given GitHub subjects of this repository only, for tokens minted for AWS STS. */
  private githubPrincipal(subjects: readonly string[]): iam.IPrincipal {
    return new iam.WebIdentityPrincipal(this.provider.openIdConnectProviderArn, {
      StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE },
      StringLike: { [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0] : [...subjects] },
    });
  }

  private bootstrapRoleArn(kind: (typeof BOOTSTRAP_ROLE_KINDS)[number]): string {
    return this.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `cdk-${CDK_BOOTSTRAP_QUALIFIER}-${kind}-role-${this.account}-${this.region}`,
    });
  }

  /**
   * `cosign copy` of a verified image from the build registry into `<prefix>/<service>` repositories.
   * The bootstrap image-publishing role only reaches the CDK asset repository, hence this grant.
   */
  private grantImagePromotion(policy: iam.ManagedPolicy, prefix: string): void {
    const repositories = this.formatArn({
      service: 'ecr',
      resource: 'repository',
      resourceName: `${prefix}/*`,
    });
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'EcrLogin',
        actions: ['ecr:GetAuthorizationToken'],
        resources: ['*'],
      }),
    );
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'PushToOwnRepositories',
        actions: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:BatchGetImage',
          'ecr:CompleteLayerUpload',
          'ecr:DescribeImages',
          'ecr:GetDownloadUrlForLayer',
          'ecr:InitiateLayerUpload',
          'ecr:PutImage',
          'ecr:UploadLayerPart',
        ],
        resources: [repositories],
      }),
    );
    acknowledgeWildcardResource(
      policy,
      '*',
      'ecr:GetAuthorizationToken, cloudformation:DescribeStacks (listing the stage), cloudwatch:DescribeAlarms, ecs:DescribeTaskDefinition and the ELB Describe calls have no resource-level permissions',
    );
    acknowledgeWildcardResource(
      policy,
      repositories,
      "Scoped to this environment's own repositories (one per service, named <prefix>/<service>)",
    );
  }

  /**
   * `npm run verify` after every deploy (and `npm run drill` in dev) runs with the deploy role's
   * session: reads of this environment's resources, Reachability Analyzer paths, and in dev forcing
   * this environment's alarms for the drill. Kept apart from the deploy policy so each reads alone.
   */
  private grantOperatorChecks(config: EnvironmentConfig): void {
    const { prefix } = config;
    const own = (service: string, resource: string, resourceName: string, arnFormat?: ArnFormat) =>
      this.formatArn({ service, resource, resourceName, ...(arnFormat ? { arnFormat } : {}) });
    const stacks = own('cloudformation', 'stack', `${prefix}-*/*`);
    const roles = this.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `${prefix}-*`,
    });
    const topics = own('sns', `${prefix}-*`, '', ArnFormat.NO_RESOURCE_NAME);
    const secrets = own('secretsmanager', 'secret', `${prefix}/*`, ArnFormat.COLON_RESOURCE_NAME);
    const functions = own('lambda', 'function', `${prefix}-*`, ArnFormat.COLON_RESOURCE_NAME);
    const tables = own('dynamodb', 'table', `${prefix}-*`);
    const policy = new iam.ManagedPolicy(this, 'OperatorChecksPolicy', {
      description: `npm run verify${config.name === 'dev' ? ' and npm run drill' : ''} in ${config.name} after a CI deploy`,
      roles: [this.deployRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'ListStageResources',
          actions: ['cloudformation:ListStackResources'],
          resources: [stacks],
        }),
        new iam.PolicyStatement({
          sid: 'SimulateOwnRoles',
          actions: ['iam:SimulatePrincipalPolicy'],
          resources: [roles],
        }),
        new iam.PolicyStatement({
          sid: 'ReadTopicSubscriptions',
          actions: ['sns:ListSubscriptionsByTopic'],
          resources: [topics],
        }),
        new iam.PolicyStatement({
          sid: 'ReadSecretRotation',
          actions: ['secretsmanager:DescribeSecret'],
          resources: [secrets],
        }),
        new iam.PolicyStatement({
          sid: 'ReadFunctions',
          actions: ['lambda:GetFunctionConfiguration'],
          resources: [functions],
        }),
        new iam.PolicyStatement({
          sid: 'ReadGovernanceHead',
          actions: ['dynamodb:Query'],
          resources: [tables],
        }),
        new iam.PolicyStatement({
          sid: 'DecryptThroughDynamoDbOnly',
          actions: ['kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${this.region}.amazonaws.com` } },
        }),
        new iam.PolicyStatement({
          sid: 'ReachabilityAndLoadBalancerReads',
          actions: [
            'ec2:CreateNetworkInsightsPath',
            'ec2:DeleteNetworkInsightsAnalysis',
            'ec2:DeleteNetworkInsightsPath',
            'ec2:DescribeNetworkInsightsAnalyses',
            'ec2:DescribeNetworkInterfaces',
            'ec2:StartNetworkInsightsAnalysis',
            'elasticloadbalancing:DescribeRules',
            'elasticloadbalancing:DescribeTargetHealth',
            'tiros:CreateQuery',
            'tiros:GetQueryAnswer',
            'tiros:GetQueryExplanation',
          ],
          resources: ['*'],
        }),
      ],
    });
    const reasons: [string, string][] = [
      [stacks, "This environment's stage stacks"],
      [roles, "This environment's roles, simulated to prove task-role isolation"],
      [topics, "This environment's alarm topics"],
      [secrets, "This environment's secrets (names under <prefix>/)"],
      [functions, "This environment's functions"],
      [tables, "This environment's tables"],
      [
        '*',
        'Reachability Analyzer (ec2 network insights, tiros), ELB rule/target-health reads and KMS decrypt (only via DynamoDB) have no narrower resource form',
      ],
    ];
    if (config.name === 'dev') {
      const alarms = own('cloudwatch', 'alarm', `${prefix}-*`, ArnFormat.COLON_RESOURCE_NAME);
      const queues = own('sqs', `${prefix}-*`, '', ArnFormat.NO_RESOURCE_NAME);
      policy.addStatements(
        new iam.PolicyStatement({
          sid: 'DrillForcesOwnAlarms',
          actions: ['cloudwatch:SetAlarmState'],
          resources: [alarms],
        }),
        new iam.PolicyStatement({
          sid: 'DrillWatchesDelivery',
          actions: [
            'cloudwatch:DescribeAlarmHistory',
            'cloudwatch:GetMetricData',
            'sns:GetSubscriptionAttributes',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'DrillReadsDeadLetters',
          actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          resources: [queues],
        }),
      );
      reasons.push(
        [alarms, "This environment's alarms, forced and reset by the dev drill"],
        [queues, "This environment's queues"],
      );
    }
    for (const [resource, reason] of reasons) acknowledgeWildcardResource(policy, resource, reason);
  }

  /** A cancelled run cancels the stage update it started, so no stack stays UPDATE_IN_PROGRESS. */
  private grantCancelUpdate(policy: iam.ManagedPolicy, prefix: string): void {
    const stacks = this.formatArn({
      service: 'cloudformation',
      resource: 'stack',
      resourceName: `${prefix}-*/*`,
    });
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'CancelOwnStackUpdates',
        actions: ['cloudformation:CancelUpdateStack'],
        resources: [stacks],
      }),
    );
    acknowledgeWildcardResource(
      policy,
      stacks,
      "This environment's stage stacks (<prefix>-<name>) and their ids",
    );
  }

  /**
   * Starts one task from Orbit's task definition with a command override that probes the internal
   * ALB (`/health`, governed `/dispatch`) from inside the VPC, then reads its exit code.
   */
  private grantSmokeTest(policy: iam.ManagedPolicy, prefix: string): void {
    const clusterArn = this.formatArn({ service: 'ecs', resource: 'cluster', resourceName: prefix });
    const taskDefinitions = this.formatArn({
      service: 'ecs',
      resource: 'task-definition',
      resourceName: `${prefix}*`,
    });
    const services = this.formatArn({ service: 'ecs', resource: 'service', resourceName: `${prefix}/*` });
    const tasks = this.formatArn({ service: 'ecs', resource: 'task', resourceName: `${prefix}/*` });
    const roles = this.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: `${prefix}-*`,
    });
    const orbitLogStreams = this.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `/${prefix}/orbit:log-stream:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'RunSmokeTaskInOwnCluster',
        actions: ['ecs:RunTask'],
        resources: [taskDefinitions],
        conditions: { ArnEquals: { 'ecs:cluster': clusterArn } },
      }),
    );
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'InspectOwnCluster',
        actions: ['ecs:DescribeServices', 'ecs:DescribeTasks'],
        resources: [services, tasks],
      }),
    );
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'ReadTaskDefinitionsAndLoadBalancers',
        actions: [
          'cloudformation:DescribeStacks',
          'cloudwatch:DescribeAlarms',
          'ecs:DescribeTaskDefinition',
          'elasticloadbalancing:DescribeListeners',
          'elasticloadbalancing:DescribeLoadBalancers',
          'elasticloadbalancing:DescribeTargetGroups',
        ],
        resources: ['*'],
      }),
    );
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'PassOwnTaskRolesToEcs',
        actions: ['iam:PassRole'],
        resources: [roles],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'ReadSmokeTaskOutput',
        actions: ['logs:GetLogEvents'],
        resources: [orbitLogStreams],
      }),
    );
    const reasons: [string, string][] = [
      [orbitLogStreams, "Streams are per task; only Orbit's log group, where the smoke task writes"],
      [
        taskDefinitions,
        'Task definition revisions change every deploy; RunTask is further limited to this environment cluster',
      ],
      [services, "Services of this environment's cluster only"],
      [tasks, "Task ids are random; limited to this environment's cluster"],
      [
        roles,
        "This environment's task and execution roles (generated names under the stack prefix), passable only to ECS tasks",
      ],
    ];
    for (const [resource, reason] of reasons) acknowledgeWildcardResource(policy, resource, reason);
  }
}
