import { describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  ImageRepositoryAccess,
  PULL_ACTIONS,
  PUSH_ACTIONS,
} from '../lib/constructs/image-repository-access.js';
import { stackTemplate } from './support/assembly.js';
import { fixtureApp } from './support/fixture-app.js';

type Statement = {
  Sid: string;
  Effect: string;
  Action: string[];
  Condition: { ArnNotEquals: Record<string, unknown> };
};
type Repository = {
  Properties: { RepositoryName: string; RepositoryPolicyText?: { Statement: Statement[] } };
};

describe('ImageRepositoryAccess', () => {
  it("denies pushes by anyone but the deploy role, pulls by anyone but it and the tasks' execution roles", () => {
    const repositories = Object.values(
      stackTemplate('prod', 'Services').findResources('AWS::ECR::Repository'),
    ) as Repository[];
    expect(repositories.map((r) => r.Properties.RepositoryName).sort()).toEqual([
      'axon-orbit-prod/aws-otel-collector',
      'axon-orbit-prod/axon',
      'axon-orbit-prod/orbit',
    ]);
    for (const repository of repositories) {
      const statements = repository.Properties.RepositoryPolicyText?.Statement ?? [];
      const push = statements.find((s) => s.Sid === 'OnlyTheDeployRolePushes');
      expect(push?.Effect).toBe('Deny');
      expect(push?.Action).toEqual([...PUSH_ACTIONS]);
      expect(JSON.stringify(push?.Condition.ArnNotEquals['aws:PrincipalArn'])).toContain(
        ':role/axon-orbit-prod-github-deploy',
      );
      const pull = statements.find((s) => s.Sid === 'OnlyExecutionRolesPull');
      expect(pull?.Action).toEqual([...PULL_ACTIONS]);
      const pullers = pull?.Condition.ArnNotEquals['aws:PrincipalArn'] as unknown[];
      expect(pullers).toHaveLength(3);
      expect(JSON.stringify(pullers)).toMatch(/AxonExecutionRole.*OrbitExecutionRole/);
    }
  });

  it('names the field it cannot use', () => {
    const stack = new Stack(fixtureApp());
    const repository = new ecr.Repository(stack, 'Repo');
    const role = new iam.Role(stack, 'Exec', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    const props = {
      repositories: [repository],
      pushRoleArn: 'arn:aws:iam::123456789012:role/x-github-deploy',
      pullRoles: [role],
    };
    expect(() => new ImageRepositoryAccess(stack, 'A', { ...props, pushRoleArn: 'x-github-deploy' })).toThrow(
      'ImageRepositoryAccess: pushRoleArn must be an IAM role ARN, got "x-github-deploy"',
    );
    expect(() => new ImageRepositoryAccess(stack, 'B', { ...props, pullRoles: [] })).toThrow(
      'pullRoles must not be empty',
    );
    expect(() => new ImageRepositoryAccess(stack, 'C', { ...props, repositories: [] })).toThrow(
      'repositories must not be empty',
    );
  });
});
