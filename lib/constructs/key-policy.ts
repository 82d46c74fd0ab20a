import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * What the account may do to a key without being able to use it. KMS refuses a key policy that would
 * not let the caller change it again ("The new key policy will not allow you to update the key policy
 * in the future"): granting `kms:PutKeyPolicy` to the account keeps every key manageable by the
 * account's administrators (and CloudFormation's execution role) through their IAM policies.
 */
export const KEY_ADMINISTRATION_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListKeyRotations',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

/**
 * The services through which IAM principals of the account may use a key (`kms:ViaService`), with
 * the actions each service calls on the caller's behalf. DynamoDB and Firehose create a grant for the
 * resource they encrypt; the others call KMS per request.
 */
const ENVELOPE_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey*',
  'kms:ReEncrypt*',
  'kms:DescribeKey',
] as const;

export const KEY_USE_THROUGH = {
  dynamodb: [...ENVELOPE_ACTIONS, 'kms:CreateGrant'],
  firehose: [...ENVELOPE_ACTIONS, 'kms:CreateGrant'],
  s3: ENVELOPE_ACTIONS,
  secretsmanager: ENVELOPE_ACTIONS,
  sns: ['kms:Decrypt', 'kms:GenerateDataKey*'],
  sqs: ['kms:Decrypt', 'kms:GenerateDataKey*'],
} as const;

export type KeyService = keyof typeof KEY_USE_THROUGH;

export interface KeyPolicyProps {
  /** Services through which IAM principals of this account may use the key; nothing else. */
  readonly usedThrough: readonly KeyService[];
  /**
   * Actions IAM principals of this account may call on the key directly (no service in between),
   * e.g. `kms:Sign` for a signing key; each with its extra conditions.
   */
  readonly directUse?: readonly {
    readonly actions: readonly string[];
    readonly conditions?: iam.Conditions;
  }[];
}

/**
 * A key policy without the default "account may do kms:*" statement: the account administers the
 * key; IAM principals of the account may use it only through the named services (or for the named
 * direct actions), and which principals do is still decided by their own IAM policies (`grant*`);
 * grants may be created only for AWS resources. Service principals and named roles are added with
 * `key.addToResourcePolicy`.
 */
export function leastPrivilegeKeyPolicy(scope: IConstruct, props: KeyPolicyProps): iam.PolicyDocument {
  if (props.usedThrough.length === 0 && (props.directUse ?? []).length === 0) {
    throw new Error(
      'leastPrivilegeKeyPolicy: usedThrough or directUse must name at least one way to use the key',
    );
  }
  const stack = Stack.of(scope);
  const account = new iam.AccountRootPrincipal();
  const statements = [
    new iam.PolicyStatement({
      sid: 'AccountAdministersKey',
      principals: [account],
      actions: [...KEY_ADMINISTRATION_ACTIONS],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'GrantsOnlyForAwsResources',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
      },
    }),
    ...props.usedThrough.map(
      (service) =>
        new iam.PolicyStatement({
          sid: `UseThrough${service.charAt(0).toUpperCase()}${service.slice(1)}`,
          principals: [account],
          actions: [...KEY_USE_THROUGH[service]],
          resources: ['*'],
          conditions: {
            StringEquals: {
              'kms:ViaService': `${service}.${stack.region}.amazonaws.com`,
              'kms:CallerAccount': stack.account,
            },
          },
        }),
    ),
    ...(props.directUse ?? []).map(
      ({ actions, conditions }, index) =>
        new iam.PolicyStatement({
          sid: `DirectUse${index + 1}`,
          principals: [account],
          actions: [...actions],
          resources: ['*'],
          conditions: {
            ...conditions,
            StringEquals: {
              ...((conditions?.StringEquals as Record<string, unknown> | undefined) ?? {}),
              'kms:CallerAccount': stack.account,
            },
          },
        }),
    ),
  ];
  return new iam.PolicyDocument({ statements });
}
