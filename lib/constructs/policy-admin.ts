import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ADMIN_FUNCTION_ENV } from '../../contracts/service-env.js';
import { type EnvironmentConfig, partitionOf, roleMappingOf } from '../config/index.js';
import { acknowledge } from '../nag.js';
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
}

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
    const { config } = props;
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
      memorySize: 512,
      timeout: Duration.seconds(15),
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
      },
    });
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
}
