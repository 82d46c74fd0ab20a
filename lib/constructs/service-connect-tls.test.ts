import { describe, expect, it } from '@jest/globals';
import { CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { fixtureApp } from '../../test/support/fixture-app.js';
import {
  SERVICE_CONNECT_TLS_KEY_ACTIONS,
  SERVICE_CONNECT_TLS_MANAGED_POLICY,
  ServiceConnectTls,
  type ServiceConnectTlsProps,
} from './service-connect-tls.js';

const PROPS: ServiceConnectTlsProps = {
  prefix: 'axon-orbit-prod',
  commonName: 'axon-orbit-prod.internal',
  removalPolicy: RemovalPolicy.RETAIN,
};

function synth() {
  const stack = new Stack(fixtureApp(), 'Tls');
  const tls = new ServiceConnectTls(stack, 'Tls', PROPS);
  // Stands in for the Axon service: what `secure` must order after the CA.
  tls.secure(new CfnResource(stack, 'Service', { type: 'AWS::ECS::Service' }));
  return { stack, tls, template: Template.fromStack(stack) };
}

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, navigated by the assertions themselves
type Cfn = any;
const only = (template: Template, type: string): [string, Cfn] => {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0] as [string, Cfn];
};

describe('ServiceConnectTls', () => {
  const { stack, tls, template } = synth();

  it('creates a root CA in short-lived certificate mode (leaves live ≤ 7 days: no revocation needed)', () => {
    template.hasResourceProperties('AWS::ACMPCA::CertificateAuthority', {
      Type: 'ROOT',
      UsageMode: 'SHORT_LIVED_CERTIFICATE',
      KeyAlgorithm: 'EC_prime256v1',
      SigningAlgorithm: 'SHA256WITHECDSA',
      Subject: { CommonName: 'axon-orbit-prod.internal' },
      RevocationConfiguration: Match.absent(),
    });
  });

  it('signs the root certificate from the CA’s own CSR and activates the CA with it', () => {
    const [caId] = only(template, 'AWS::ACMPCA::CertificateAuthority');
    const [certId] = only(template, 'AWS::ACMPCA::Certificate');
    template.hasResourceProperties('AWS::ACMPCA::Certificate', {
      CertificateAuthorityArn: { 'Fn::GetAtt': [caId, 'Arn'] },
      CertificateSigningRequest: { 'Fn::GetAtt': [caId, 'CertificateSigningRequest'] },
      TemplateArn: 'arn:aws:acm-pca:::template/RootCACertificate/V1',
    });
    template.hasResourceProperties('AWS::ACMPCA::CertificateAuthorityActivation', {
      CertificateAuthorityArn: { 'Fn::GetAtt': [caId, 'Arn'] },
      Certificate: { 'Fn::GetAtt': [certId, 'Certificate'] },
      Status: 'ACTIVE',
    });
  });

  it('gives ECS (ecs.amazonaws.com) a role with the managed Service Connect TLS policy', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'axon-orbit-prod-service-connect-tls',
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' } },
        ],
      },
      ManagedPolicyArns: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/${SERVICE_CONNECT_TLS_MANAGED_POLICY}`],
          ],
        },
      ],
    });
  });

  it('lets that role alone use the secrets key directly, in the key policy, with rotation on', () => {
    const [, key] = only(template, 'AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const allows = (key.Properties.KeyPolicy.Statement as Cfn[]).filter((s) => s.Effect === 'Allow');
    expect(allows).toContainEqual(
      expect.objectContaining({
        Sid: 'ServiceConnectTlsInfrastructureRole',
        Principal: { AWS: stack.resolve(tls.role.roleArn) },
        Action: [...SERVICE_CONNECT_TLS_KEY_ACTIONS],
      }),
    );
    // Besides the role: the account administers the key and may use it only through Secrets Manager.
    const others = allows.filter((s) => s.Sid !== 'ServiceConnectTlsInfrastructureRole');
    expect(others.map((s) => s.Sid).sort()).toEqual(['AccountAdministersKey', 'UseThroughSecretsmanager']);
    const viaService = others.find((s) => s.Sid === 'UseThroughSecretsmanager');
    expect(viaService.Condition.StringEquals['kms:ViaService']).toEqual({
      'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
    });
  });

  it('points the Service Connect tls block at the CA, the key and the role', () => {
    const { awsPcaAuthorityArn, kmsKey, role } = tls.configuration;
    expect(stack.resolve(awsPcaAuthorityArn)).toEqual(stack.resolve(tls.authority.attrArn));
    expect(kmsKey).toBe(tls.key);
    expect(role).toBe(tls.role);
  });

  it('orders the secured service after the CA activation, the role and the key', () => {
    const dependsOn = template.toJSON().Resources.Service.DependsOn as string[];
    const id = (type: string) => only(template, type)[0];
    expect(dependsOn).toEqual(
      expect.arrayContaining([
        id('AWS::ACMPCA::CertificateAuthorityActivation'),
        id('AWS::KMS::Key'),
        expect.stringMatching(/^TlsInfrastructureRole/),
      ]),
    );
  });

  it('retains the CA and the key when told to', () => {
    expect(only(template, 'AWS::ACMPCA::CertificateAuthority')[1].DeletionPolicy).toBe('Retain');
    expect(only(template, 'AWS::KMS::Key')[1].DeletionPolicy).toBe('Retain');
  });

  it.each([
    ['prefix', { prefix: 'Axon Orbit' }, /ServiceConnectTls prefix/],
    ['commonName', { commonName: 'Not A DNS Name' }, /ServiceConnectTls commonName/],
    ['commonName', { commonName: `${'a'.repeat(60)}.internal` }, /ServiceConnectTls commonName/],
  ])('refuses a bad %s naming the field', (_field, override, message) => {
    expect(
      () => new ServiceConnectTls(new Stack(fixtureApp(), 'X'), 'Tls', { ...PROPS, ...override }),
    ).toThrow(message);
  });
});
