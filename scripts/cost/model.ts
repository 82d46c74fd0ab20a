import type { Resource, ResourceGraph } from './assembly.js';
import type { PriceKey, PriceTable } from './price-table.js';
import { entryFor, type FunctionUsage, type Usage } from './usage.js';

/** Hours in the billing month every hourly price is multiplied by (AWS's own convention). */
export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;
/** Storage that never expires is counted at what a year of it holds. */
export const NEVER_EXPIRES_DAYS = 365;
const GB = 1e9;

/** One priced quantity of one resource. */
export interface LineItem {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly priceKey: PriceKey;
  readonly unitPrice: number;
  readonly monthly: number;
}

/** Resources (or features) present in the templates that the model has no price for. */
export interface Unpriced {
  readonly type: string;
  readonly count: number;
}

/** Where a quantity is attributed when no single resource owns it (e.g. EMF metrics of the stage). */
export const STAGE_WIDE: Pick<Resource, 'stack' | 'logicalId'> = { stack: '(stage)', logicalId: '(stage)' };

/** What every pricer reads: the stage's resources, the usage assumptions, prices and derived volumes. */
export class PricingContext {
  readonly volumes: Volumes;

  constructor(
    readonly graph: ResourceGraph,
    readonly usage: Usage,
    readonly prices: PriceTable,
  ) {
    this.volumes = new Volumes(graph, usage);
  }

  line(
    resource: Pick<Resource, 'stack' | 'logicalId'> & { type: string },
    item: string,
    quantity: number,
    priceKey: PriceKey,
  ): LineItem {
    const price = this.prices.prices[priceKey];
    return {
      stack: resource.stack,
      logicalId: resource.logicalId,
      type: resource.type,
      item,
      quantity,
      unit: price.per,
      priceKey,
      unitPrice: price.usd,
      monthly: quantity * price.usd,
    };
  }
}

const key = (resource: Resource) => `${resource.stack}/${resource.logicalId}`;

/**
 * Monthly volumes derived from usage and the wiring in the templates: which log groups the services
 * and functions write to, what each function is invoked, what flows into Firehose.
 */
export class Volumes {
  private readonly ingestBytes = new Map<string, number>();
  private readonly vendedBytes = new Map<string, number>();

  constructor(
    private readonly graph: ResourceGraph,
    private readonly usage: Usage,
  ) {
    for (const service of graph.ofType('AWS::ECS::Service')) {
      for (const group of this.serviceLogGroups(service)) {
        this.add(this.ingestBytes, group, usage.requestsPerMonth * usage.logBytesPerRequest);
      }
    }
    for (const fn of graph.ofType('AWS::Lambda::Function')) {
      const group = this.functionLogGroup(fn);
      if (group)
        this.add(
          this.ingestBytes,
          group,
          this.invocations(fn) * this.functionUsage(fn).logBytesPerInvocation,
        );
    }
    for (const flowLog of graph.ofType('AWS::EC2::FlowLog')) {
      const group = this.flowLogGroup(flowLog);
      if (group) this.add(this.vendedBytes, group, this.flowLogGb(flowLog) * GB);
    }
  }

  private add(map: Map<string, number>, resource: Resource, bytes: number): void {
    map.set(key(resource), (map.get(key(resource)) ?? 0) + bytes);
  }

  /** Log groups an ECS service's containers (and its Service Connect proxy) write to. */
  serviceLogGroups(service: Resource): Resource[] {
    const taskDefinition = this.graph.resolve(service, service.properties.TaskDefinition);
    const containers = (taskDefinition?.properties.ContainerDefinitions ?? []) as Array<{
      LogConfiguration?: { Options?: Record<string, unknown> };
    }>;
    const groups = containers
      .map((container) => container.LogConfiguration?.Options?.['awslogs-group'])
      .map((ref) => (taskDefinition ? this.graph.resolve(taskDefinition, ref) : undefined))
      .filter((group): group is Resource => group?.type === 'AWS::Logs::LogGroup');
    return [...new Map(groups.map((group) => [key(group), group])).values()];
  }

  functionLogGroup(fn: Resource): Resource | undefined {
    const config = fn.properties.LoggingConfig as { LogGroup?: unknown } | undefined;
    return this.graph.resolve(fn, config?.LogGroup);
  }

  private flowLogGroup(flowLog: Resource): Resource | undefined {
    const byRef = this.graph.resolve(flowLog, flowLog.properties.LogDestination);
    if (byRef) return byRef;
    const name = flowLog.properties.LogGroupName;
    return (
      this.graph.resolve(flowLog, name) ??
      this.graph.ofType('AWS::Logs::LogGroup').find((group) => group.properties.LogGroupName === name)
    );
  }

  /** Flow log GB split evenly over the flow logs that deliver to CloudWatch Logs. */
  flowLogGb(flowLog: Resource): number {
    const toLogs = this.graph
      .ofType('AWS::EC2::FlowLog')
      .filter(
        (candidate) => (candidate.properties.LogDestinationType ?? 'cloud-watch-logs') === 'cloud-watch-logs',
      );
    return toLogs.some((candidate) => key(candidate) === key(flowLog))
      ? this.usage.flowLogGbPerMonth / toLogs.length
      : 0;
  }

  functionUsage(fn: Resource): FunctionUsage {
    const usage = entryFor(this.usage.functions, fn.properties.FunctionName as string | undefined);
    if (!usage) throw new Error('usage.functions needs a "*" entry');
    return usage;
  }

  invocations(fn: Resource): number {
    const usage = this.functionUsage(fn);
    return (
      (usage.invocationsPerMonth ?? 0) + (usage.invocationsPerRequest ?? 0) * this.usage.requestsPerMonth
    );
  }

  /** GB per month a log group ingests (standard, i.e. not vended). */
  logIngestGb(group: Resource): number {
    return (this.ingestBytes.get(key(group)) ?? 0) / GB;
  }

  /** GB per month of vended logs (VPC flow logs) a log group receives. */
  logVendedGb(group: Resource): number {
    return (this.vendedBytes.get(key(group)) ?? 0) / GB;
  }

  /** GB per month a Firehose stream ingests through the subscription filters that point at it. */
  firehoseGb(stream: Resource): number {
    return this.graph
      .ofType('AWS::Logs::SubscriptionFilter')
      .filter((filter) => {
        const destination = this.graph.resolve(filter, filter.properties.DestinationArn);
        return destination !== undefined && key(destination) === key(stream);
      })
      .map((filter) => this.graph.resolve(filter, filter.properties.LogGroupName))
      .filter((group): group is Resource => group !== undefined)
      .reduce((sum, group) => sum + this.logIngestGb(group) + this.logVendedGb(group), 0);
  }
}

/** A service's pricer: the resource types it prices and the line items for them. */
export interface Pricer {
  readonly types: readonly string[];
  price(context: PricingContext): { lines: LineItem[]; unpriced?: Unpriced[] };
}
