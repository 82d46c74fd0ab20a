import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface Template {
  Resources?: Record<string, { Type: string } & Record<string, Json>>;
  Outputs?: Record<string, { Value: Json }>;
  [key: string]: Json | undefined;
}

/** A consumer template rewritten for guard, and the resources it borrowed from its producers. */
export interface ResolvedTemplate {
  readonly originalPath: string;
  readonly resolvedPath: string;
  /** The document written to `resolvedPath`, which guard judges. */
  readonly template: Template;
  /** Logical ids copied in from producer stacks, with the producer's template path. */
  readonly imported: ReadonlyMap<string, string>;
}

const MAX_DEPTH = 10;
/**
 * Metadata key marking a borrowed copy: project rules select only resources without it, so a copy
 * is looked up through references but never judged on its own, away from its template.
 */
export const BORROWED_FROM = 'guard:borrowed-from';

/**
 * Guard sees one template at a time, so a value another stack publishes (`Fn::GetStackOutput`, a weak
 * reference, or `Fn::ImportValue` of an export) is opaque to it: a rule would pass or fail on the placeholder by accident. This replaces
 * each such value with the producer output's own expression and copies the producer resources it
 * names into the consumer's `Resources`, so rules follow the reference exactly as they would inside
 * one stack (a log group's `KmsKeyId` leads to the key and its policy). The copies keep their
 * logical ids; findings on them are the caller's to attribute (see ProjectGuardValidator).
 * Throws when a referenced stack or output is not among `templatePaths`, or a copied id collides.
 */
export function resolveStackOutputs(templatePaths: readonly string[], workDir: string): ResolvedTemplate[] {
  const byStackName = new Map<string, { path: string; template: Template }>();
  const byExportName = new Map<string, { stackName: string; outputName: string }>();
  const templates = templatePaths.map((path) => {
    const template = JSON.parse(readFileSync(path, 'utf8')) as Template;
    const stackName = stackNameOf(path);
    byStackName.set(stackName, { path, template: structuredClone(template) });
    for (const [outputName, output] of Object.entries(template.Outputs ?? {})) {
      const name = (output as { Export?: { Name?: Json } }).Export?.Name;
      if (typeof name === 'string') byExportName.set(name, { stackName, outputName });
    }
    return { path, template };
  });
  return templates.map(({ path, template }, index) => {
    const imported = new Map<string, string>();
    const resources = template.Resources ?? {};
    for (let depth = 0; ; depth++) {
      const borrowed = new Map<
        string,
        { producerPath: string; resource: { Type: string } & Record<string, Json> }
      >();
      const rewrite = (value: Json): Json => {
        if (Array.isArray(value)) return value.map(rewrite);
        if (value === null || typeof value !== 'object') return value;
        const reference = value['Fn::GetStackOutput'];
        if (reference !== undefined) return borrow(reference, path, byStackName, borrowed);
        // Stages without a concrete account reference each other through exports instead.
        const exported = value['Fn::ImportValue'];
        if (typeof exported === 'string') {
          const found = byExportName.get(exported);
          if (!found)
            throw new Error(
              `guard: ${basename(path)} imports ${exported}, which no stack of this assembly exports`,
            );
          return borrow(
            { StackName: found.stackName, OutputName: found.outputName },
            path,
            byStackName,
            borrowed,
          );
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
      };
      for (const [id, resource] of Object.entries(resources)) {
        resources[id] = rewrite(resource) as { Type: string } & Record<string, Json>;
      }
      if (borrowed.size === 0) break;
      if (depth === MAX_DEPTH)
        throw new Error(`guard: ${basename(path)}: stack outputs nest deeper than ${MAX_DEPTH}`);
      for (const [id, { producerPath, resource }] of borrowed) {
        if (resources[id] !== undefined && !imported.has(id)) {
          throw new Error(
            `guard: ${basename(path)} already has a resource ${id}; cannot import the producer's`,
          );
        }
        if (resources[id] === undefined) {
          const copy = structuredClone(resource);
          copy.Metadata = {
            ...((copy.Metadata as Record<string, Json> | undefined) ?? {}),
            [BORROWED_FROM]: basename(producerPath),
          };
          resources[id] = copy;
          imported.set(id, producerPath);
        }
      }
    }
    template.Resources = resources;
    const resolvedPath = join(workDir, String(index), basename(path));
    mkdirSync(dirname(resolvedPath), { recursive: true });
    writeFileSync(resolvedPath, JSON.stringify(template));
    return { originalPath: path, resolvedPath, template, imported };
  });
}

function borrow(
  reference: Json,
  consumerPath: string,
  byStackName: ReadonlyMap<string, { path: string; template: Template }>,
  borrowed: Map<string, { producerPath: string; resource: { Type: string } & Record<string, Json> }>,
): Json {
  const { StackName: stackName, OutputName: outputName } = (reference ?? {}) as Record<string, Json>;
  const where = `guard: ${basename(consumerPath)} reads output ${String(outputName)} of stack ${String(stackName)}`;
  if (typeof stackName !== 'string' || typeof outputName !== 'string') {
    throw new Error(`${where}: stack and output names must be literal strings`);
  }
  const found = byStackName.get(stackName);
  if (!found) throw new Error(`${where}, which is not in this assembly: validate them together`);
  const producer = found.template;
  const output = producer.Outputs?.[outputName];
  if (!output) throw new Error(`${where}, which that stack does not publish`);
  for (const id of referencedIds(output.Value)) {
    const resource = producer.Resources?.[id];
    if (!resource) throw new Error(`${where}: its value names ${id}, which is not a resource of that stack`);
    borrowed.set(id, { producerPath: found.path, resource });
  }
  return structuredClone(output.Value);
}

/** Logical ids a CloudFormation expression refers to (`Ref`, `Fn::GetAtt`), pseudo parameters aside. */
function referencedIds(value: Json): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value === null || typeof value !== 'object') return [];
  const ref = value.Ref;
  if (typeof ref === 'string') return ref.startsWith('AWS::') ? [] : [ref];
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return [getAtt[0]];
  return Object.values(value).flatMap(referencedIds);
}

/**
 * The stack name of a template in a cloud assembly, from the manifest beside it; a template outside
 * an assembly (a test snippet) goes by its file name.
 */
function stackNameOf(templatePath: string): string {
  const manifestPath = join(dirname(templatePath), 'manifest.json');
  if (!existsSync(manifestPath)) return basename(templatePath, '.template.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (
      artifact.type === 'aws:cloudformation:stack' &&
      artifact.properties?.templateFile === basename(templatePath)
    ) {
      return artifact.properties.stackName ?? id;
    }
  }
  throw new Error(`guard: ${templatePath} is not a stack of the assembly beside it`);
}
