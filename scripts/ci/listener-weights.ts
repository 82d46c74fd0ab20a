import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ENVIRONMENT_NAMES } from '../../lib/config/types.js';

/**
 * ECS blue/green owns the forward weights of the production listener rule (it shifts them between
 * the blue and green target groups). A template update that touches those weights resets them to
 * whatever the template says, mid-deployment or after one (aws/aws-cdk#36649), so a pull request
 * must not change them. This compares every listener rule's and listener's forward weights in one
 * environment's stage between the base and the head cloud assembly.
 */
export interface WeightChange {
  readonly resource: string;
  readonly base: string;
  readonly head: string;
}

type Json = Record<string, unknown>;
type Template = { Resources?: Record<string, { Type?: string; Properties?: Json }> };

const WEIGHTED = new Map([
  ['AWS::ElasticLoadBalancingV2::ListenerRule', 'Actions'],
  ['AWS::ElasticLoadBalancingV2::Listener', 'DefaultActions'],
]);

/** `[target group, weight]` pairs of each forward action, as comparable text. */
function weightsOf(actions: unknown): string {
  const forwards = (Array.isArray(actions) ? actions : []).flatMap((action: Json) => {
    const groups = (action.ForwardConfig as Json | undefined)?.TargetGroups;
    if (!Array.isArray(groups)) return [];
    return [
      groups
        .map((g: Json) => `${JSON.stringify(g.TargetGroupArn)}=${String(g.Weight ?? 1)}`)
        .sort()
        .join(', '),
    ];
  });
  return forwards.join(' | ');
}

/** Weighted forward actions per `<stack>/<logical id>` in a template set. */
export function forwardWeights(templates: Readonly<Record<string, Template>>): Map<string, string> {
  const weights = new Map<string, string>();
  for (const [stack, template] of Object.entries(templates)) {
    for (const [id, resource] of Object.entries(template.Resources ?? {})) {
      const property = WEIGHTED.get(resource.Type ?? '');
      if (!property) continue;
      const text = weightsOf(resource.Properties?.[property]);
      if (text) weights.set(`${stack}/${id}`, text);
    }
  }
  return weights;
}

/**
 * Weight changes on weighted rules and listeners the base already had. A weighted resource that
 * disappears counts too: a new logical id replaces the rule, and its replacement starts from the
 * template's weights, whichever target group ECS had made primary. New weighted resources are fine.
 */
export function weightChanges(
  base: Readonly<Record<string, Template>>,
  head: Readonly<Record<string, Template>>,
): WeightChange[] {
  const now = forwardWeights(head);
  return [...forwardWeights(base)].flatMap(([resource, was]) => {
    const after = now.get(resource) ?? '(removed or replaced)';
    return after !== was ? [{ resource, base: was, head: after }] : [];
  });
}

/** The templates of one stage in a cloud assembly (`<assembly>/assembly-<env>/manifest.json`), by stack name. */
export function stageTemplates(assembly: string, environment: string): Record<string, Template> {
  const dir = join(assembly, `assembly-${environment}`);
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath))
    throw new Error(`no stage ${environment} in ${assembly} (${manifestPath} missing)`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  const templates: Record<string, Template> = {};
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    templates[artifact.properties.stackName ?? id] = JSON.parse(
      readFileSync(join(dir, artifact.properties.templateFile), 'utf8'),
    ) as Template;
  }
  return templates;
}

export function main(argv: readonly string[]): { code: number; lines: string[] } {
  const { values } = parseArgs({
    args: [...argv],
    options: { base: { type: 'string' }, head: { type: 'string' }, env: { type: 'string' } },
  });
  if (!values.base || !values.head || !values.env) {
    return { code: 2, lines: ['usage: listener-weights.ts --base <cdk.out> --head <cdk.out> --env <env>'] };
  }
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(values.env)) {
    return { code: 2, lines: [`--env must be one of ${ENVIRONMENT_NAMES.join(', ')}, got "${values.env}"`] };
  }
  const changes = weightChanges(
    stageTemplates(values.base, values.env),
    stageTemplates(values.head, values.env),
  );
  if (changes.length === 0) {
    return { code: 0, lines: [`listener forward weights of ${values.env} unchanged`] };
  }
  return {
    code: 1,
    lines: changes.map(
      (c) =>
        `::error title=listener weights changed::${c.resource}: ${c.base} -> ${c.head}. ECS blue/green manages these weights; a template update resets them (aws/aws-cdk#36649)`,
    ),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { code, lines } = main(process.argv.slice(2));
    for (const line of lines) console.log(line);
    process.exit(code);
  } catch (error) {
    console.error(`listener-weights: ${(error as Error).message}`);
    process.exit(2);
  }
}
