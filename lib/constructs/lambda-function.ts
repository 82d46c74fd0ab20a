import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import { acknowledge } from '../nag.js';
import {
  BUNDLED_HANDLER,
  bundledHandlerCode,
  LAMBDA_BUNDLING,
  type LambdaBundling,
} from './lambda-bundle.js';

/**
 * A security group for a function whose only network peer is DynamoDB: HTTPS out, nothing in. The
 * DynamoDB gateway endpoint routes to public service addresses, so no narrower CIDR applies.
 */
export function dynamoDbOnlySecurityGroup(
  scope: Construct,
  id: string,
  vpc: ec2.IVpc,
  description: string,
): ec2.SecurityGroup {
  const securityGroup = new ec2.SecurityGroup(scope, id, { vpc, description, allowAllOutbound: false });
  securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'DynamoDB through the gateway endpoint');
  return securityGroup;
}

export interface LambdaFunctionProps {
  /** Physical name, `${prefix}-<purpose>`; permission boundaries and operators match on it. */
  readonly functionName: string;
  readonly description: string;
  /** The TypeScript handler module (exporting `handler`), bundled by esbuild (see lambda-bundle.ts). */
  readonly entry: string;
  readonly config: EnvironmentConfig;
  /** Encrypts the function's log group. */
  readonly logsKey: kms.IKey;
  readonly environment?: Record<string, string>;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
  /** Concurrent executions reserved (and capped) for this function. */
  readonly reservedConcurrentExecutions?: number;
  /** esbuild options; `LAMBDA_BUNDLING` unless the function needs its own. */
  readonly bundling?: LambdaBundling;
}

/** Stack traces name the TypeScript sources, through the bundle's source map. */
export const LAMBDA_NODE_OPTIONS = '--enable-source-maps';

/**
 * The defaults every platform Lambda shares: the current Node.js runtime on arm64, ESM bundle (minified, with source
 * maps) built by the local esbuild, active tracing, a KMS-encrypted log group with the
 * environment's retention, inside the VPC, with a reserved concurrency cap.
 */
export class LambdaFunction extends Construct {
  readonly fn: lambda.Function;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LambdaFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      encryptionKey: props.logsKey,
      retention: props.config.logRetention,
      removalPolicy: removalPolicyOf(props.config),
    });
    // An own role instead of the AWS managed basic/VPC execution policies: logs only to its own group.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'OwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'VpcNetworkInterfaces',
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'Lambda VPC networking (ec2:*NetworkInterface*) and X-Ray trace submission support no resource-level permissions.',
    );
    acknowledge(
      this.role,
      'NIST.800.53.R5-IAMNoInlinePolicy',
      "The role's own grant policy, generated from grant calls on the exact resources this function uses; it is attached to this role only.",
    );

    this.fn = new lambda.Function(this, 'Function', {
      role: this.role,
      functionName: props.functionName,
      description: props.description,
      code: bundledHandlerCode(props.entry, props.bundling ?? LAMBDA_BUNDLING),
      handler: BUNDLED_HANDLER,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 2,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      environment: {
        NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
        POWERTOOLS_SERVICE_NAME: props.functionName,
        ...props.environment,
      },
    });
  }
}
