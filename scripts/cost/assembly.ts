import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CostInputError } from './errors.js';

/**
 * Reads one environment's stage out of a synthesized cloud assembly (`cdk.out/assembly-<env>/`) and
 * indexes its resources so a pricer can follow references: `Ref`, `Fn::GetAtt`, `Fn::ImportValue`
 * and `Fn::GetStackOutput` (the weak cross-stack reference this app uses) all resolve to the
 * resource they name, in whichever stack it lives.
 */

export interface Resource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

interface Template {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name?: unknown } }>;
}

export interface StackTemplate {
  /** CloudFormation stack name, e.g. `axon-orbit-dev-network`. */
  readonly stackName: string;
  readonly region: string | undefined;
  readonly template: Template;
}

interface Manifest {
  readonly artifacts?: Record<
    string,
    {
      type: string;
      environment?: string;
      properties?: { directoryName?: string; templateFile?: string; stackName?: string };
    }
  >;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/** The stacks of stage `env`, from its nested assembly (or from the top level when it has no stages). */
export function readStageStacks(assemblyDir: string, env: string): StackTemplate[] {
  if (!existsSync(join(assemblyDir, 'manifest.json'))) {
    throw new CostInputError(
      `no cloud assembly at ${assemblyDir}: run \`npm run synth\` first (or pass --assembly <dir>)`,
    );
  }
  const root = readManifest(assemblyDir);
  const nested = Object.values(root.artifacts ?? {}).find(
    (artifact) =>
      artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName === `assembly-${env}`,
  );
  const stageDir = nested ? join(assemblyDir, `assembly-${env}`) : undefined;
  if (!stageDir) {
    const stages = Object.values(root.artifacts ?? {})
      .filter((artifact) => artifact.type === 'cdk:cloud-assembly')
      .map((artifact) => artifact.properties?.directoryName?.replace(/^assembly-/, ''));
    throw new CostInputError(
      `no stage ${env} in ${assemblyDir} (it has: ${stages.join(', ') || 'none'}); synthesize it with \`npm run synth -- -c env=${env}\``,
    );
  }
  const stacks = Object.values(readManifest(stageDir).artifacts ?? {}).filter(
    (artifact) => artifact.type === 'aws:cloudformation:stack',
  );
  return stacks.map((artifact) => {
    const templateFile = artifact.properties?.templateFile ?? '';
    return {
      stackName: artifact.properties?.stackName ?? templateFile.replace(/\.template\.json$/, ''),
      region: regionOf(artifact.environment),
      template: JSON.parse(readFileSync(join(stageDir, templateFile), 'utf8')) as Template,
    };
  });
}

function regionOf(environment: string | undefined): string | undefined {
  const region = environment?.split('/')[3];
  return region && region !== 'unknown-region' ? region : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The resources of one stage, with reference resolution across its stacks. */
export class ResourceGraph {
  readonly resources: readonly Resource[];
  private readonly stacks: ReadonlyMap<string, StackTemplate>;

  constructor(stacks: readonly StackTemplate[]) {
    this.stacks = new Map(stacks.map((stack) => [stack.stackName, stack]));
    this.resources = stacks.flatMap((stack) =>
      Object.entries(stack.template.Resources ?? {}).map(([logicalId, resource]) => ({
        stack: stack.stackName,
        logicalId,
        type: resource.Type,
        properties: resource.Properties ?? {},
      })),
    );
  }

  /** The one region every stack deploys to. */
  region(): string {
    const regions = new Set([...this.stacks.values()].map((stack) => stack.region));
    const [region] = regions;
    if (regions.size !== 1 || region === undefined) {
      throw new CostInputError(
        `the stage's stacks must share one explicit region (found: ${[...regions].map(String).join(', ')})`,
      );
    }
    return region;
  }

  ofType(type: string): Resource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  get(stack: string, logicalId: string): Resource | undefined {
    return this.resources.find((resource) => resource.stack === stack && resource.logicalId === logicalId);
  }

  /** The resource a property value points at (`Ref`, `GetAtt`, `GetStackOutput`, `ImportValue`), if any. */
  resolve(from: Resource | string, value: unknown): Resource | undefined {
    const stack = typeof from === 'string' ? from : from.stack;
    if (!isObject(value)) return undefined;
    if (typeof value.Ref === 'string') return this.get(stack, value.Ref);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return this.get(stack, String(getAtt[0]));
    if (typeof getAtt === 'string') return this.get(stack, getAtt.split('.')[0] ?? '');
    if (isObject(value['Fn::GetStackOutput'])) return this.resolveStackOutput(value['Fn::GetStackOutput']);
    if (typeof value['Fn::ImportValue'] === 'string') return this.resolveImport(value['Fn::ImportValue']);
    return undefined;
  }

  /** A weak reference: the producer stack's output, resolved in the producer. */
  private resolveStackOutput(reference: Record<string, unknown>): Resource | undefined {
    const producer = this.stacks.get(String(reference.StackName));
    const output = producer?.template.Outputs?.[String(reference.OutputName)];
    return output && producer ? this.resolve(producer.stackName, output.Value) : undefined;
  }

  private resolveImport(exportName: string): Resource | undefined {
    for (const producer of this.stacks.values()) {
      for (const output of Object.values(producer.template.Outputs ?? {})) {
        if (output.Export?.Name === exportName) return this.resolve(producer.stackName, output.Value);
      }
    }
    return undefined;
  }

  /** Every resource referenced anywhere inside `value` (deep). */
  referencesIn(from: Resource, value: unknown): Resource[] {
    const direct = this.resolve(from, value);
    if (direct) return [direct];
    if (Array.isArray(value)) return value.flatMap((item) => this.referencesIn(from, item));
    if (isObject(value)) return Object.values(value).flatMap((item) => this.referencesIn(from, item));
    return [];
  }
}

export function loadStage(assemblyDir: string, env: string): ResourceGraph {
  return new ResourceGraph(readStageStacks(assemblyDir, env));
}

/** The stage names (`assembly-<name>`) a cloud assembly holds. */
export function stageNames(assemblyDir: string): string[] {
  if (!existsSync(join(assemblyDir, 'manifest.json'))) {
    throw new CostInputError(`no cloud assembly at ${assemblyDir}: run \`npm run synth\` there first`);
  }
  return Object.values(readManifest(assemblyDir).artifacts ?? {})
    .filter((artifact) => artifact.type === 'cdk:cloud-assembly')
    .map((artifact) => artifact.properties?.directoryName?.replace(/^assembly-/, '') ?? '')
    .filter((name) => name !== '');
}
