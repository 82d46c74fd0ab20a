import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as acmpca from 'aws-cdk-lib/aws-acmpca';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import { acknowledge } from '../nag.js';
import { leastPrivilegeKeyPolicy } from './key-policy.js';
import { assertResourcePrefix } from './resource-prefix.js';

export interface ServiceConnectTlsProps {
  /** Resource-name prefix, e.g. `axon-orbit-prod`. */
  readonly prefix: string;
  /** Subject common name of the root CA: the Service Connect namespace, e.g. `axon-orbit-prod.internal`. */
  readonly commonName: string;
  /** What happens to the CA and the key when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
}

/** The AWS managed policy ECS documents for the role it assumes to issue Service Connect certificates. */
export const SERVICE_CONNECT_TLS_MANAGED_POLICY =
  'service-role/AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity';

/**
 * What the ECS infrastructure role does with the key when it stores each task's TLS private key in
 * Secrets Manager (the `ecs-sc!…` secrets), as the ECS Service Connect TLS guide lists them.
 */
export const SERVICE_CONNECT_TLS_KEY_ACTIONS = [
  'kms:Encrypt',
  'kms:Decrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyPair',
] as const;

/** Root CA certificate lifetime; the CA itself only ever signs 7-day leaf certificates. */
const ROOT_VALIDITY_YEARS = 10;
const COMMON_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * Encryption of Service Connect traffic (TLS 1.3) with certificates ECS issues, rotates and
 * distributes from an AWS Private CA: a root CA in short-lived certificate mode (leaf certificates
 * live at most 7 days and ECS rotates them every 5, so no revocation list is needed, and the mode
 * costs a fraction of a general-purpose CA), its self-signed certificate and activation; the ECS
 * infrastructure role with the managed TLS policy; and a customer-managed key for the secrets in
 * which ECS keeps each task's private key, usable by that role alone. Set `configuration` as `tls` on
 * the server side's Service Connect service; clients in the namespace then originate TLS in their
 * Service Connect proxy with no change to the application (which still speaks HTTP to the proxy).
 */
export class ServiceConnectTls extends Construct {
  readonly authority: acmpca.CfnCertificateAuthority;
  readonly activation: acmpca.CfnCertificateAuthorityActivation;
  readonly role: iam.Role;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: ServiceConnectTlsProps) {
    super(scope, id);
    assertResourcePrefix('ServiceConnectTls', props.prefix);
    if (props.commonName.length > 64 || !COMMON_NAME.test(props.commonName)) {
      throw new Error(
        `ServiceConnectTls commonName must be a lower-case DNS name of at most 64 characters, got "${props.commonName}"`,
      );
    }

    this.authority = new acmpca.CfnCertificateAuthority(this, 'Authority', {
      type: 'ROOT',
      usageMode: 'SHORT_LIVED_CERTIFICATE',
      keyAlgorithm: 'EC_prime256v1',
      signingAlgorithm: 'SHA256WITHECDSA',
      subject: { commonName: props.commonName, organization: props.prefix },
    });
    this.authority.applyRemovalPolicy(props.removalPolicy);
    const rootCertificate = new acmpca.CfnCertificate(this, 'RootCertificate', {
      certificateAuthorityArn: this.authority.attrArn,
      certificateSigningRequest: this.authority.attrCertificateSigningRequest,
      signingAlgorithm: 'SHA256WITHECDSA',
      templateArn: 'arn:aws:acm-pca:::template/RootCACertificate/V1',
      validity: { type: 'YEARS', value: ROOT_VALIDITY_YEARS },
    });
    this.activation = new acmpca.CfnCertificateAuthorityActivation(this, 'Activation', {
      certificateAuthorityArn: this.authority.attrArn,
      certificate: rootCertificate.attrCertificate,
      status: 'ACTIVE',
    });

    this.role = new iam.Role(this, 'InfrastructureRole', {
      roleName: `${props.prefix}-service-connect-tls`,
      description: 'ECS issues, rotates and stores Service Connect TLS certificates with this role',
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(SERVICE_CONNECT_TLS_MANAGED_POLICY)],
    });
    acknowledge(
      this.role,
      `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${SERVICE_CONNECT_TLS_MANAGED_POLICY}]`,
      'ECS documents this AWS managed policy as the permissions of its Service Connect TLS infrastructure role; it is scoped to ecs-sc! secrets and the Private CA actions ECS needs.',
    );

    this.key = new kms.Key(this, 'SecretKey', {
      alias: `${props.prefix}/service-connect-tls`,
      description: 'Encrypts the Secrets Manager secrets in which ECS keeps Service Connect TLS private keys',
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy: props.removalPolicy,
      // The account administers the key and may use it only through Secrets Manager (no IAM policy of
      // the platform allows that); the infrastructure role, named below, is the one that uses it.
      policy: leastPrivilegeKeyPolicy(this, { usedThrough: ['secretsmanager'] }),
    });
    // In the key policy itself: ECS calls GenerateDataKeyPair directly, not through Secrets Manager.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'ServiceConnectTlsInfrastructureRole',
        principals: [this.role],
        actions: [...SERVICE_CONNECT_TLS_KEY_ACTIONS],
        resources: ['*'],
      }),
    );
  }

  /** The `tls` block of the server side's Service Connect service. */
  get configuration(): ecs.ServiceConnectTlsConfiguration {
    return { awsPcaAuthorityArn: this.authority.attrArn, kmsKey: this.key, role: this.role };
  }

  /**
   * ECS can issue a certificate only from an active CA, with the role and key in place: the
   * service is created after the activation, the role and the key policy.
   */
  secure(service: IConstruct): void {
    service.node.addDependency(this.activation, this.role, this.key);
  }
}
