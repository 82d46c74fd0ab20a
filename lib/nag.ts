import { Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NIST80053R5Checks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/**
 * The compliance packs every stage is held to. Findings fail the synth; an exception is
 * acknowledged on the construct it concerns, with its reason, never on a whole stack.
 */
export function applyCompliancePacks(scope: IConstruct): void {
  Validations.of(scope).addPlugins(
    new AwsSolutionsChecks(scope),
    new NIST80053R5Checks(scope),
    new ServerlessChecks(scope),
  );
}

/** Acknowledges a cfn-guard rule (Control Tower or project, by rule name) on a construct and its children. */
export function acknowledgeGuard(scope: IConstruct, rule: string, reason: string): void {
  acknowledge(scope, `cdk-validator-cfnguard::${rule}`, reason);
}

/** Acknowledges one rule (or one `Rule[finding]`) on a construct and its children. */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges the IAM5 wildcard finding for a resource ARN that contains a deliberate `*`.
 * The finding id spells the ARN as cdk-nag renders it (pseudo parameters as `<AWS::AccountId>`),
 * which depends on whether the stack has a concrete account; this computes it from the token.
 */
export function acknowledgeWildcardResource(scope: IConstruct, arn: string, reason: string): void {
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${renderForNag(Stack.of(scope), arn)}]`, reason);
}

function renderForNag(stack: Stack, value: string): string {
  const resolved: unknown = stack.resolve(value);
  if (typeof resolved === 'string') return resolved;
  const join = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`cannot render ${JSON.stringify(resolved)} as a cdk-nag finding id`);
  return join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const { Ref: ref, 'Fn::GetAtt': getAtt } = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (ref) return `<${ref}>`;
      if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
      throw new Error(`cannot render ${JSON.stringify(part)} as a cdk-nag finding id`);
    })
    .join(join[0]);
}
