import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResource } from '../nag.js';

export interface PermissionBoundaryProps {
  /** Short service name, used in the policy description and resource name prefixes. */
  readonly service: string;
  /** Physical-name prefix of this environment (`axon-orbit-prod`). */
  readonly prefix: string;
  /**
   * Alias (without `alias/`) of the only KMS key the role may ever decrypt with. Matched by alias,
   * not ARN, so the key policy can name the role without a reference cycle.
   */
  readonly keyAlias: string;
  /** Lambda function name prefixes the role may ever invoke (e.g. `axon-orbit-prod-governance`). */
  readonly invokableFunctionPrefixes?: readonly string[];
}

/**
 * The ceiling of what a service's task role can ever be granted. Identity policies still grant the
 * exact resources; the boundary guarantees that a mistaken grant (or a compromised deploy adding one)
 * cannot reach another service's key, secret or function, nor touch IAM.
 */
export class PermissionBoundary extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: PermissionBoundaryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const arn = (
      service: string,
      resource: string,
      resourceName: string,
      arnFormat = ArnFormat.COLON_RESOURCE_NAME,
    ) => stack.formatArn({ service, resource, resourceName, arnFormat });

    const keysArn = arn('kms', 'key', '*', ArnFormat.SLASH_RESOURCE_NAME);
    const statements = [
      new iam.PolicyStatement({
        sid: 'OwnSecretsOnly',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [arn('secretsmanager', 'secret', `${props.prefix}/${props.service}/*`)],
      }),
      new iam.PolicyStatement({
        sid: 'OwnKeyOnly',
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [keysArn],
        conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': `alias/${props.keyAlias}` } },
      }),
      new iam.PolicyStatement({
        sid: 'OwnLogsOnly',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [arn('logs', 'log-group', `/${props.prefix}/${props.service}*`)],
      }),
      new iam.PolicyStatement({
        sid: 'Tracing',
        actions: [
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
        ],
        resources: ['*'],
      }),
    ];
    const functions = props.invokableFunctionPrefixes ?? [];
    if (functions.length > 0) {
      statements.push(
        new iam.PolicyStatement({
          sid: 'InvokeNamedFunctions',
          actions: ['lambda:InvokeFunction'],
          resources: functions.map((name) => arn('lambda', 'function', `${name}*`)),
        }),
      );
    }

    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: `Permission boundary of the ${props.service} task role: the most it can ever do`,
      statements,
    });

    acknowledge(
      this.policy,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray trace submission supports no resource-level permissions; AWS requires "*".',
    );
    const ceiling =
      'A boundary is a ceiling, not a grant: it names the service-owned name prefix (or key alias); the task role policy grants exact ARNs.';
    for (const resource of statements
      .flatMap((s) => s.resources)
      .filter((r) => r.includes('*') && r !== '*')) {
      acknowledgeWildcardResource(this.policy, resource, ceiling);
    }
  }
}
