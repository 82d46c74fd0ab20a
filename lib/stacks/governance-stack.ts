import { fileURLToPath } from 'node:url';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DECISION_TOKEN_TTL_S } from '../../contracts/decision-token.js';
import { DECISION_FUNCTION_ENV } from '../../contracts/service-env.js';
import type { EnvironmentConfig } from '../config/index.js';
import type { HopState } from '../constructs/hop-state.js';
import { DECISION_BUNDLING } from '../constructs/lambda-bundle.js';
import { dynamoDbOnlySecurityGroup, LambdaFunction } from '../constructs/lambda-function.js';
import { acknowledge } from '../nag.js';

export interface GovernanceStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** PolicyStoreStack.policyTable: the function reads it (GetItem, Query) and nothing else. */
  readonly policyTable: dynamodb.ITable;
  /** Encrypts the policy table; the function may decrypt with it (through DynamoDB). */
  readonly governanceKey: kms.IKey;
  /** Encrypts the function's log group. */
  readonly logsKey: kms.IKey;
  readonly vpc: ec2.IVpc;
  /** Where the function's network interfaces go: the private tier (DynamoDB through its gateway endpoint). */
  readonly functionSubnets: ec2.SubnetSelection;
  /** Governance signs decision tokens with its key (kms:Sign only). */
  readonly hop: HopState;
}

/** The physical name other stacks and Orbit's permission boundary (`${prefix}-governance*`) rely on. */
export function decisionFunctionName(config: Pick<EnvironmentConfig, 'prefix'>): string {
  return `${config.prefix}-governance-decide`;
}

/** Where the decision function logs every decision: what `governance impact` and the admin dry run replay. */
export function decisionLogGroupName(config: Pick<EnvironmentConfig, 'prefix'>): string {
  return `/aws/lambda/${decisionFunctionName(config)}`;
}

/**
 * The governance decision Lambda (stateless): `{service, intent, context?}` → `{allowed, reason, ...}`
 * from the head revision of the `default` policy set. Invoked synchronously by Orbit; grant callers
 * with `decisionFunction.grantInvoke(role)`.
 */
export class GovernanceStack extends Stack {
  readonly decisionFunction: lambda.IFunction;
  readonly decisionLogGroup: logs.ILogGroup;
  /** Reserved concurrency of the decision function, for alarms on how close it runs to the cap. */
  readonly reservedConcurrency: number;

  constructor(scope: Construct, id: string, props: GovernanceStackProps) {
    super(scope, id, props);
    const { config } = props;

    const securityGroup = dynamoDbOnlySecurityGroup(
      this,
      'DecideSg',
      props.vpc,
      'Governance decision function: HTTPS out to DynamoDB (gateway endpoint) only',
    );

    const decide = new LambdaFunction(this, 'Decide', {
      functionName: decisionFunctionName(config),
      description: 'Governance decisions: may this service perform this intent? Default deny, fail closed.',
      entry: fileURLToPath(new URL('../../lambdas/governance/handler.ts', import.meta.url)),
      bundling: DECISION_BUNDLING,
      config,
      logsKey: props.logsKey,
      memorySize: config.governance.memoryMiB,
      timeout: Duration.seconds(5),
      reservedConcurrentExecutions: config.governance.reservedConcurrency,
      vpc: props.vpc,
      vpcSubnets: props.functionSubnets,
      securityGroups: [securityGroup],
      environment: {
        [DECISION_FUNCTION_ENV.tableName]: props.policyTable.tableName,
        [DECISION_FUNCTION_ENV.policySet]: 'default',
        [DECISION_FUNCTION_ENV.cacheTtlMs]: String(config.governance.cacheTtlSeconds * 1000),
        [DECISION_FUNCTION_ENV.environment]: config.name,
        [DECISION_FUNCTION_ENV.decisionTokenKeyId]: props.hop.decisionKey.keyArn,
        // Tokens live no longer than Orbit caches the decision they prove.
        [DECISION_FUNCTION_ENV.decisionTokenTtlS]: String(DECISION_TOKEN_TTL_S),
      },
    });
    props.policyTable.grant(decide.role, 'dynamodb:GetItem', 'dynamodb:Query');
    props.governanceKey.grantDecrypt(decide.role);
    props.hop.grantSign(decide.role);
    for (const rule of [
      'NIST.800.53.R5-LambdaDLQ',
      'Serverless-LambdaDLQ',
      'Serverless-LambdaAsyncFailureDestination',
    ]) {
      acknowledge(
        decide.fn,
        rule,
        'Invoked synchronously (RequestResponse) by Orbit, which fails closed on any error; there is no asynchronous event to retry or dead-letter.',
      );
    }

    this.decisionFunction = decide.fn;
    this.decisionLogGroup = decide.logGroup;
    this.reservedConcurrency = config.governance.reservedConcurrency;
  }
}
