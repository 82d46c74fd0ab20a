import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { StackSection } from './stack-section.js';

export interface TaskPermissionsProps {
  /** Capitalised service name (`Orbit`): names the policy and the imported role. */
  readonly name: string;
  /** The service's runtime identity from the SecurityStack. */
  readonly role: iam.IRole;
  /** The one secret the service reads, and the key that encrypts it. */
  readonly secret: secretsmanager.ISecret;
  readonly secretKey: kms.IKey;
  /** What the service may do beyond reading its secret and sending traces. */
  readonly statements?: iam.PolicyStatement[];
}

/**
 * A service's runtime permissions as a managed policy created here and attached to the stateful
 * role. The role is imported immutable, so nothing adds statements to it implicitly: every
 * permission the containers have is in this one policy.
 */
export class TaskPermissions extends StackSection {
  /** The task role as this stack sees it (immutable). */
  readonly role: iam.IRole;
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: TaskPermissionsProps) {
    super(scope, id);
    const { name } = props;
    this.role = iam.Role.fromRoleArn(this, `${name}TaskRole`, props.role.roleArn, { mutable: false });
    this.policy = new iam.ManagedPolicy(this, `${name}TaskPolicy`, {
      description: `What the ${name} containers may do at runtime (under the role's permission boundary)`,
      roles: [this.role],
      statements: [
        ...readSecret(props.secret, props.secretKey, Stack.of(this).region),
        ...(props.statements ?? []),
        traceSubmission(),
      ],
    });
    acknowledge(
      this.policy,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray trace submission has no resource-level permissions.',
    );
  }
}

/** Read one secret and decrypt it through Secrets Manager with its key; nothing else. */
function readSecret(secret: secretsmanager.ISecret, key: kms.IKey, region: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ReadOwnSecret',
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resources: [secret.secretArn],
    }),
    new iam.PolicyStatement({
      sid: 'DecryptOwnSecret',
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
    }),
  ];
}

/** What the trace collector sidecar needs to send the task's spans to X-Ray. */
function traceSubmission(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'SendTraces',
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    resources: ['*'],
  });
}
