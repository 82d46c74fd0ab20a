import { fileURLToPath } from 'node:url';
import { Duration, SecretValue, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ROTATION_FUNCTION_ENV } from '../../contracts/service-env.js';
import { type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import { HopState } from '../constructs/hop-state.js';
import { LambdaFunction } from '../constructs/lambda-function.js';
import { acknowledge } from '../nag.js';

export interface SigningStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** Encrypts Orbit's signing key. */
  readonly orbitKey: kms.IKey;
  /** Encrypts Axon's verification key set. */
  readonly axonKey: kms.IKey;
  /** Encrypts the rotation function's log group. */
  readonly logsKey: kms.IKey;
  readonly vpc: ec2.IVpc;
  /** Where the rotation function runs (it reaches Secrets Manager through NAT or the VPC endpoint). */
  readonly functionSubnets: ec2.SubnetSelection;
}

/**
 * The Orbit → Axon signing secrets and the function that rotates them, in one stack so the schedule,
 * the function and both secrets reference each other without crossing a stack boundary.
 *
 * - `${prefix}/orbit/signing-key` (Orbit's key): `{"signingKey": "<base64 of 32 bytes>"}`; the secret
 *   version id is the key id Orbit signs with.
 * - `${prefix}/axon/verification-keys` (Axon's set): `{"keys": {"<version id>": "<base64 key>"}}`,
 *   written only by the rotation function: pending, current and previous Orbit keys.
 */
export class SigningStack extends Stack {
  readonly orbitSigningSecret: secretsmanager.ISecret;
  readonly axonVerificationSecret: secretsmanager.ISecret;
  readonly rotationFunction: lambda.IFunction;
  readonly rotationLogGroup: logs.ILogGroup;
  readonly rotationRole: iam.IRole;
  /** The replay table and the decision-token key (the hop's other stateful parts). */
  readonly hop: HopState;

  constructor(scope: Construct, id: string, props: SigningStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = removalPolicyOf(config);
    this.hop = new HopState(this, 'Hop', { prefix: config.prefix });
    // Referenced by ARN so the secrets leave the key policies in SecurityStack alone (editing them
    // would make that stack depend on this one); roles here get explicit KMS statements instead.
    const orbitKey = kms.Key.fromKeyArn(this, 'OrbitKey', props.orbitKey.keyArn);
    const axonKey = kms.Key.fromKeyArn(this, 'AxonKey', props.axonKey.keyArn);

    // CloudFormation cannot make 32 random bytes; 43 alphanumerics decode to 32 bytes of base64 and
    // carry ~256 bits. The rotation configured below replaces it as soon as the stack is created.
    const orbitSecret = new secretsmanager.Secret(this, 'OrbitSigningKey', {
      secretName: `${config.prefix}/orbit/signing-key`,
      description: "Orbit's request-signing key (SigV4 to Axon); the version id is the key id",
      encryptionKey: orbitKey,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'signingKey',
        passwordLength: 43,
        excludePunctuation: true,
        includeSpace: false,
      },
      removalPolicy,
    });
    const axonSecret = new secretsmanager.Secret(this, 'AxonVerificationKeys', {
      secretName: `${config.prefix}/axon/verification-keys`,
      description: "Keys Axon accepts Orbit's signatures with; maintained by the signing-key rotation",
      encryptionKey: axonKey,
      // Not secret: an empty key set, filled by the first rotation.
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ keys: {} })),
      removalPolicy,
    });
    for (const rule of ['AwsSolutions-SMG4', 'NIST.800.53.R5-SecretsManagerRotationEnabled']) {
      acknowledge(
        axonSecret,
        rule,
        "Rotated together with Orbit's signing key: that rotation's setSecret step rewrites this key set before the new key is used.",
      );
    }

    const securityGroup = new ec2.SecurityGroup(this, 'RotationSg', {
      vpc: props.vpc,
      description: 'Signing-key rotation function: HTTPS to Secrets Manager only',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'Secrets Manager (endpoint or NAT)');

    const rotation = new LambdaFunction(this, 'Rotation', {
      functionName: `${config.prefix}-secret-rotation`,
      description: "Rotates Orbit's signing key and keeps Axon's verification key set in step",
      entry: fileURLToPath(new URL('../../lambdas/secret-rotation/handler.ts', import.meta.url)),
      config,
      logsKey: props.logsKey,
      environment: { [ROTATION_FUNCTION_ENV.verificationSecretId]: axonSecret.secretArn },
      timeout: Duration.seconds(30),
      vpc: props.vpc,
      vpcSubnets: props.functionSubnets,
      securityGroups: [securityGroup],
    });
    for (const rule of ['NIST.800.53.R5-LambdaDLQ', 'Serverless-LambdaDLQ']) {
      acknowledge(
        rotation.fn,
        rule,
        'Secrets Manager invokes rotation synchronously and retries a failed step itself; a failed rotation is reported by Secrets Manager, not queued.',
      );
    }

    orbitSecret.addRotationSchedule('Schedule', {
      rotationLambda: rotation.fn,
      automaticallyAfter: Duration.days(config.deployment.signingKeyRotationDays),
    });
    // The schedule lets all of Secrets Manager invoke the function; only this secret's rotation may
    // (a confused deputy could otherwise rotate through it on another account's behalf).
    for (const permission of rotation.fn.node.findAll()) {
      if (
        permission instanceof lambda.CfnPermission &&
        permission.principal === 'secretsmanager.amazonaws.com'
      ) {
        permission.sourceAccount = this.account;
        permission.sourceArn = orbitSecret.secretArn;
      }
    }
    axonSecret.grantRead(rotation.fn);
    axonSecret.grantWrite(rotation.fn);
    rotation.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'SigningKeysThroughSecretsManager',
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [props.orbitKey.keyArn, props.axonKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` } },
      }),
    );
    acknowledge(
      rotation.role,
      'AwsSolutions-IAM5[Resource::*]',
      'secretsmanager:GetRandomPassword (added by the rotation schedule) has no resource-level permissions.',
    );

    this.orbitSigningSecret = orbitSecret;
    this.axonVerificationSecret = axonSecret;
    this.rotationFunction = rotation.fn;
    this.rotationLogGroup = rotation.logGroup;
    this.rotationRole = rotation.role;
  }
}
