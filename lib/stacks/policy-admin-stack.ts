import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/index.js';
import { PolicyAdmin } from '../constructs/policy-admin.js';
import { decisionLogGroupName } from './governance-stack.js';

export interface PolicyAdminStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** PolicyStoreStack.policyTable: read, and appended to by conditional PutItem. */
  readonly policyTable: dynamodb.ITable;
  readonly governanceKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly vpc: ec2.IVpc;
  readonly functionSubnets: ec2.SubnetSelection;
}

/**
 * Policy administration (stateless), apart from the decision function so each deploys and is
 * permissioned on its own: the decision role only reads the table, this one only appends to it.
 * Hand `adminFunction` to the observability stack (`governance.adminFunction`) for its
 * `policy-admin-errors` alarm.
 */
export class PolicyAdminStack extends Stack {
  readonly adminFunction: lambda.IFunction;
  readonly admin: PolicyAdmin;

  constructor(scope: Construct, id: string, props: PolicyAdminStackProps) {
    super(scope, id, props);
    const { config, policyTable, governanceKey, logsKey, vpc, functionSubnets } = props;
    this.admin = new PolicyAdmin(this, 'PolicyAdmin', {
      config,
      policyTable,
      governanceKey,
      logsKey,
      vpc,
      functionSubnets,
      decisionLogGroupName: decisionLogGroupName(config),
    });
    this.adminFunction = this.admin.fn;
  }
}
