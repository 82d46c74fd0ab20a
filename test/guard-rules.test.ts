import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { IPolicyValidationContext } from 'aws-cdk-lib';
import { GUARD_DID_NOT_RUN, PROJECT_RULES_DIR, ProjectGuardValidator } from '../lib/guard/validator.js';

type Resources = Record<string, Record<string, unknown>>;

/**
 * Runs one project rule file over templates (one per entry) and returns the rules that fired. Guard
 * attributes a cross-resource finding to the resource where the requirement broke (the key, the
 * bucket, the dependency), so only the rule is asserted here.
 */
function findings(ruleFile: string, ...templates: Resources[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'guard-rule-'));
  const templatePaths = templates.map((resources, i) => {
    const path = join(dir, `Stack${i}.template.json`);
    writeFileSync(path, JSON.stringify({ Resources: resources }));
    return path;
  });
  const validator = new ProjectGuardValidator({
    controlTowerRules: false,
    rules: [join(PROJECT_RULES_DIR, ruleFile)],
  });
  const report = validator.validate({ templatePaths } as unknown as IPolicyValidationContext);
  return [...new Set(report.violations.map((v) => v.ruleName))];
}

const ROOT = { AWS: 'arn:aws:iam::123456789012:root' };
const key = (...statements: Record<string, unknown>[]) => ({
  Type: 'AWS::KMS::Key',
  Properties: { KeyPolicy: { Version: '2012-10-17', Statement: statements } },
});
const ADMIN = {
  Effect: 'Allow',
  Principal: ROOT,
  Action: ['kms:PutKeyPolicy', 'kms:DescribeKey'],
  Resource: '*',
};
const SNS_USE = {
  Effect: 'Allow',
  Principal: { Service: 'sns.amazonaws.com' },
  Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
  Resource: '*',
  Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:123456789012:p-alarms-*' } },
};
const LOGS_USE = {
  Effect: 'Allow',
  Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
  Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
  Resource: '*',
  Condition: {
    ArnLike: { 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:eu-west-1:123456789012:log-group:*' },
  },
};

describe('ProjectGuardValidator', () => {
  it('refuses a rule file guard cannot parse instead of passing it silently', () => {
    const dir = mkdtempSync(join(tmpdir(), 'guard-bad-'));
    const rule = join(dir, 'broken.guard');
    writeFileSync(rule, 'rule broken {\n  some X[*] { Y exists }\n  <<\n  message after a block\n  >>\n}\n');
    const template = join(dir, 'Stack.template.json');
    writeFileSync(template, JSON.stringify({ Resources: {} }));
    const validator = new ProjectGuardValidator({ controlTowerRules: false, rules: [rule] });
    expect(didNotRun(validator, template)).toMatch(
      /^guard could not judge the templates: guard rule file .*broken\.guard does not parse: .*line 3 at column 3/,
    );
  });

  it('refuses a rule named like the sentinel that proves each merged file was evaluated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'guard-reserved-'));
    const rule = join(dir, 'reserved.guard');
    writeFileSync(rule, 'rule guard_evaluated_sentinel_0 {\n  Resources exists\n}\n');
    expect(() => new ProjectGuardValidator({ controlTowerRules: false, rules: [rule] })).toThrow(
      'guard rule guard_evaluated_sentinel_0: names starting with guard_evaluated_sentinel are reserved',
    );
  });

  it('refuses a cross-stack reference to a stack outside the validated templates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'guard-missing-'));
    const template = join(dir, 'Consumer.template.json');
    const ref = { 'Fn::GetStackOutput': { StackName: 'elsewhere', OutputName: 'KeyArn' } };
    writeFileSync(
      template,
      JSON.stringify({ Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: ref } } } }),
    );
    const validator = new ProjectGuardValidator({ controlTowerRules: false });
    expect(didNotRun(validator, template)).toBe(
      'guard could not judge the templates: guard: Consumer.template.json reads output KeyArn of stack elsewhere, which is not in this assembly: validate them together',
    );
  });
});

/**
 * What a validation that could not run reports. It must be a failed report with a finding, never an
 * exception: `cdk synth` passes a plugin that throws (exit code 0, nothing printed).
 */
function didNotRun(validator: ProjectGuardValidator, template: string): string | undefined {
  const report = validator.validate({ templatePaths: [template] } as unknown as IPolicyValidationContext);
  expect(report.success).toBe(false);
  expect(report.violations.map((v) => v.ruleName)).toEqual([GUARD_DID_NOT_RUN]);
  return report.violations[0]?.description;
}

describe('project guard rules: each fails on the defect and passes on the fix', () => {
  it('kms_key_policy_least_privilege: no kms:* and no unconditioned use', () => {
    const rule = 'kms-key-policy.guard';
    expect(
      findings(rule, { Key: key({ Effect: 'Allow', Principal: ROOT, Action: 'kms:*', Resource: '*' }) }),
    ).toEqual(['kms_key_policy_least_privilege']);
    expect(
      findings(rule, {
        Key: key(ADMIN, { Effect: 'Allow', Principal: ROOT, Action: ['kms:Decrypt'], Resource: '*' }),
      }),
    ).toEqual(['kms_key_policy_least_privilege']);
    const viaService = {
      Effect: 'Allow',
      Principal: ROOT,
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
    };
    expect(findings(rule, { Key: key(ADMIN, viaService, SNS_USE) })).toEqual([]);
    const joinedRoot = {
      AWS: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']],
      },
    };
    expect(
      findings(rule, {
        Key: key(ADMIN, { Effect: 'Allow', Principal: joinedRoot, Action: 'kms:Decrypt', Resource: '*' }),
      }),
    ).toEqual(['kms_key_policy_least_privilege']);
    // One named role may use the key without a condition: it is already the least privilege.
    const namedRole = { AWS: { 'Fn::GetAtt': ['Role', 'Arn'] } };
    expect(
      findings(rule, {
        Key: key(ADMIN, { Effect: 'Allow', Principal: namedRole, Action: ['kms:Decrypt'], Resource: '*' }),
      }),
    ).toEqual([]);
  });

  const queueAndSubscription = (keyRef: unknown) => ({
    Queue: { Type: 'AWS::SQS::Queue', Properties: keyRef === undefined ? {} : { KmsMasterKeyId: keyRef } },
    Subscription: {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        Protocol: 'email',
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
      },
    },
  });

  it('sns_dead_letter_queue_key_admits_sns: the queue key lets SNS write', () => {
    const rule = 'sns-dead-letter-queue-key.guard';
    const withoutGrant = { Key: key(ADMIN), ...queueAndSubscription({ 'Fn::GetAtt': ['Key', 'Arn'] }) };
    expect(findings(rule, withoutGrant)).toEqual(['sns_dead_letter_queue_key_admits_sns']);
    const withGrant = { Key: key(ADMIN, SNS_USE), ...queueAndSubscription({ 'Fn::GetAtt': ['Key', 'Arn'] }) };
    expect(findings(rule, withGrant)).toEqual([]);
    expect(findings(rule, queueAndSubscription(undefined))).toEqual([]);
    expect(findings(rule, queueAndSubscription('alias/aws/sqs'))).toEqual([
      'sns_dead_letter_queue_key_admits_sns',
    ]);
  });

  it('follows a key published by another stack (Fn::GetStackOutput) and reports it on the consumer', () => {
    const rule = 'sns-dead-letter-queue-key.guard';
    const producer = (...statements: Record<string, unknown>[]) => ({
      Key: key(ADMIN, ...statements),
      $outputs: {},
    });
    const consumer = queueAndSubscription({
      'Fn::GetStackOutput': { StackName: 'Stack0', OutputName: 'KeyArn', Region: 'eu-west-1' },
    });
    const asTemplates = (p: ReturnType<typeof producer>) => {
      const { $outputs: _, ...resources } = p;
      return [resources, consumer] as const;
    };
    // The producer template needs its Outputs: write it by hand.
    const dir = mkdtempSync(join(tmpdir(), 'guard-xstack-'));
    const run = (statements: Record<string, unknown>[]) => {
      const [resources] = asTemplates(producer(...statements));
      const producerPath = join(dir, 'Stack0.template.json');
      writeFileSync(
        producerPath,
        JSON.stringify({
          Resources: resources,
          Outputs: { KeyArn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] } } },
        }),
      );
      const consumerPath = join(dir, 'Stack1.template.json');
      writeFileSync(consumerPath, JSON.stringify({ Resources: consumer }));
      const validator = new ProjectGuardValidator({
        controlTowerRules: false,
        rules: [join(PROJECT_RULES_DIR, rule)],
      });
      const report = validator.validate({
        templatePaths: [producerPath, consumerPath],
      } as unknown as IPolicyValidationContext);
      return report.violations.flatMap((v) =>
        v.violatingResources.map((r) => `${r.resourceLogicalId} in ${r.templatePath}`),
      );
    };
    // Found through the copy of the producer's key, reported on the consumer's template.
    expect(run([])).toContain(`Queue in ${join(dir, 'Stack1.template.json')}`);
    expect(run([SNS_USE])).toEqual([]);
  });

  it('log_group_key_admits_cloudwatch_logs: the key admits logs.<region> per log group', () => {
    const rule = 'log-group-key.guard';
    const group = { Type: 'AWS::Logs::LogGroup', Properties: { KmsKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } } };
    expect(findings(rule, { Key: key(ADMIN), Group: group })).toEqual([
      'log_group_key_admits_cloudwatch_logs',
    ]);
    const { Condition: _, ...unconditioned } = LOGS_USE;
    expect(findings(rule, { Key: key(ADMIN, unconditioned), Group: group })).toEqual([
      'log_group_key_admits_cloudwatch_logs',
    ]);
    expect(findings(rule, { Key: key(ADMIN, LOGS_USE), Group: group })).toEqual([]);
  });

  it('ecs_service_depends_on_capacity_providers', () => {
    const rule = 'ecs-capacity-provider.guard';
    const service = (dependsOn?: string[]) => ({
      Type: 'AWS::ECS::Service',
      ...(dependsOn ? { DependsOn: dependsOn } : {}),
      Properties: { CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }] },
    });
    const association = { Type: 'AWS::ECS::ClusterCapacityProviderAssociations', Properties: {} };
    const cluster = { Type: 'AWS::ECS::Cluster', Properties: {} };
    expect(findings(rule, { Cluster: cluster, Assoc: association, Service: service() })).toEqual([
      'ecs_service_depends_on_capacity_providers',
    ]);
    expect(findings(rule, { Cluster: cluster, Assoc: association, Service: service(['Cluster']) })).toEqual([
      'ecs_service_depends_on_capacity_providers',
    ]);
    expect(
      findings(rule, { Cluster: cluster, Assoc: association, Service: service(['Cluster', 'Assoc']) }),
    ).toEqual([]);
  });

  it('lambda_service_permission_names_source', () => {
    const rule = 'lambda-permission-source.guard';
    const permission = (extra: Record<string, unknown>) => ({
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: 'f',
        Principal: 'secretsmanager.amazonaws.com',
        ...extra,
      },
    });
    expect(findings(rule, { Permission: permission({}) })).toEqual([
      'lambda_service_permission_names_source',
    ]);
    expect(findings(rule, { Permission: permission({ SourceAccount: '123456789012' }) })).toEqual([]);
  });

  it('lambda_runtime_supported_nodejs', () => {
    const rule = 'lambda-runtime.guard';
    const fn = (runtime: string) => ({ Type: 'AWS::Lambda::Function', Properties: { Runtime: runtime } });
    expect(findings(rule, { Fn: fn('nodejs20.x') })).toEqual(['lambda_runtime_supported_nodejs']);
    expect(findings(rule, { Fn: fn('nodejs22.x'), Fn2: fn('nodejs24.x'), Py: fn('python3.13') })).toEqual([]);
  });

  it('alb_access_logs_bucket_sse_s3', () => {
    const rule = 'alb-access-logs-bucket.guard';
    const bucket = (algorithm: string) => ({
      Type: 'AWS::S3::Bucket',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: algorithm } }],
        },
      },
    });
    const alb = {
      Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      Properties: {
        LoadBalancerAttributes: [
          { Key: 'access_logs.s3.enabled', Value: 'true' },
          { Key: 'access_logs.s3.bucket', Value: { Ref: 'Logs' } },
        ],
      },
    };
    expect(findings(rule, { Logs: bucket('aws:kms'), Alb: alb })).toEqual(['alb_access_logs_bucket_sse_s3']);
    expect(findings(rule, { Logs: bucket('AES256'), Alb: alb })).toEqual([]);
  });

  it('ecr_repository_empties_on_delete', () => {
    const rule = 'ecr-teardown.guard';
    const repository = (properties: Record<string, unknown>, deletionPolicy = 'Delete') => ({
      Type: 'AWS::ECR::Repository',
      DeletionPolicy: deletionPolicy,
      Properties: properties,
    });
    expect(findings(rule, { Repo: repository({}) })).toEqual(['ecr_repository_empties_on_delete']);
    expect(
      findings(rule, { Repo: repository({ EmptyOnDelete: true }), Kept: repository({}, 'Retain') }),
    ).toEqual([]);
  });
});
