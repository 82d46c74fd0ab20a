import { Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { PARTITION_KEY, SORT_KEY } from '../../contracts/policy-table.js';
import { type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import { acknowledge } from '../nag.js';

export interface PolicyStoreStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** Encrypts the policy table (SecurityStack.governanceKey). */
  readonly governanceKey: kms.IKey;
}

/**
 * The governance policy table (stateful): policy sets as append-only logs of revisions,
 * `PK=POLICYSET#<name>`, `SK=REV#<zero-padded n>`, written only with conditional puts. On-demand
 * capacity, point-in-time recovery, encrypted with the governance key; in prod deletion protection
 * is on and the table survives a stack deletion.
 */
export class PolicyStoreStack extends Stack {
  readonly policyTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: PolicyStoreStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.policyTable = new dynamodb.Table(this, 'PolicyTable', {
      tableName: `${config.prefix}-governance-policies`,
      partitionKey: { name: PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.governanceKey,
      deletionProtection: config.name === 'prod',
      removalPolicy: removalPolicyOf(config),
    });
    acknowledge(
      this.policyTable,
      'NIST.800.53.R5-DynamoDBInBackupPlan',
      'Point-in-time recovery keeps 35 days of continuous backups, and the table is an append-only log: every earlier revision stays readable and restorable by a rollback revision.',
    );
  }
}
