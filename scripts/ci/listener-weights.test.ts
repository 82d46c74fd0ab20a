import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { main, weightChanges } from './listener-weights.js';

const rule = (blue: number, green: number) => ({
  Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
  Properties: {
    Actions: [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: { Ref: 'OrbitBlue' }, Weight: blue },
            { TargetGroupArn: { Ref: 'OrbitGreen' }, Weight: green },
          ],
        },
      },
    ],
  },
});
const notFound = {
  Type: 'AWS::ElasticLoadBalancingV2::Listener',
  Properties: { DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] },
};

function assembly(resources: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  const dir = join(root, 'assembly-prod');
  mkdirSync(dir);
  writeFileSync(join(dir, 'prodServices.template.json'), JSON.stringify({ Resources: resources }));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      artifacts: {
        prodServices: {
          type: 'aws:cloudformation:stack',
          properties: { templateFile: 'prodServices.template.json', stackName: 'axon-orbit-prod-services' },
        },
        tree: { type: 'cdk:tree' },
      },
    }),
  );
  return root;
}

describe('listener weights check', () => {
  it('passes when the forward weights are untouched, whatever else changes', () => {
    const base = assembly({ OrbitRule: rule(100, 0), Listener: notFound });
    const head = assembly({
      OrbitRule: rule(100, 0),
      Listener: notFound,
      Other: { Type: 'AWS::SNS::Topic' },
    });
    expect(main(['--base', base, '--head', head, '--env', 'prod'])).toEqual({
      code: 0,
      lines: ['listener forward weights of prod unchanged'],
    });
  });

  it('fails a change of the production rule weights, naming the rule and both sides', () => {
    const result = main([
      '--base',
      assembly({ OrbitRule: rule(100, 0) }),
      '--head',
      assembly({ OrbitRule: rule(0, 100) }),
      '--env',
      'prod',
    ]);
    expect(result.code).toBe(1);
    expect(result.lines[0]).toContain(
      'axon-orbit-prod-services/OrbitRule: {"Ref":"OrbitBlue"}=100, {"Ref":"OrbitGreen"}=0 -> {"Ref":"OrbitBlue"}=0, {"Ref":"OrbitGreen"}=100',
    );
    expect(result.lines[0]).toContain('aws/aws-cdk#36649');
  });

  it('fails a replaced rule (new logical id) but not a new one', () => {
    const base = { s: { Resources: { OrbitRule: rule(100, 0) } } };
    expect(weightChanges(base, { s: { Resources: { OrbitRuleRenamed: rule(100, 0) } } })).toEqual([
      {
        resource: 's/OrbitRule',
        base: '{"Ref":"OrbitBlue"}=100, {"Ref":"OrbitGreen"}=0',
        head: '(removed or replaced)',
      },
    ]);
    expect(
      weightChanges({ s: { Resources: {} } }, { s: { Resources: { OrbitRule: rule(100, 0) } } }),
    ).toEqual([]);
  });

  it('refuses missing arguments, an unknown environment and an assembly without the stage', () => {
    expect(main(['--base', 'a']).code).toBe(2);
    expect(main(['--base', 'a', '--head', 'b', '--env', 'qa']).lines[0]).toContain('--env must be one of');
    expect(() =>
      main(['--base', mkdtempSync(join(tmpdir(), 'empty-')), '--head', 'b', '--env', 'prod']),
    ).toThrow(/no stage prod in/);
  });
});
