import { describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SectionedStack, StackSection } from '../lib/constructs/stack-section.js';
import { fixtureApp } from './support/fixture-app.js';

class Queues extends StackSection {
  constructor(scope: Construct, id: string, ...names: string[]) {
    super(scope, id);
    for (const name of names) new sqs.Queue(this, name);
  }
}

const logicalIds = (stack: Stack) => Object.keys(Template.fromStack(stack).findResources('AWS::SQS::Queue'));

describe('SectionedStack', () => {
  it('gives resources in (nested) sections the logical IDs they had as direct children of the stack', () => {
    const app = fixtureApp();
    const flat = new Stack(app, 'Flat');
    new sqs.Queue(flat, 'Undelivered');
    new sqs.Queue(flat, 'Inner');
    const sectioned = new SectionedStack(app, 'Sectioned');
    new Queues(sectioned, 'Alarms', 'Undelivered');
    new Queues(new Queues(sectioned, 'Outer'), 'Nested', 'Inner');

    expect(logicalIds(sectioned).sort()).toEqual(logicalIds(flat).sort());
  });

  it('refuses two sections whose resources share an id', () => {
    const app = fixtureApp();
    const stack = new SectionedStack(app, 'Clash');
    new Queues(stack, 'One', 'Queue');
    new Queues(stack, 'Two', 'Queue');
    expect(() => app.synth()).toThrow(/Queue/);
  });
});
