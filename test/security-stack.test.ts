import { describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { stackTemplate } from './support/assembly.js';

const prod = stackTemplate('prod', 'Security');
const dev = stackTemplate('dev', 'Security');

type Statement = {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
};
const keys = (t: Template) =>
  Object.entries(t.findResources('AWS::KMS::Key')) as [
    string,
    { Properties: { KeyPolicy: { Statement: Statement[] } }; DeletionPolicy: string },
  ][];
const keyByAlias = (t: Template, alias: string) => {
  const aliasResource = Object.values(t.findResources('AWS::KMS::Alias')).find(
    (a) => (a as { Properties: { AliasName: string } }).Properties.AliasName === alias,
  ) as { Properties: { TargetKeyId: { 'Fn::GetAtt': [string, string] } } } | undefined;
  if (!aliasResource) throw new Error(`no alias ${alias}`);
  const [, key] = keys(t).find(([id]) => id === aliasResource.Properties.TargetKeyId['Fn::GetAtt'][0]) ?? [];
  if (!key) throw new Error(`no key for ${alias}`);
  return key;
};
const roleLogicalId = (t: Template, service: string) => {
  const id = Object.keys(t.findResources('AWS::IAM::Role')).find((k) => k.startsWith(`${service}TaskRole`));
  if (!id) throw new Error(`no ${service} role`);
  return id;
};

describe('SecurityStack', () => {
  it('creates one rotating key per service and for logs', () => {
    for (const service of ['axon', 'orbit', 'governance', 'logs', 'alarms']) {
      expect(keyByAlias(prod, `alias/axon-orbit-prod/${service}`)).toBeDefined();
    }
    prod.resourceCountIs('AWS::KMS::Key', 5);
    prod.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true, RotationPeriodInDays: 365 });
  });

  it('retains keys in prod and lets dev keys be deleted', () => {
    expect(keys(prod).every(([, k]) => k.DeletionPolicy === 'Retain')).toBe(true);
    expect(keys(dev).every(([, k]) => k.DeletionPolicy === 'Delete')).toBe(true);
  });

  it("names only the service's own task role in its key policy", () => {
    const axonRole = roleLogicalId(prod, 'Axon');
    const orbitRole = roleLogicalId(prod, 'Orbit');
    const axonPolicy = JSON.stringify(keyByAlias(prod, 'alias/axon-orbit-prod/axon').Properties.KeyPolicy);
    const orbitPolicy = JSON.stringify(keyByAlias(prod, 'alias/axon-orbit-prod/orbit').Properties.KeyPolicy);
    expect(axonPolicy).toContain(axonRole);
    expect(axonPolicy).not.toContain(orbitRole);
    expect(orbitPolicy).toContain(orbitRole);
    expect(orbitPolicy).not.toContain(axonRole);
  });

  it("lets SNS write the alarm topics' undelivered notifications to the queue under the alarms key", () => {
    const statements = keyByAlias(prod, 'alias/axon-orbit-prod/alarms').Properties.KeyPolicy.Statement;
    const sns = statements.filter((s) => JSON.stringify(s.Principal).includes('sns.amazonaws.com'));
    expect(sns).toHaveLength(1);
    expect(sns[0]?.Action).toEqual(expect.arrayContaining(['kms:GenerateDataKey*', 'kms:Decrypt']));
    expect(JSON.stringify(sns[0]?.Condition)).toMatch(/ArnLike.*aws:SourceArn.*:axon-orbit-prod-alarms-\*/);
  });

  it('lets task roles decrypt only through Secrets Manager', () => {
    const statement = keyByAlias(prod, 'alias/axon-orbit-prod/axon').Properties.KeyPolicy.Statement.find(
      (s) => s.Sid === 'AxonTaskRoleDecryptsItsSecrets',
    );
    expect(statement?.Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
    });
  });

  it('gives the account no use of any key outside the services it is meant for', () => {
    const viaService = (alias: string) =>
      keyByAlias(prod, `alias/axon-orbit-prod/${alias}`)
        .Properties.KeyPolicy.Statement.filter((s) => JSON.stringify(s.Principal).includes(':root'))
        .filter((s) => s.Effect === 'Allow' && s.Sid !== 'AccountAdministersKey')
        .map((s) => (s.Condition as { StringEquals: Record<string, string> }).StringEquals['kms:ViaService']);
    expect(viaService('axon')).toEqual(['secretsmanager.eu-west-1.amazonaws.com']);
    expect(viaService('orbit')).toEqual(['secretsmanager.eu-west-1.amazonaws.com']);
    expect(viaService('governance')).toEqual(['dynamodb.eu-west-1.amazonaws.com']);
    expect(viaService('logs')).toEqual(['s3.eu-west-1.amazonaws.com', 'firehose.eu-west-1.amazonaws.com']);
    expect(viaService('alarms')).toEqual(['sns.eu-west-1.amazonaws.com', 'sqs.eu-west-1.amazonaws.com']);
  });

  it('lets the account administer every key but never use it directly (no root kms:*)', () => {
    for (const t of [prod, dev]) {
      for (const [, key] of keys(t)) {
        const statements = key.Properties.KeyPolicy.Statement;
        expect(statements.filter((s) => [s.Action].flat().some((a) => a === 'kms:*'))).toEqual([]);
        const admin = statements.find((s) => s.Sid === 'AccountAdministersKey');
        // KMS refuses a policy that would not let the caller update it again.
        expect([admin?.Action].flat()).toEqual(
          expect.arrayContaining(['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion']),
        );
        expect(
          [admin?.Action]
            .flat()
            .filter((a) => /Decrypt|Encrypt|GenerateDataKey|Sign|CreateGrant/.test(String(a))),
        ).toEqual([]);
        const rootUse = statements.filter(
          (s) =>
            s.Effect === 'Allow' &&
            s.Sid !== 'AccountAdministersKey' &&
            JSON.stringify(s.Principal).includes(':root'),
        );
        for (const s of rootUse) expect(JSON.stringify(s.Condition)).toContain('kms:CallerAccount');
      }
    }
  });

  it('refuses grants on any key unless they are for an AWS resource', () => {
    for (const [, key] of keys(prod)) {
      expect(key.Properties.KeyPolicy.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'kms:CreateGrant',
          Condition: {
            BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
          },
        }),
      );
    }
  });

  it('lets CloudWatch Logs use the logs key only for log groups of this account and region', () => {
    const statement = keyByAlias(prod, 'alias/axon-orbit-prod/logs').Properties.KeyPolicy.Statement.find(
      (s) => JSON.stringify(s.Principal).includes('logs.eu-west-1.amazonaws.com'),
    );
    expect(statement?.Condition).toEqual({
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:123456789012:log-group:*' },
    });
  });

  it('attaches a permission boundary to both task roles', () => {
    for (const service of ['Axon', 'Orbit']) {
      const role = prod.findResources('AWS::IAM::Role')[roleLogicalId(prod, service)] as {
        Properties: { PermissionsBoundary: { Ref: string } };
      };
      expect(role.Properties.PermissionsBoundary.Ref).toMatch(new RegExp(`^${service}Boundary`));
    }
  });

  it('bounds Axon to its own key alias, secrets and logs, with no Lambda invoke', () => {
    const policies = Object.entries(prod.findResources('AWS::IAM::ManagedPolicy'));
    const [, axon] = policies.find(([id]) => id.startsWith('AxonBoundary')) ?? [];
    const text = JSON.stringify(axon);
    expect(text).toContain('alias/axon-orbit-prod/axon');
    expect(text).toContain('secret:axon-orbit-prod/axon/*');
    expect(text).not.toContain('orbit/');
    expect(text).not.toContain('lambda:InvokeFunction');
  });

  it('lets the Orbit boundary invoke only the governance functions', () => {
    prod.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'lambda:InvokeFunction',
            Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:axon-orbit-prod-governance*',
          }),
        ]),
      },
    });
  });

  it('uses wildcard actions nowhere, and "*" resources only for X-Ray', () => {
    for (const t of [prod, dev]) {
      for (const [, policy] of Object.entries(t.findResources('AWS::IAM::ManagedPolicy'))) {
        const statements = (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } })
          .Properties.PolicyDocument.Statement;
        for (const s of statements) {
          const actions = ([] as string[]).concat(s.Action);
          expect(actions.every((a) => !a.endsWith(':*') && a !== '*')).toBe(true);
          if (s.Resource === '*') expect(actions.every((a) => a.startsWith('xray:'))).toBe(true);
        }
      }
    }
  });

  it('lets only ECS tasks of this account assume the task roles', () => {
    prod.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ],
      },
    });
  });
});
