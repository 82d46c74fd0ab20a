import { ArnFormat, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, type GithubConfig } from '../config/cicd.js';
import type { EnvironmentConfig } from '../config/index.js';
import { acknowledgeWildcardResource } from '../nag.js';

/** The qualifier `cdk bootstrap` uses unless told otherwise; the deploy role may assume only its roles. */
export const CDK_BOOTSTRAP_QUALIFIER = 'hnb659fds';
const BOOTSTRAP_ROLE_KINDS = ['deploy', 'file-publishing', 'image-publishing', 'lookup'] as const;

export interface CicdStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly github: GithubConfig;
}

/**
 * What GitHub Actions needs in one environment's account: the GitHub OIDC provider (or the account's
 * existing one) and two roles that only this repository's workflows can assume, with short-lived
 * tokens and no stored keys:
 *
 * - `<prefix>-github-deploy`, for jobs running in the GitHub environment named after this one
 *   (`sub = repo:<owner/name>:environment:<env>`, so the environment's protection rules, e.g. prod
 *   approval and the protected-branch rule, gate every use). It may assume the CDK bootstrap roles
 *   (CloudFormation does the deploying), copy signed images into this environment's ECR repositories,
 *   and start the one-off smoke-test task inside the VPC.
 * - `<prefix>-github-diff`, for pull requests (`sub = repo:<owner/name>:pull_request`): it may only
 *   assume the bootstrap lookup role, which reads deployed templates for `cdk diff`.
 */
export class CicdStack extends Stack {
  readonly provider: iam.IOidcProvider;
  readonly deployRole: iam.Role;
  readonly diffRole: iam.Role;

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
      roleName: `${config.prefix}-github-deploy`,
      description: `GitHub Actions in environment "${config.name}" of ${github.repository}: cdk deploy, image promotion, smoke test`,
      assumedBy: this.githubPrincipal(`repo:${github.repository}:environment:${config.name}`),
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

    this.diffRole = new iam.Role(this, 'DiffRole', {
      roleName: `${config.prefix}-github-diff`,
      description: `GitHub Actions pull requests of ${github.repository}: cdk diff against ${config.name} (read-only)`,
      assumedBy: this.githubPrincipal(`repo:${github.repository}:pull_request`),
      maxSessionDuration: Duration.hours(1),
    });
    new iam.ManagedPolicy(this, 'DiffPolicy', {
      description: `Read-only cdk diff of ${config.name} from pull requests`,
      roles: [this.diffRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'AssumeCdkLookupRole',
          actions: ['sts:AssumeRole', 'sts:TagSession'],
          resources: [this.bootstrapRoleArn('lookup')],
        }),
      ],
    });

    new CfnOutput(this, 'DeployRoleArn', {
      value: this.deployRole.roleArn,
      description: `GitHub environment "${config.name}" variable AWS_DEPLOY_ROLE_ARN`,
    });
    new CfnOutput(this, 'DiffRoleArn', {
      value: this.diffRole.roleArn,
      description: 'Repository variable AWS_DIFF_ROLE_ARN (pull-request cdk diff)',
    });
  }

  /** Trusts exactly one GitHub subject of this repository, for tokens minted for AWS STS. */
  private githubPrincipal(subject: string): iam.IPrincipal {
    return new iam.WebIdentityPrincipal(this.provider.openIdConnectProviderArn, {
      StringEquals: {
        [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE,
        [`${GITHUB_OIDC_HOST}:sub`]: subject,
      },
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
      'ecr:GetAuthorizationToken, cloudwatch:DescribeAlarms, ecs:DescribeTaskDefinition and the ELB Describe calls have no resource-level permissions',
    );
    acknowledgeWildcardResource(
      policy,
      repositories,
      "Scoped to this environment's own repositories (one per service, named <prefix>/<service>)",
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
          'cloudwatch:DescribeAlarms',
          'ecs:DescribeTaskDefinition',
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
