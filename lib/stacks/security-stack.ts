import { ArnFormat, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import type { KeyService } from '../constructs/key-policy.js';
import { PermissionBoundary } from '../constructs/permission-boundary.js';
import { ServiceKey } from '../constructs/service-key.js';

export interface SecurityStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/**
 * Stateful identities and keys: one KMS key per service, and the Axon and Orbit task roles under
 * their permission boundaries. The roles live here, next to the keys, so each key policy can name
 * the one role allowed to use it without a cross-stack cycle.
 */
export class SecurityStack extends Stack {
  readonly axonKey: kms.IKey;
  readonly orbitKey: kms.IKey;
  readonly governanceKey: kms.IKey;
  readonly logsKey: kms.IKey;
  /** Encrypts the alarm topics; CloudWatch alarms and Budgets may use it to publish. */
  readonly alarmsKey: kms.IKey;
  readonly axonTaskRole: iam.IRole;
  readonly orbitTaskRole: iam.IRole;
  readonly axonBoundary: iam.IManagedPolicy;
  readonly orbitBoundary: iam.IManagedPolicy;

  constructor(scope: Construct, id: string, props: SecurityStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = removalPolicyOf(config);
    const aliasOf = (service: string) => `${config.prefix}/${service}`;
    const key = (service: string, description: string, usedThrough: readonly KeyService[]) =>
      new ServiceKey(this, `${capitalize(service)}Key`, {
        alias: aliasOf(service),
        description,
        removalPolicy,
        usedThrough,
      }).key;

    const axonKey = key('axon', 'Axon secrets (signing key material)', ['secretsmanager']);
    const orbitKey = key('orbit', 'Orbit secrets (signing key material)', ['secretsmanager']);
    const governanceKey = key('governance', 'Governance policy table', ['dynamodb']);
    // IAM principals use the logs key only for the log archive (bucket and delivery stream);
    // CloudWatch Logs itself is allowed below, per log group of this account.
    const logsKey = key('logs', 'CloudWatch log groups, VPC flow logs and the log archive', [
      's3',
      'firehose',
    ]);
    const alarmsKey = key('alarms', 'Alarm and budget notification topics', ['sns', 'sqs']);
    // Alarm subscriptions redrive undeliverable notifications to a queue under this key; without
    // this grant SNS cannot write to it and the notifications are dropped.
    alarmsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmTopicsRedriveToEncryptedQueue',
        principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'aws:SourceArn': this.formatArn({
              service: 'sns',
              resource: `${config.prefix}-alarms-*`,
              arnFormat: ArnFormat.NO_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
    );
    alarmsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AlarmsAndBudgetsPublishToEncryptedTopics',
        principals: [
          new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
          new iam.ServicePrincipal('budgets.amazonaws.com'),
        ],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );

    logsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': this.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    const axonBoundary = new PermissionBoundary(this, 'AxonBoundary', {
      service: 'axon',
      prefix: config.prefix,
      keyAlias: aliasOf('axon'),
    }).policy;
    const orbitBoundary = new PermissionBoundary(this, 'OrbitBoundary', {
      service: 'orbit',
      prefix: config.prefix,
      keyAlias: aliasOf('orbit'),
      invokableFunctionPrefixes: [`${config.prefix}-governance`],
    }).policy;

    const taskRole = (service: string, boundary: iam.IManagedPolicy, serviceKey: kms.IKey) => {
      const role = new iam.Role(this, `${capitalize(service)}TaskRole`, {
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
        description: `Runtime identity of the ${service} containers`,
        permissionsBoundary: boundary,
      });
      serviceKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `${capitalize(service)}TaskRoleDecryptsItsSecrets`,
          principals: [role],
          actions: ['kms:Decrypt', 'kms:DescribeKey'],
          resources: ['*'],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` } },
        }),
      );
      return role;
    };

    this.axonKey = axonKey;
    this.orbitKey = orbitKey;
    this.governanceKey = governanceKey;
    this.logsKey = logsKey;
    this.alarmsKey = alarmsKey;
    this.axonBoundary = axonBoundary;
    this.orbitBoundary = orbitBoundary;
    this.axonTaskRole = taskRole('axon', axonBoundary, axonKey);
    this.orbitTaskRole = taskRole('orbit', orbitBoundary, orbitKey);
  }
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
