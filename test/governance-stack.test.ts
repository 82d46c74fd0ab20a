import { describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { validateGovernance } from '../lib/config/governance.js';
import { ConfigError, loadConfig } from '../lib/config/index.js';
import { sharedAssembly, stackTemplate } from './support/assembly.js';
import { buildPlatform, TEST_PROCESS_ENV } from './support/platform.js';

/** A property of the only resource of a type, as JSON: cross-stack references render differently by CDK version. */
function propertyOf(template: Template, type: string, property: string): string {
  const resources = Object.values(template.findResources(type)) as { Properties: Record<string, unknown> }[];
  expect(resources).toHaveLength(1);
  return JSON.stringify(resources[0]?.Properties[property]);
}

const tableOf = (name: 'dev' | 'prod') => stackTemplate(name, 'PolicyStore');
const functionOf = (name: 'dev' | 'prod') => stackTemplate(name, 'Governance');

describe('PolicyStoreStack', () => {
  it('keeps policy revisions in an on-demand table keyed PK/SK, encrypted with the governance key', () => {
    const template = tableOf('dev');
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'axon-orbit-dev-governance-policies',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: {
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: Match.anyValue(),
      },
    });
    expect(propertyOf(template, 'AWS::DynamoDB::Table', 'SSESpecification')).toMatch(/GovernanceKey/);
  });

  it('protects and retains the prod table, but lets dev be torn down', () => {
    tableOf('prod').hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    tableOf('dev').hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
  });
});

describe('GovernanceStack', () => {
  it('runs the decision handler as an arm64 Node 22+ function named for the Orbit boundary', () => {
    functionOf('prod').hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'axon-orbit-prod-governance-decide',
      Architectures: ['arm64'],
      Runtime: Match.stringLikeRegexp('^nodejs(22|24)\\.x$'),
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: 100,
      MemorySize: 1024,
      Timeout: 5,
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      Environment: {
        Variables: Match.objectLike({
          POLICY_TABLE_NAME: Match.anyValue(),
          POLICY_SET_NAME: 'default',
          POLICY_CACHE_TTL_MS: '30000',
          ENVIRONMENT: 'prod',
        }),
      },
    });
    expect(propertyOf(functionOf('prod'), 'AWS::Lambda::Function', 'Environment')).toMatch(/PolicyTable/);
  });

  it('takes reserved concurrency and cache TTL from the environment config', () => {
    functionOf('dev').hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: 5,
      Environment: { Variables: Match.objectLike({ POLICY_CACHE_TTL_MS: '5000', ENVIRONMENT: 'dev' }) },
    });
  });

  it('writes to its own log group, encrypted with the logs key and kept per the retention', () => {
    functionOf('prod').hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/lambda/axon-orbit-prod-governance-decide',
      RetentionInDays: 365,
      KmsKeyId: Match.anyValue(),
    });
    expect(propertyOf(functionOf('prod'), 'AWS::Logs::LogGroup', 'KmsKeyId')).toMatch(/LogsKey/);
  });

  it('may only read the policy table (GetItem, Query) and decrypt with the governance key', () => {
    const template = functionOf('dev');
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const onTable = statements.filter((s) => JSON.stringify(s.Resource).includes('PolicyTable'));
    expect(onTable).toEqual([
      expect.objectContaining({ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'] }),
    ]);
    const onKey = statements.filter((s) => JSON.stringify(s.Resource).includes('GovernanceKey'));
    expect(onKey).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'kms:Decrypt' })]);
    expect(JSON.stringify(statements)).not.toMatch(/dynamodb:(PutItem|UpdateItem|DeleteItem|Scan|\*)/);
  });

  it('reaches out over HTTPS only', () => {
    functionOf('dev').hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
    });
  });

  it('exposes the function for invoke grants and the table for other readers', () => {
    // The construct tree alone (no synth): these are the stage's properties other stacks wire.
    const dev = buildPlatform({ bundle: false, envs: ['dev'] }).stages.dev;
    expect(dev?.governance.decisionFunction.functionName).toBeDefined();
    expect(dev?.policyStore.policyTable.tableName).toBeDefined();
    expect(dev?.governance.reservedConcurrency).toBe(5);
  });

  it('passes the compliance packs without unacknowledged findings', () => {
    const ours = sharedAssembly().violations.filter((v) => /\/(PolicyStore|Governance)\//.test(v.path));
    expect(ours.map((v) => `${v.rule} at ${v.path}`)).toEqual([]);
  });
});

describe('governance config', () => {
  it('is loaded per environment', () => {
    expect(loadConfig('staging', TEST_PROCESS_ENV).governance).toEqual({
      reservedConcurrency: 20,
      memoryMiB: 512,
      cacheTtlSeconds: 15,
    });
  });

  it.each([
    [{ reservedConcurrency: 0, memoryMiB: 512, cacheTtlSeconds: 5 }, 'dev.governance.reservedConcurrency'],
    [{ reservedConcurrency: 1, memoryMiB: 64, cacheTtlSeconds: 5 }, 'dev.governance.memoryMiB'],
    [{ reservedConcurrency: 1, memoryMiB: 512, cacheTtlSeconds: 1.5 }, 'dev.governance.cacheTtlSeconds'],
  ])('rejects %j naming the field and the allowed range', (governance, field) => {
    expect(() => validateGovernance('dev', governance)).toThrow(ConfigError);
    expect(() => validateGovernance('dev', governance)).toThrow(
      new RegExp(`${field}.*must be an integer from`),
    );
  });
});
