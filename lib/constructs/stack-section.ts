import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * A part of a stack grouped for reading (the cluster, the load balancer, the dashboard). Inside a
 * {@link SectionedStack} its id takes no part in the logical IDs of the resources under it, so
 * moving resources into a section replaces nothing in a deployed stack. The ids of resources in
 * different sections of one stack must therefore differ; CDK refuses a duplicate logical ID at synth.
 *
 * Names that constructs derive from a construct path (`Names.uniqueId`, security group rule ids)
 * still see the section, so resources whose physical name or rule id comes from their path stay
 * outside sections.
 */
export abstract class StackSection extends Construct {}

/** A stack whose logical IDs ignore its {@link StackSection}s. */
export class SectionedStack extends Stack {
  protected override allocateLogicalId(element: CfnElement): string {
    const scopes = element.node.scopes.filter((scope) => !(scope instanceof StackSection));
    // CDK's own algorithm, given the construct path without the sections.
    const unsectioned = { node: { scopes }, stack: element.stack } as unknown as CfnElement;
    return super.allocateLogicalId(unsectioned);
  }
}
