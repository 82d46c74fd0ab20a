import {
  type CloudFormationClient,
  paginateListStackResources,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { isMissingStack } from './aws-errors.js';
import { CheckAbort } from './checks.js';
import { RESOURCES, type ResourceName, type StackKey } from './resources.js';

export interface DeployedResource {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
}

/**
 * Physical names of one environment's deployed resources, read from CloudFormation rather than
 * guessed: each stack's resources are listed once (ListStackResources pages through stacks of any
 * size; DescribeStackResources stops at 100) and shared by every check.
 */
export class DeployedStacks {
  private readonly listed = new Map<StackKey, Promise<DeployedResource[]>>();

  constructor(
    private readonly cloudFormation: CloudFormationClient,
    /** The environment's prefix, e.g. `axon-orbit-dev`; stacks are `<prefix>-<stack>`. */
    readonly prefix: string,
    /** The environment's name, for the deploy hint. */
    readonly environment: string,
  ) {}

  stackName(stack: StackKey): string {
    return `${this.prefix}-${stack}`;
  }

  /** Every resource of the stack; a stack that is not deployed aborts the check that asked. */
  resources(stack: StackKey): Promise<DeployedResource[]> {
    let pending = this.listed.get(stack);
    if (!pending) {
      pending = this.list(stack);
      this.listed.set(stack, pending);
    }
    return pending;
  }

  private async list(stack: StackKey): Promise<DeployedResource[]> {
    const stackName = this.stackName(stack);
    const summaries: StackResourceSummary[] = [];
    try {
      for await (const page of paginateListStackResources(
        { client: this.cloudFormation },
        { StackName: stackName },
      )) {
        summaries.push(...(page.StackResourceSummaries ?? []));
      }
    } catch (thrown) {
      if (!isMissingStack(thrown)) throw thrown;
      throw new CheckAbort(
        `stack ${stackName} is not deployed`,
        `deploy the environment first: npx cdk deploy '${this.environment}/*'`,
      );
    }
    return summaries
      .filter((s) => s.PhysicalResourceId && s.ResourceStatus !== 'DELETE_COMPLETE')
      .map((s) => ({
        logicalId: s.LogicalResourceId ?? '',
        physicalId: s.PhysicalResourceId ?? '',
        type: s.ResourceType ?? '',
      }));
  }

  /** Physical id of a named resource (ARN, name or id, as CloudFormation reports it for the type). */
  async physicalId(name: ResourceName): Promise<string> {
    const spec = RESOURCES[name];
    const matches = (await this.resources(spec.stack)).filter(
      (r) => r.type === spec.type && spec.logicalId.test(r.logicalId),
    );
    const [only] = matches;
    if (matches.length !== 1 || !only) {
      throw new CheckAbort(
        `${spec.description} (${spec.type} ${spec.logicalId.source}) found ${matches.length} times in ${this.stackName(spec.stack)}`,
        'the deployed stack differs from this checkout: deploy it from the same commit, or update scripts/ops/resources.ts',
      );
    }
    return only.physicalId;
  }

  /** Every deployed resource of these types in these stacks. */
  async ofTypes(stacks: readonly StackKey[], types: readonly string[]): Promise<DeployedResource[]> {
    const lists = await Promise.all(stacks.map((s) => this.resources(s)));
    return lists.flat().filter((r) => types.includes(r.type));
  }
}
