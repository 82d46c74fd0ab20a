import { describe, expect, it } from '@jest/globals';
import { mergeRuleFiles, namedRules, scopeRuleFile } from '../lib/guard/merge-rules.js';
import { ProjectGuardValidator } from '../lib/guard/validator.js';
import { sharedAssembly } from './support/assembly.js';
import {
  validationContext as context,
  controlTowerFindingsBothWays,
  comparableFindings as findings,
  guardWorkDir as workDir,
  writeIn as write,
} from './support/guard.js';

// Two files with the same helper rule, variable and parameter names, meaning different things: as
// plain concatenation, one file's rule would call the other's helper.
const QUEUES_ENCRYPTED = `# Queues must name a key.
let queues = Resources.*[ Type == 'AWS::SQS::Queue' ]

rule queues_encrypted when %queues !empty {
  check(%queues.Properties)
  <<
    [TEST.1]: A queue without a key: check(%queues) is not a call here
    [FIX]: Give it KmsMasterKeyId
  >>
}

rule check(target) {
  %target.KmsMasterKeyId exists
}
`;
const TOPICS_NAMED = `let queues = Resources.*[ Type == 'AWS::SNS::Topic' ]

rule topics_named when %queues !empty {
  check(%queues.Properties, /^p-/)
}

rule check(target, pattern) {
  %target.TopicName == %pattern
}
`;

describe('mergeRuleFiles: rule files run as one without changing a finding', () => {
  it('suffixes the names private to a file and nothing else', () => {
    const scoped = scopeRuleFile(QUEUES_ENCRYPTED, '__f0');
    expect(scoped).toContain("let queues__f0 = Resources.*[ Type == 'AWS::SQS::Queue' ]");
    expect(scoped).toContain('rule queues_encrypted when %queues__f0 !empty {');
    expect(scoped).toContain('check__f0(%queues__f0.Properties)');
    expect(scoped).toContain('rule check__f0(target__f0) {\n  %target__f0.KmsMasterKeyId exists');
    // Comments, messages, strings and property names read as they did.
    expect(scoped).toContain('# Queues must name a key.');
    expect(scoped).toContain('[TEST.1]: A queue without a key: check(%queues) is not a call here');
    expect(scopeRuleFile(TOPICS_NAMED, '__f1')).toContain(
      'rule check__f1(target__f1, pattern__f1) {\n  %target__f1.TopicName == %pattern__f1',
    );
  });

  it('keeps named rules and joins no two of the same name', () => {
    expect([...namedRules(QUEUES_ENCRYPTED)]).toEqual(['queues_encrypted']);
    const files = [
      { path: 'a.guard', source: QUEUES_ENCRYPTED },
      { path: 'b.guard', source: TOPICS_NAMED },
      { path: 'c.guard', source: QUEUES_ENCRYPTED },
    ];
    const merged = mergeRuleFiles(files);
    expect(merged).toHaveLength(2);
    expect(merged[0]).toContain('# a.guard');
    expect(merged[0]).toContain('# b.guard');
    expect(merged[1]).toContain('# c.guard');
  });

  it('reports what each file reports alone', () => {
    const dir = workDir();
    const rules = [write(dir, 'queues.guard', QUEUES_ENCRYPTED), write(dir, 'topics.guard', TOPICS_NAMED)];
    const template = write(
      dir,
      'Stack.template.json',
      JSON.stringify({
        Resources: {
          Plain: { Type: 'AWS::SQS::Queue', Properties: {} },
          Keyed: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: 'alias/q' } },
          Good: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'p-alarms' } },
          Bad: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'alarms' } },
        },
      }),
    );
    const alone = rules.flatMap(
      (rule) =>
        new ProjectGuardValidator({ controlTowerRules: false, rules: [rule] }).validate(context([template]))
          .violations,
    );
    const together = new ProjectGuardValidator({ controlTowerRules: false, rules }).validate(
      context([template]),
    ).violations;
    expect(together.map((v) => [v.ruleName, v.violatingResources.map((r) => r.resourceLogicalId)])).toEqual([
      ['queues_encrypted', ['Plain']],
      ['topics_named', ['Bad']],
    ]);
    expect(findings(together)).toEqual(findings(alone));
  });

  // The real rules on a real template: the services stack meets most of the controls that apply.
  it('gives the Control Tower controls the same findings, merged and file by file', () => {
    const { merged, separate } = controlTowerFindingsBothWays([
      sharedAssembly().stack('dev', 'Services').templateFullPath,
    ]);
    expect(separate.length).toBeGreaterThan(0);
    expect(findings(merged.violations)).toEqual(findings(separate));
  });
});
