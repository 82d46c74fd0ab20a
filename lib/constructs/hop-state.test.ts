import { describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { fixtureApp } from '../../test/support/fixture-app.js';
import { HopState } from './hop-state.js';

function synth() {
  const stack = new Stack(fixtureApp(), 'Hop');
  const hop = new HopState(stack, 'Hop', { prefix: 'axon-orbit-prod' });
  const governance = new iam.Role(stack, 'Governance', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
  });
  hop.grantSign(governance);
  new iam.ManagedPolicy(stack, 'Axon', { statements: hop.axonStatements() });
  return Template.fromStack(stack);
}

describe('HopState', () => {
  const template = synth();

  it('creates an asymmetric ECC_NIST_P256 signing key (no automatic rotation exists for it)', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      EnableKeyRotation: Match.absent(),
    });
  });

  it('keys the on-demand replay table by signature, with TTL on expiresAt', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [{ AttributeName: 'signature', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it('lets governance only sign, and Axon only put replay items and read the public key', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'kms:Sign', Effect: 'Allow' })] },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: 'dynamodb:PutItem', Sid: 'RecordAcceptedSignatures' }),
          Match.objectLike({ Action: 'kms:GetPublicKey', Sid: 'ReadDecisionTokenPublicKey' }),
        ],
      },
    });
  });

  it('refuses a prefix that cannot name the resources', () => {
    expect(() => new HopState(new Stack(fixtureApp(), 'X'), 'Hop', { prefix: 'Bad Prefix' })).toThrow(
      /HopState prefix/,
    );
  });
});
