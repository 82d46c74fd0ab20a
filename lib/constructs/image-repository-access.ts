import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** What changes a repository's images; only the pipeline's deploy role may do it. */
export const PUSH_ACTIONS = [
  'ecr:BatchDeleteImage',
  'ecr:CompleteLayerUpload',
  'ecr:InitiateLayerUpload',
  'ecr:PutImage',
  'ecr:UploadLayerPart',
] as const;

/** What reads an image's layers; only the tasks' execution roles (and the promotion's checks). */
export const PULL_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] as const;

export interface ImageRepositoryAccessProps {
  /** The repositories CI copies signed images into. */
  readonly repositories: readonly ecr.IRepository[];
  /** ARN of the role that promotes signed images (the GitHub deploy role); the only pusher. */
  readonly pushRoleArn: string;
  /** Execution roles of the tasks that run these images; with the push role, the only pullers. */
  readonly pullRoles: readonly iam.IRole[];
}

/**
 * Repository policies that hold even against identity policies elsewhere in the account: an explicit
 * deny of pushes by anyone but the deploy role (so only signed, promoted digests land there) and of
 * pulls by anyone but the execution roles and the deploy role (which reads manifests to re-tag).
 */
export class ImageRepositoryAccess extends Construct {
  constructor(scope: Construct, id: string, props: ImageRepositoryAccessProps) {
    super(scope, id);
    if (!/^arn:[^:]+:iam::[^:]*:role\/[\w+=,.@-]+$/.test(props.pushRoleArn)) {
      throw new Error(
        `ImageRepositoryAccess: pushRoleArn must be an IAM role ARN, got "${props.pushRoleArn}"`,
      );
    }
    if (props.repositories.length === 0)
      throw new Error('ImageRepositoryAccess: repositories must not be empty');
    if (props.pullRoles.length === 0) throw new Error('ImageRepositoryAccess: pullRoles must not be empty');
    const pullers = [props.pushRoleArn, ...props.pullRoles.map((r) => r.roleArn)];
    for (const repository of props.repositories) {
      repository.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyTheDeployRolePushes',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: [...PUSH_ACTIONS],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': props.pushRoleArn } },
        }),
      );
      repository.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OnlyExecutionRolesPull',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: [...PULL_ACTIONS],
          conditions: { ArnNotEquals: { 'aws:PrincipalArn': pullers } },
        }),
      );
    }
  }
}
