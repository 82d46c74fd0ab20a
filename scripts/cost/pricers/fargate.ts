import type { Resource } from '../assembly.js';
import { HOURS_PER_MONTH, type LineItem, type Pricer, type PricingContext, type Unpriced } from '../model.js';

interface Strategy {
  readonly CapacityProvider: string;
  readonly Base?: number;
  readonly Weight?: number;
}

/** Task counts: desired count, else the auto scaling range (CloudFormation's default desired count is 1). */
function taskRange(context: PricingContext, service: Resource): { min: number; max: number } {
  const target = context.graph
    .ofType('AWS::ApplicationAutoScaling::ScalableTarget')
    .find((candidate) =>
      context.graph
        .referencesIn(candidate, candidate.properties.ResourceId)
        .some((ref) => ref.stack === service.stack && ref.logicalId === service.logicalId),
    );
  if (target)
    return { min: Number(target.properties.MinCapacity), max: Number(target.properties.MaxCapacity) };
  const desired = Number(service.properties.DesiredCount ?? 1);
  return { min: desired, max: desired };
}

/** Average tasks on FARGATE and FARGATE_SPOT: the base first, the rest split by weight. */
export function splitTasks(tasks: number, strategy: readonly Strategy[]): { onDemand: number; spot: number } {
  if (strategy.length === 0) return { onDemand: tasks, spot: 0 };
  const base = Math.min(
    tasks,
    strategy.reduce((sum, entry) => sum + (entry.Base ?? 0), 0),
  );
  const baseOnSpot = strategy.find((entry) => (entry.Base ?? 0) > 0)?.CapacityProvider === 'FARGATE_SPOT';
  const weights = strategy.reduce((sum, entry) => sum + (entry.Weight ?? 0), 0);
  const spotWeight = strategy.find((entry) => entry.CapacityProvider === 'FARGATE_SPOT')?.Weight ?? 0;
  const rest = tasks - base;
  const spot = (baseOnSpot ? base : 0) + (weights > 0 ? (rest * spotWeight) / weights : 0);
  return { onDemand: tasks - spot, spot };
}

/** Fargate (arm64) vCPU- and GB-hours of each ECS service, on-demand and Spot. */
export const fargatePricer: Pricer = {
  types: ['AWS::ECS::Service'],
  price(context) {
    const lines: LineItem[] = [];
    const unpriced: Unpriced[] = [];
    for (const service of context.graph.ofType('AWS::ECS::Service')) {
      const task = context.graph.resolve(service, service.properties.TaskDefinition);
      const platform = task?.properties.RuntimePlatform as { CpuArchitecture?: string } | undefined;
      if (!task || platform?.CpuArchitecture !== 'ARM64') {
        unpriced.push({ type: 'AWS::ECS::Service (not Fargate arm64)', count: 1 });
        continue;
      }
      const vcpu = Number(task.properties.Cpu) / 1024;
      const memoryGb = Number(task.properties.Memory) / 1024;
      const { min, max } = taskRange(context, service);
      const tasks = min + context.usage.scaleOutShare * (max - min);
      const strategy = (service.properties.CapacityProviderStrategy ?? []) as Strategy[];
      const { onDemand, spot } = splitTasks(tasks, strategy);
      const size = `${vcpu} vCPU/${memoryGb} GB`;
      lines.push(
        context.line(
          service,
          `vCPU-hours on demand (${onDemand.toFixed(2)} tasks × ${size})`,
          onDemand * vcpu * HOURS_PER_MONTH,
          'fargate.arm64.vcpuHour',
        ),
        context.line(
          service,
          'GB-hours on demand',
          onDemand * memoryGb * HOURS_PER_MONTH,
          'fargate.arm64.gbHour',
        ),
      );
      if (strategy.some((entry) => entry.CapacityProvider === 'FARGATE_SPOT')) {
        lines.push(
          context.line(
            service,
            `vCPU-hours on Spot (${spot.toFixed(2)} tasks)`,
            spot * vcpu * HOURS_PER_MONTH,
            'fargateSpot.arm64.vcpuHour',
          ),
          context.line(
            service,
            'GB-hours on Spot',
            spot * memoryGb * HOURS_PER_MONTH,
            'fargateSpot.arm64.gbHour',
          ),
        );
      }
    }
    const cluster = context.graph
      .ofType('AWS::ECS::Cluster')
      .filter((candidate) =>
        ((candidate.properties.ClusterSettings ?? []) as Array<{ Name: string; Value: string }>).some(
          (setting) => setting.Name === 'containerInsights' && setting.Value !== 'disabled',
        ),
      );
    if (cluster.length > 0)
      unpriced.push({ type: 'ECS Container Insights (cluster setting)', count: cluster.length });
    return { lines, unpriced };
  },
};
