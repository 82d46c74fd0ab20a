import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { REPLAY_TABLE } from '../../contracts/replay-table.js';
import { acknowledge } from '../nag.js';
import { leastPrivilegeKeyPolicy } from './key-policy.js';
import { assertResourcePrefix } from './resource-prefix.js';

export interface HopStateProps {
  /** Resource-name prefix, e.g. `axon-orbit-prod`. */
  readonly prefix: string;
}

/**
 * What the Orbit → Axon hop keeps beyond the signing secrets: the replay table every Axon task writes
 * each accepted signature to (items expire with TTL, so nothing in it outlives 10 minutes of use) and
 * governance's asymmetric decision-token key (ECC_NIST_P256, SIGN_VERIFY). KMS cannot rotate
 * asymmetric keys: rotation is a new key and a configuration change (docs/security.md).
 */
export class HopState extends Construct {
  readonly replayTable: dynamodb.TableV2;
  readonly decisionKey: kms.Key;

  constructor(scope: Construct, id: string, props: HopStateProps) {
    super(scope, id);
    assertResourcePrefix('HopState', props.prefix);
    this.replayTable = new dynamodb.TableV2(this, 'ReplayTable', {
      tableName: `${props.prefix}-replay`,
      partitionKey: { name: REPLAY_TABLE.partitionKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      timeToLiveAttribute: REPLAY_TABLE.expiresAttribute,
      // Entries are worth nothing after 10 minutes: nothing to retain or restore.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.replayTable,
      'AwsSolutions-DDB3',
      'The replay table holds signatures for at most the 10-minute skew window; a restore would bring back nothing of value.',
    );
    this.decisionKey = new kms.Key(this, 'DecisionTokenKey', {
      alias: `${props.prefix}/decision-token`,
      description: 'Governance signs decision tokens (ES256); Axon verifies with the public key',
      keySpec: kms.KeySpec.ECC_NIST_P256,
      keyUsage: kms.KeyUsage.SIGN_VERIFY,
      pendingWindow: Duration.days(30),
      removalPolicy: RemovalPolicy.RETAIN,
      // Callers reach KMS directly (no service in between): the account may sign with ES256 only and
      // read the public key; governance's role (grantSign) and Axon's (axonStatements) are the ones
      // whose IAM policies allow it.
      policy: leastPrivilegeKeyPolicy(this, {
        usedThrough: [],
        directUse: [
          {
            actions: ['kms:Sign'],
            conditions: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' } },
          },
          { actions: ['kms:GetPublicKey'] },
        ],
      }),
    });
  }

  /** Governance may sign with the key, and nothing else. */
  grantSign(grantee: iam.IGrantable): iam.Grant {
    return this.decisionKey.grant(grantee, 'kms:Sign');
  }

  /** What an Axon task may do here: write replay items, read the public key. */
  axonStatements(): iam.PolicyStatement[] {
    return [
      new iam.PolicyStatement({
        sid: 'RecordAcceptedSignatures',
        actions: ['dynamodb:PutItem'],
        resources: [this.replayTable.tableArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadDecisionTokenPublicKey',
        actions: ['kms:GetPublicKey'],
        resources: [this.decisionKey.keyArn],
      }),
    ];
  }
}
