import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { mergeRuleFiles } from '../lib/guard/merge-rules.js';
import { SharedQueries } from '../lib/guard/share-queries.js';
import { controlTowerRuleFiles, PROJECT_RULES_DIR } from '../lib/guard/validator.js';
import { sharedAssembly } from './support/assembly.js';
import {
  comparableFindings,
  controlTowerFindingsBothWays,
  findingsOfFiles,
  guardFindings,
  guardWorkDir,
  writeIn,
} from './support/guard.js';

const controlTowerFile = (name: string) => {
  const path = controlTowerRuleFiles().find((file) => file.endsWith(`/${name}.guard`));
  if (!path) throw new Error(`no Control Tower rule file ${name}`);
  return path;
};

describe('SharedQueries: the template-wide queries of rule files, evaluated once per template', () => {
  it("reads a Control Tower file's resources of its type and its template check from shared variables", () => {
    const shared = new SharedQueries();
    const source = readFileSync(controlTowerFile('ct-cloudwatch-pr-1'), 'utf8');
    const rewritten = shared.rewrite(source);

    expect(rewritten).toContain('let cloudwatch_alarms = %shared__resources_AWS_CloudWatch_Alarm');
    expect(rewritten).not.toContain('Resources.*[');
    expect(rewritten).toMatch(
      /rule cloudwatch_alarm_action_check when %shared__template_sections not empty\s/,
    );
    expect(rewritten).not.toContain('is_cfn_template(%INPUT_DOCUMENT)');
    // The hook form and the rule bodies are untouched.
    expect(rewritten).toContain('when is_cfn_hook(%INPUT_DOCUMENT, %CLOUDWATCH_ALARM_TYPE)');
    expect(rewritten).toContain('check(%cloudwatch_alarms.Properties)');
    expect(
      shared
        .declarations()
        .split('\n')
        .filter((line) => line.startsWith('let ')),
    ).toEqual([
      'let shared__resources = Resources.*',
      "let shared__resources_AWS_CloudWatch_Alarm = %shared__resources[ Type == 'AWS::CloudWatch::Alarm' ]",
      'let shared__template_sections = this[ keys == /\\A(AWSTemplateFormatVersion|Resources)\\z/ ]',
    ]);
  });

  it('declares each type once for every file that asks for it, in a stable order', () => {
    const shared = new SharedQueries();
    shared.rewrite("let b = Resources.*[ Type == 'AWS::SNS::Topic' ]\n");
    shared.rewrite('let T = "AWS::SQS::Queue"\nlet a = Resources.*[Type == %T]\n');
    shared.rewrite("let c = Resources.*[ Type == 'AWS::SNS::Topic' ]\n");
    expect(shared.declarations()).toContain(
      [
        'let shared__resources = Resources.*',
        "let shared__resources_AWS_SNS_Topic = %shared__resources[ Type == 'AWS::SNS::Topic' ]",
        "let shared__resources_AWS_SQS_Queue = %shared__resources[ Type == 'AWS::SQS::Queue' ]",
      ].join('\n'),
    );
  });

  it("filters a type's shared resources where a query narrows that type further", () => {
    const shared = new SharedQueries();
    const rewritten = shared.rewrite(
      [
        "let keys = Resources.*[ Type == 'AWS::KMS::Key' Metadata.x not exists ]",
        'let services = Resources.*[',
        "  Type == 'AWS::ECS::Service'",
        '  Properties.LoadBalancers[*].ContainerName == /[a-z]+\\]/ # a ] in a regex or comment',
        "  Properties.Tags[ Key == 'team' ] not empty",
        ']',
        '',
      ].join('\n'),
    );
    expect(rewritten).toBe(
      [
        'let keys = %shared__resources_AWS_KMS_Key[ Metadata.x not exists ]',
        'let services = %shared__resources_AWS_ECS_Service[',
        '  Properties.LoadBalancers[*].ContainerName == /[a-z]+\\]/ # a ] in a regex or comment',
        "  Properties.Tags[ Key == 'team' ] not empty",
        ']',
        '',
      ].join('\n'),
    );
    expect(shared.declarations()).toContain(
      "let shared__resources_AWS_KMS_Key = %shared__resources[ Type == 'AWS::KMS::Key' ]",
    );
  });

  it('filters many types from groups of about √n types, each type from the group holding it', () => {
    const shared = new SharedQueries();
    const types = ['A', 'B', 'C', 'D', 'E', 'F'].map((name) => `AWS::Test::${name}`);
    for (const type of types) shared.rewrite(`let r = Resources.*[ Type == '${type}' ]\n`);
    const lines = shared.declarations().split('\n');
    const groups = lines.filter((line) => line.includes(' IN ['));
    expect(groups).toEqual([
      "let shared__resources_group_0 = %shared__resources[ Type IN ['AWS::Test::A', 'AWS::Test::B', 'AWS::Test::C'] ]",
      "let shared__resources_group_1 = %shared__resources[ Type IN ['AWS::Test::D', 'AWS::Test::E', 'AWS::Test::F'] ]",
    ]);
    expect(lines).toContain(
      "let shared__resources_AWS_Test_B = %shared__resources_group_0[ Type == 'AWS::Test::B' ]",
    );
    expect(lines).toContain(
      "let shared__resources_AWS_Test_F = %shared__resources_group_1[ Type == 'AWS::Test::F' ]",
    );
  });

  it('starts the shared resources from the query it is given', () => {
    const shared = new SharedQueries("Resources.*[ Metadata.'guard:borrowed-from' not exists ]");
    shared.rewrite("let topics = Resources.*[ Type == 'AWS::SNS::Topic' ]\n");
    expect(shared.declarations()).toContain(
      "let shared__resources = Resources.*[ Metadata.'guard:borrowed-from' not exists ]\n",
    );
  });

  it('leaves every other form as written', () => {
    const shared = new SharedQueries();
    const other = [
      // The type or-ed with the next clause (dropping it would change the filter), a filter that does
      // not close or is followed by more on its line, a constant that is not a type, a constant it
      // does not declare.
      "let either = Resources.*[ Type == 'AWS::KMS::Key' or Metadata.x exists ]",
      "let either_too = Resources.*[ Type == 'AWS::KMS::Key' # a comment\n  OR Metadata.x exists ]",
      "let open = Resources.*[ Type == 'AWS::KMS::Key'",
      "let longer = Resources.*[ Type == 'AWS::KMS::Key' ].Properties",
      'let NOT_A_TYPE = "bucket"',
      'let named = Resources.*[ Type == %NOT_A_TYPE ]',
      'let foreign = Resources.*[ Type == %ELSEWHERE ]',
      // A template check whose helper or document differs from Control Tower's.
      'let INPUT_DOCUMENT = Resources',
      'rule r when is_cfn_template(%INPUT_DOCUMENT) { Resources exists }',
      'rule is_cfn_template(doc) {\n  %doc { Resources exists }\n}',
      '',
    ].join('\n');
    expect(shared.rewrite(other)).toBe(other);
    expect(shared.declarations()).toBe('');
  });

  it('rewrites a template check only as a rule’s own condition, where it names the template', () => {
    const helper =
      'let INPUT_DOCUMENT = this\nrule is_cfn_template(doc) {\n  %doc {\n    AWSTemplateFormatVersion exists or\n    Resources exists\n  }\n}\n';
    const shared = new SharedQueries();
    const rewritten = shared.rewrite(
      [
        `${helper}rule a when is_cfn_template(this) { Resources exists }`,
        'rule b { %x { is_cfn_template(this) } }',
        'rule c when not is_cfn_template(%INPUT_DOCUMENT) { Parameters exists }',
        '',
      ].join('\n'),
    );
    expect(rewritten).toContain('rule a when %shared__template_sections not empty {');
    expect(rewritten).toContain('rule b { %x { is_cfn_template(this) } }');
    expect(rewritten).toContain('rule c when not is_cfn_template(%INPUT_DOCUMENT) {');
  });
});

describe('shared queries change no finding', () => {
  // Real controls on real and edge-case documents: a template without Resources (every control
  // skips), with none of a control's type, with AWSTemplateFormatVersion, and a hook's document.
  it('gives the Control Tower controls the same findings with shared queries as file by file', () => {
    const dir = guardWorkDir();
    const write = (name: string, document: unknown) => writeIn(dir, name, JSON.stringify(document));
    const observability = sharedAssembly().stack('dev', 'Observability').templateFullPath;
    const templates = [
      observability,
      write('NoResources.template.json', { Parameters: { P: { Type: 'String' } } }),
      write('Empty.template.json', { AWSTemplateFormatVersion: '2010-09-09', Resources: {} }),
      write('Versioned.template.json', {
        AWSTemplateFormatVersion: '2010-09-09',
        Resources: {
          Quiet: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'm' } },
          Open: { Type: 'AWS::S3::Bucket', Properties: {} },
        },
      }),
      write('Hook.json', { 'AWS::CloudWatch::Alarm': { resourceProperties: { MetricName: 'm' } } }),
    ];
    const { merged, separate } = controlTowerFindingsBothWays(templates);
    expect(merged.sources.join('\n')).toContain('let shared__resources = Resources.*');
    expect(separate.length).toBeGreaterThan(0);
    expect(new Set(separate.flatMap((v) => v.violatingResources.map((r) => r.templatePath)))).toEqual(
      new Set([observability, templates[3], templates[4]]),
    );
    expect(comparableFindings(merged.violations)).toEqual(comparableFindings(separate));
  });

  it("gives the project's rules the same findings with shared queries as file by file", () => {
    const dir = guardWorkDir();
    const defects = writeIn(
      dir,
      'Defects.template.json',
      JSON.stringify({
        Resources: {
          OpenKey: {
            Type: 'AWS::KMS::Key',
            Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:*' }] } },
          },
          BorrowedOpenKey: {
            Type: 'AWS::KMS::Key',
            Metadata: { 'guard:borrowed-from': 'Producer.template.json' },
            Properties: { KeyPolicy: { Statement: [{ Effect: 'Allow', Principal: '*', Action: 'kms:*' }] } },
          },
          Logs: {
            Type: 'AWS::Logs::LogGroup',
            Properties: { KmsKeyId: { 'Fn::GetAtt': ['OpenKey', 'Arn'] } },
          },
          Images: { Type: 'AWS::ECR::Repository', DeletionPolicy: 'Delete', Properties: {} },
          Old: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs16.x' } },
          Service: {
            Type: 'AWS::ECS::Service',
            Properties: { CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE' }] },
          },
        },
      }),
    );
    const templates = [defects, sharedAssembly().stack('dev', 'Observability').templateFullPath];
    const files = readdirSync(PROJECT_RULES_DIR).map((name) => join(PROJECT_RULES_DIR, name));
    const merged = mergeRuleFiles(files.map((path) => ({ path, source: readFileSync(path, 'utf8') })));
    expect(merged.join('\n')).not.toContain('Resources.*[');
    const separate = findingsOfFiles(files, templates);
    expect([...new Set(separate.map((v) => v.ruleName))]).toEqual(
      expect.arrayContaining([
        'kms_key_policy_least_privilege',
        'log_group_key_admits_cloudwatch_logs',
        'ecr_repository_empties_on_delete',
        'lambda_runtime_supported_nodejs',
        'ecs_service_depends_on_capacity_providers',
      ]),
    );
    expect(comparableFindings(guardFindings(merged, templates))).toEqual(comparableFindings(separate));
  });
});
