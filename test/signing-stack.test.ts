import { describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { stackTemplate } from './support/assembly.js';

const prod = stackTemplate('prod', 'Signing');
const dev = stackTemplate('dev', 'Signing');

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const statementsOf = (t: Template, type: 'AWS::IAM::Policy') =>
  Object.values(t.findResources(type)).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const secretId = (t: Template, name: string) => {
  const [id] = Object.entries(t.findResources('AWS::SecretsManager::Secret')).find(
    ([, r]) => (r as { Properties: { Name: string } }).Properties.Name === name,
  ) ?? [undefined];
  if (!id) throw new Error(`no secret ${name}`);
  return id;
};

describe('SigningStack', () => {
  it("encrypts Orbit's key with Orbit's KMS key and Axon's key set with Axon's", () => {
    prod.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'axon-orbit-prod/orbit/signing-key',
      KmsKeyId: {
        'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('OrbitKey') }),
      },
      GenerateSecretString: Match.objectLike({ GenerateStringKey: 'signingKey', PasswordLength: 43 }),
    });
    prod.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'axon-orbit-prod/axon/verification-keys',
      KmsKeyId: { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('AxonKey') }) },
      SecretString: '{"keys":{}}',
    });
  });

  it('rotates the signing key on the configured schedule with the rotation function', () => {
    prod.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: secretId(prod, 'axon-orbit-prod/orbit/signing-key') },
      RotationLambdaARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RotationFunction'), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
    });
    dev.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(7 days)' },
    });
    prod.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
  });

  it('runs the rotation function on Node.js 24, arm64, inside the VPC, pointed at Axon’s key set', () => {
    prod.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'axon-orbit-prod-secret-rotation',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          VERIFICATION_SECRET_ID: { Ref: secretId(prod, 'axon-orbit-prod/axon/verification-keys') },
        }),
      },
    });
    prod.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/lambda/axon-orbit-prod-secret-rotation',
      RetentionInDays: 365,
      KmsKeyId: Match.anyValue(),
    });
  });

  it('lets the rotation function touch only the two signing secrets and their keys', () => {
    const statements = statementsOf(prod, 'AWS::IAM::Policy');
    const secretResources = statements
      .filter((s) =>
        actions(s).some((a) => a.startsWith('secretsmanager:') && a !== 'secretsmanager:GetRandomPassword'),
      )
      .map((s) => JSON.stringify(s.Resource));
    expect(new Set(secretResources)).toEqual(
      new Set([
        JSON.stringify({ Ref: secretId(prod, 'axon-orbit-prod/orbit/signing-key') }),
        JSON.stringify({ Ref: secretId(prod, 'axon-orbit-prod/axon/verification-keys') }),
      ]),
    );
    const kms = statements.filter((s) => actions(s).some((a) => a.startsWith('kms:')));
    expect(kms).toHaveLength(1);
    const keyOutputs = JSON.stringify(kms[0]?.Resource);
    expect(keyOutputs).toMatch(/OrbitKey/);
    expect(keyOutputs).toMatch(/AxonKey/);
    expect(keyOutputs).not.toMatch(/GovernanceKey|LogsKey/);
    expect(kms[0]?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
    });
  });

  it('retains the secrets in prod and deletes them in dev', () => {
    for (const [t, policy] of [
      [prod, 'Retain'],
      [dev, 'Delete'],
    ] as const) {
      for (const secret of Object.values(t.findResources('AWS::SecretsManager::Secret'))) {
        expect((secret as { DeletionPolicy: string }).DeletionPolicy).toBe(policy);
      }
    }
  });

  it('lets Secrets Manager invoke the rotation function only for the Orbit signing key of this account', () => {
    const permissions = Object.values(prod.findResources('AWS::Lambda::Permission')).map(
      (p) => (p as { Properties: Record<string, unknown> }).Properties,
    );
    const fromSecretsManager = permissions.filter((p) => p.Principal === 'secretsmanager.amazonaws.com');
    expect(fromSecretsManager).toHaveLength(1);
    expect(fromSecretsManager[0]).toMatchObject({
      SourceAccount: '123456789012',
      SourceArn: { Ref: secretId(prod, 'axon-orbit-prod/orbit/signing-key') },
    });
  });

  it('leaves the key policies in SecurityStack alone (no reference back to this stack)', () => {
    const security = JSON.stringify(stackTemplate('prod', 'Security').toJSON());
    expect(security).not.toContain('Fn::GetStackOutput');
    expect(security).not.toMatch(/RotationRole|RotationFunction|OrbitSigningKey|AxonVerificationKeys/);
  });
});
