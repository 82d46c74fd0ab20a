import { describe, expect, it } from '@jest/globals';
import { commentMarker, MAX_DIFF_CHARS, renderDiffComment, summarizeDiff } from './diff-comment.js';

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';
const diff = [
  'Stack dev/Security (axon-orbit-dev-security)',
  'There were no differences',
  '',
  'Stack dev/Services (axon-orbit-dev-services)',
  '\u001b[32m[+]\u001b[39m AWS::ECS::Service Orbit OrbitService1234',
  'IAM Statement Changes',
  '',
  'Stack dev/Network (axon-orbit-dev-network)',
  '[~] AWS::EC2::VPC Vpc',
].join('\n');

describe('summarizeDiff', () => {
  it('counts the stacks and those that change, and notices security changes', () => {
    expect(summarizeDiff(diff)).toEqual({ stacks: 3, changed: 2, securityChanges: true });
    expect(summarizeDiff('Stack dev/A\nThere were no differences\n')).toEqual({
      stacks: 1,
      changed: 0,
      securityChanges: false,
    });
  });
});

describe('renderDiffComment', () => {
  const comment = renderDiffComment(diff, 'dev', SHA);

  it('starts with the marker that lets the next run update it', () => {
    expect(comment.split('\n')[0]).toBe(commentMarker('dev'));
  });

  it('states the verdict and flags IAM changes, without ANSI colour codes', () => {
    expect(comment).toContain('### cdk diff against `dev` at abcdef012345');
    expect(comment).toContain('2 of 3 stacks change — **includes IAM or security group changes');
    expect(comment).not.toContain('\u001b[');
    expect(comment).toContain('[+] AWS::ECS::Service Orbit');
  });

  it('truncates a diff GitHub would refuse, and keeps the code block closed', () => {
    const long = renderDiffComment(`Stack dev/A\n${'x'.repeat(MAX_DIFF_CHARS * 2)}`, 'dev', SHA);
    expect(long.length).toBeLessThan(65_536);
    expect(long).toMatch(/… truncated \(\d+ more characters; see the job log\)/);
    const tricky = renderDiffComment('Stack dev/A\n```\nnot the end', 'dev', SHA);
    expect(tricky).toContain('````diff');
    expect(tricky.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('says so when cdk compared nothing', () => {
    expect(renderDiffComment('', 'prod', SHA)).toContain('no stacks were compared.');
  });
});
