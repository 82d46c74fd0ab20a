import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { EnvironmentConfig } from '../../lib/config/index.js';
import { PlatformStage } from '../../lib/platform-stage.js';

/** What a deploy of one environment will ask of the account, read from its synthesized templates. */
export interface DeployPlan {
  /** Highest CDK bootstrap stack version any template or asset manifest of the stage requires. */
  readonly bootstrapVersion: number;
  /** Functions that reserve concurrency, with how much. */
  readonly reservedConcurrency: readonly { readonly functionName: string; readonly reserved: number }[];
  /** Interface VPC endpoints the VPC gets (each counts against the per-VPC quota). */
  readonly interfaceEndpoints: number;
  /** NAT gateways, each holding one Elastic IP. */
  readonly natGateways: number;
  /** Fargate services at their peak: max tasks × the deployment's overlap (blue/green runs both). */
  readonly fargateServices: readonly {
    readonly serviceName: string;
    readonly vcpuPerTask: number;
    readonly peakTasks: number;
  }[];
  /** AZ names the subnets name literally; empty when the template resolves them at deploy time. */
  readonly availabilityZones: readonly string[];
  /** User-defined tag keys the budgets filter on: Billing must have them active or budgets see $0. */
  readonly costAllocationTags: readonly string[];
}

type Resource = { readonly Type: string; readonly Properties?: Record<string, unknown> };
export type Template = { readonly Resources?: Record<string, Resource> };

function cdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/** An environment's stage as `cdk synth` would produce it: templates and the bootstrap they need. */
export interface SynthesizedStage {
  readonly bootstrapVersion: number;
  readonly stacks: readonly { readonly stackName: string; readonly template: Template }[];
}

/**
 * Synthesizes the environment's stage in process, as `cdk synth` would with the same feature flags
 * but without bundling Lambda code (only the templates matter here).
 */
export function synthesizeStage(config: EnvironmentConfig): SynthesizedStage {
  const outdir = mkdtempSync(join(tmpdir(), 'ops-plan-'));
  try {
    const app = new App({ context: { ...cdkContext(), 'aws:cdk:bundling-stacks': [] }, outdir });
    return stageOfAssembly(new PlatformStage(app, config.name, { config }).synth());
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** A synthesized stage's templates and the bootstrap version they need. */
export function stageOfAssembly(assembly: CloudAssembly): SynthesizedStage {
  const versions = assembly.artifacts.map(
    (a) => (a as { requiresBootstrapStackVersion?: number }).requiresBootstrapStackVersion ?? 0,
  );
  return {
    bootstrapVersion: Math.max(0, ...versions),
    stacks: assembly.stacks.map((s) => ({ stackName: s.stackName, template: s.template as Template })),
  };
}

/** What a deploy of this checkout will ask of the account. */
export function planOf(config: EnvironmentConfig): DeployPlan {
  const stage = synthesizeStage(config);
  return {
    bootstrapVersion: stage.bootstrapVersion,
    ...planOfTemplates(stage.stacks.map((s) => s.template)),
  };
}

type TemplatePlan = Omit<DeployPlan, 'bootstrapVersion'>;

/** The plan's account-facing quantities, from CloudFormation templates. */
export function planOfTemplates(templates: readonly Template[]): TemplatePlan {
  const plan: PlanBuilder = {
    reservedConcurrency: [],
    fargateServices: [],
    availabilityZones: new Set(),
    costAllocationTags: new Set(),
    interfaceEndpoints: 0,
    natGateways: 0,
  };
  for (const template of templates) {
    const resources = template.Resources ?? {};
    for (const [logicalId, resource] of Object.entries(resources))
      visit(plan, logicalId, resource, resources);
  }
  return {
    ...plan,
    availabilityZones: [...plan.availabilityZones].sort(),
    costAllocationTags: [...plan.costAllocationTags].sort(),
  };
}

interface PlanBuilder {
  reservedConcurrency: { functionName: string; reserved: number }[];
  fargateServices: { serviceName: string; vcpuPerTask: number; peakTasks: number }[];
  availabilityZones: Set<string>;
  costAllocationTags: Set<string>;
  interfaceEndpoints: number;
  natGateways: number;
}

/** Adds what one resource asks of the account. */
function visit(
  plan: PlanBuilder,
  logicalId: string,
  resource: Resource,
  resources: Record<string, Resource>,
): void {
  const props = resource.Properties ?? {};
  switch (resource.Type) {
    case 'AWS::Lambda::Function':
      plan.reservedConcurrency.push(...reservation(logicalId, props));
      break;
    case 'AWS::EC2::VPCEndpoint':
      plan.interfaceEndpoints += props.VpcEndpointType === 'Interface' ? 1 : 0;
      break;
    case 'AWS::EC2::NatGateway':
      plan.natGateways += 1;
      break;
    case 'AWS::EC2::Subnet':
      if (typeof props.AvailabilityZone === 'string') plan.availabilityZones.add(props.AvailabilityZone);
      break;
    case 'AWS::ECS::Service':
      plan.fargateServices.push(fargateService(logicalId, props, resources));
      break;
    case 'AWS::Budgets::Budget':
      for (const key of budgetTagKeys(props)) plan.costAllocationTags.add(key);
      break;
  }
}

function reservation(logicalId: string, props: Record<string, unknown>) {
  if (typeof props.ReservedConcurrentExecutions !== 'number') return [];
  const functionName = typeof props.FunctionName === 'string' ? props.FunctionName : logicalId;
  return [{ functionName, reserved: props.ReservedConcurrentExecutions }];
}

function fargateService(
  logicalId: string,
  props: Record<string, unknown>,
  resources: Record<string, Resource>,
): { serviceName: string; vcpuPerTask: number; peakTasks: number } {
  const taskDefinitionId = (props.TaskDefinition as { Ref?: string } | undefined)?.Ref ?? '';
  const cpuUnits = Number(resources[taskDefinitionId]?.Properties?.Cpu ?? 0);
  const scalingTarget = Object.values(resources).find(
    (r) =>
      r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget' &&
      JSON.stringify(r.Properties?.ResourceId ?? '').includes(`"${logicalId}"`),
  );
  const maxTasks = Number(scalingTarget?.Properties?.MaxCapacity ?? props.DesiredCount ?? 1);
  const deployment = (props.DeploymentConfiguration ?? {}) as {
    Strategy?: string;
    MaximumPercent?: number;
  };
  // Blue/green starts a full green set beside blue; a rolling deployment overlaps by MaximumPercent.
  const overlap = Math.max(
    deployment.Strategy === 'BLUE_GREEN' ? 2 : 1,
    (deployment.MaximumPercent ?? 100) / 100,
  );
  return {
    serviceName: typeof props.ServiceName === 'string' ? props.ServiceName : logicalId,
    vcpuPerTask: cpuUnits / 1024,
    peakTasks: Math.ceil(maxTasks * overlap),
  };
}

/** `CostFilters.TagKeyValue` entries read `user:<key>$<value>`. */
function budgetTagKeys(props: Record<string, unknown>): string[] {
  const budget = props.Budget as { CostFilters?: { TagKeyValue?: unknown } } | undefined;
  const entries = budget?.CostFilters?.TagKeyValue;
  if (!Array.isArray(entries)) return [];
  return entries
    .map((entry) => (typeof entry === 'string' ? /^user:([^$]+)\$/.exec(entry)?.[1] : undefined))
    .filter((key): key is string => key !== undefined);
}
