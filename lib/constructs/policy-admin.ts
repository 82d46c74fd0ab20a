import { fileURLToPath } from 'node:url';
import { ArnFormat, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ADMIN_FUNCTION_ENV } from '../../contracts/service-env.js';
import { type EnvironmentConfig, partitionOf, roleMappingOf } from '../config/index.js';
import { acknowledge, acknowledgeWildcardResource } from '../nag.js';
import { dynamoDbOnlySecurityGroup, LambdaFunction } from './lambda-function.js';

export interface PolicyAdminProps {
  readonly config: EnvironmentConfig;
  /** The policy table: the admin function reads it and appends revisions (PutItem), nothing else. */
  readonly policyTable: dynamodb.ITable;
  /** Encrypts the policy table. */
  readonly governanceKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly vpc: ec2.IVpc;
  readonly functionSubnets: ec2.SubnetSelection;
  /**
   * The decision function's log group (`/aws/lambda/<name>`): dry runs and the push gate replay its
   * decision lines through Logs Insights, so the admin function may query this group and no other.
   */
  readonly decisionLogGroupName: string;
}

/** CloudWatch Logs' own rule for log group names. */
const LOG_GROUP_NAME = /^[\w./#-]{1,512}$/;

/**
 * Outside Orbit's `${prefix}-governance*` permission-boundary pattern on purpose: no service role
 * can ever be allowed to invoke the admin function, whatever its own policy says.
 */
export function policyAdminFunctionName(config: EnvironmentConfig): string {
  return `${config.prefix}-policy-admin`;
}

/** Table writes that could change or remove a stored revision; the admin role is denied all of them. */
export const REVISION_MUTATIONS = [
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
  'dynamodb:DeleteTable',
  'dynamodb:UpdateTable',
  'dynamodb:RestoreTableFromBackup',
  'dynamodb:RestoreTableToPointInTime',
] as const;

/**
 * The policy administration function: validate, put (optimistic lock), get, list, diff, rollback,
 * dry run, behind a function URL with `AWS_IAM` auth so the handler sees the caller's principal and
 * maps it to admin / editor / viewer. Its own role may read the table and append revisions
 * (conditional PutItem); updating or deleting items is explicitly denied. Unexpected failures are
 * Lambda errors: the observability stack's `policy-admin-errors` alarm watches `fn.metricErrors()`.
 */
export class PolicyAdmin extends Construct {
  readonly fn: lambda.IFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.ILogGroup;
  readonly url: lambda.FunctionUrl;

  constructor(scope: Construct, id: string, props: PolicyAdminProps) {
    super(scope, id);
    const { config, decisionLogGroupName } = props;
    if (!LOG_GROUP_NAME.test(decisionLogGroupName)) {
      throw new Error(
        `PolicyAdmin decisionLogGroupName must be a log group name (letters, digits, _ . / # -, at most 512), got "${decisionLogGroupName}"`,
      );
    }
    const functionName = policyAdminFunctionName(config);

    const securityGroup = dynamoDbOnlySecurityGroup(
      this,
      'Sg',
      props.vpc,
      'Policy admin function: HTTPS out to DynamoDB (gateway endpoint) and CloudWatch only',
    );

    const admin = new LambdaFunction(this, 'Admin', {
      functionName,
      description: 'Governance policy administration: versioned, optimistic-locked, audited, role-checked.',
      entry: fileURLToPath(new URL('../../lambdas/governance/admin/handler.ts', import.meta.url)),
      config,
      logsKey: props.logsKey,
      // A dry run or push replays a day of decisions through Logs Insights: queries, then the replay.
      memorySize: 1024,
      timeout: Duration.minutes(2),
      reservedConcurrentExecutions: 2,
      vpc: props.vpc,
      vpcSubnets: props.functionSubnets,
      securityGroups: [securityGroup],
      environment: {
        [ADMIN_FUNCTION_ENV.tableName]: props.policyTable.tableName,
        [ADMIN_FUNCTION_ENV.environment]: config.name,
        [ADMIN_FUNCTION_ENV.roles]: JSON.stringify(
          roleMappingOf(config.governanceAdmin, config.account, partitionOf(config.region)),
        ),
        [ADMIN_FUNCTION_ENV.decisionLogGroup]: decisionLogGroupName,
        [ADMIN_FUNCTION_ENV.impactMaxFlips]: String(config.governanceAdmin.impact.maxFlips),
        [ADMIN_FUNCTION_ENV.impactWindowHours]: String(config.governanceAdmin.impact.windowHours),
      },
    });
    this.grantDecisionLogQueries(admin.role, decisionLogGroupName);
    props.policyTable.grant(admin.role, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem');
    admin.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RevisionsAreAppendOnly',
        effect: iam.Effect.DENY,
        actions: [...REVISION_MUTATIONS],
        resources: [props.policyTable.tableArn],
      }),
    );
    // DynamoDB encrypts and decrypts items with the table key on the caller's behalf; no wildcard actions.
    props.governanceKey.grant(admin.role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
    for (const rule of [
      'NIST.800.53.R5-LambdaDLQ',
      'Serverless-LambdaDLQ',
      'Serverless-LambdaAsyncFailureDestination',
    ]) {
      acknowledge(
        admin.fn,
        rule,
        'Called synchronously through its function URL by an operator or the CLI, which sees every failure; there is no asynchronous event to retry or dead-letter.',
      );
    }

    this.url = admin.fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    new CfnOutput(this, 'Url', {
      value: this.url.url,
      description: 'Policy admin API (SigV4, service lambda): governance <command> --url <this>',
    });

    this.fn = admin.fn;
    this.role = admin.role;
    this.logGroup = admin.logGroup;
  }

  /**
   * Logs Insights on the decision log group only: StartQuery is scoped to the group (its ARN with and
   * without the `:*` suffix IAM evaluates either way); GetQueryResults takes a query id and supports no
   * resource-level permission, so it is `*`. The group's KMS key is used by CloudWatch Logs itself.
   */
  private grantDecisionLogQueries(role: iam.Role, logGroupName: string): void {
    const stack = Stack.of(this);
    const groupArn = (resourceName: string) =>
      stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const streams = groupArn(`${logGroupName}:*`);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'QueryDecisionLog',
        actions: ['logs:StartQuery'],
        resources: [groupArn(logGroupName), streams],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadQueryResults',
        actions: ['logs:GetQueryResults'],
        resources: ['*'],
      }),
    );
    acknowledgeWildcardResource(
      role,
      streams,
      "The decision log group's own ARN as CloudWatch Logs spells it (`:*`); no other group matches.",
    );
    acknowledge(
      role,
      'AwsSolutions-IAM5[Resource::*]',
      'logs:GetQueryResults (by query id) supports no resource-level permissions; queries can only be started on the decision log group. Lambda VPC networking and X-Ray need "*" as well.',
    );
  }
}
