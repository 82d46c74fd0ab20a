import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import {
  type IPolicyValidationContext,
  type IPolicyValidationPlugin,
  type PolicyValidationPluginReport,
  type PolicyViolation,
  Validations,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { asciiClasses, asciiOnly } from './ascii-classes.js';
import { acknowledgeEnvironmentExceptions, DISABLED_CONTROL_TOWER_RULES } from './exceptions.js';
import { mergeRuleFiles } from './merge-rules.js';
import {
  BORROWED_FROM,
  type ResolvedTemplate,
  resolveStackOutputs,
  type Template,
} from './resolve-stack-outputs.js';

const PACKAGE_DIR = dirname(
  createRequire(import.meta.url).resolve('@cdklabs/cdk-validator-cfnguard/package.json'),
);
/** The Control Tower proactive controls the package bundles, one file per control. */
const CONTROL_TOWER_RULES_DIR = join(PACKAGE_DIR, 'rules', 'control-tower', 'cfn-guard');

/** The cfn-guard binary shipped inside the package, as the plugin picks it. */
const GUARD_BINARY = join(
  PACKAGE_DIR,
  'bin',
  platform() === 'darwin' ? 'macos' : 'ubuntu',
  arch() === 'arm64' ? 'aarch64' : 'x86_64',
  'cfn-guard',
);

function ruleFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).flatMap((name) => {
    const child = join(path, name);
    if (statSync(child).isDirectory()) return ruleFiles(child);
    return name.endsWith('.guard') ? [child] : [];
  });
}

/** Every template of every stage in one run: guard's JSON report outgrows Node's 1 MiB default. */
const GUARD_REPORT_MAX_BYTES = 256 * 1024 * 1024;

const RESOURCE_TYPE = /AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g;

/** A Control Tower rule file and the resource types it names (none: it may apply to any template). */
interface ControlTowerRule {
  readonly file: string;
  readonly types: readonly string[];
}

/** The Control Tower rule files in force: those the package bundles, less the disabled ones. */
export function controlTowerRuleFiles(): string[] {
  return ruleFiles(CONTROL_TOWER_RULES_DIR).filter(
    (file) => !(basename(file, '.guard') in DISABLED_CONTROL_TOWER_RULES),
  );
}

/** Read once per process: the package's rule files do not change under it. */
let controlTowerRules: readonly ControlTowerRule[] | undefined;

/**
 * The Control Tower rule files that can apply to templates holding these resource types: those
 * naming one of them, and any naming none (it may apply to any template).
 */
export function applicableControlTowerRuleFiles(present: ReadonlySet<string>): string[] {
  controlTowerRules ??= controlTowerRuleFiles().map((file) => ({
    file,
    types: [...new Set(readFileSync(file, 'utf8').match(RESOURCE_TYPE) ?? [])],
  }));
  return controlTowerRules
    .filter(({ types }) => types.length === 0 || types.some((type) => present.has(type)))
    .map(({ file }) => file);
}

/** Types of the templates' own resources: the shared queries leave the borrowed copies out. */
export function ownResourceTypesOf(templates: readonly Template[]): Set<string> {
  const types = new Set<string>();
  for (const template of templates) {
    for (const resource of Object.values(template.Resources ?? {})) {
      const metadata = resource.Metadata as Record<string, unknown> | undefined;
      if (resource.Type && metadata?.[BORROWED_FROM] === undefined) types.add(resource.Type);
    }
  }
  return types;
}

/** A merged rule file and the name of the sentinel rule it ends with. */
interface MergedRuleFile {
  readonly path: string;
  readonly sentinel: string;
}

/** What the shared queries of the merged rule files start from: the template's own resources. */
const OWN_RESOURCES = `Resources.*[ Metadata.'${BORROWED_FROM}' not exists ]`;

/** The rule each merged rule file ends with, numbered per file; a name no rule file may use. */
const SENTINEL_RULE = 'guard_evaluated_sentinel';

/** The plugin name findings are reported (and acknowledged) under: `cdk-validator-cfnguard::<rule>`. */
export const GUARD_PLUGIN = 'cdk-validator-cfnguard';

/** The finding a guard run that failed (a rule file that does not parse, a dangling reference) reports. */
export const GUARD_DID_NOT_RUN = 'guard-did-not-run';

/** The project's own rules: one file per defect class AWS would only reveal at deploy time. */
export const PROJECT_RULES_DIR = fileURLToPath(new URL('./rules', import.meta.url));

export interface ProjectGuardValidatorProps {
  /** Guard rule files or directories; default: the Control Tower rules and `lib/guard/rules`. */
  readonly rules?: readonly string[];
  /** Default true. */
  readonly controlTowerRules?: boolean;
}

/**
 * cfn-guard (bundled by `@cdklabs/cdk-validator-cfnguard`, runs offline) over every template of the
 * synth: AWS Control Tower's proactive controls and the project's own rules, with cross-stack
 * references resolved first (see `resolveStackOutputs`). Findings on resources a template only
 * borrowed from a producer stack are dropped: the producer's own template is judged by the same rules.
 */
export class ProjectGuardValidator implements IPolicyValidationPlugin {
  readonly name = GUARD_PLUGIN;
  readonly version: string | undefined;
  readonly ruleIds: string[] | undefined;
  private readonly guard: CfnGuardValidator;
  private readonly controlTowerRulesEnabled: boolean;
  private readonly projectRuleFiles: string[];
  /** Names of the project's rules (not Control Tower's), from the rule files. */
  private readonly projectRules: Set<string>;

  constructor(props: ProjectGuardValidatorProps = {}) {
    this.guard = new CfnGuardValidator({
      controlTowerRulesEnabled: props.controlTowerRules ?? true,
      disabledRules: Object.keys(DISABLED_CONTROL_TOWER_RULES),
      rules: [...(props.rules ?? [PROJECT_RULES_DIR])],
      maxBuffer: GUARD_REPORT_MAX_BYTES,
    });
    this.controlTowerRulesEnabled = props.controlTowerRules ?? true;
    this.projectRuleFiles = (props.rules ?? [PROJECT_RULES_DIR]).flatMap(ruleFiles);
    this.projectRules = new Set(
      this.projectRuleFiles.flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/^rule\s+(\w+)\s+(?:when\b|\{)/gm)].map(
          (m) => m[1] as string,
        ),
      ),
    );
    const reserved = [...this.projectRules].find((name) => name.startsWith(SENTINEL_RULE));
    if (reserved)
      throw new Error(`guard rule ${reserved}: names starting with ${SENTINEL_RULE} are reserved`);
    this.version = this.guard.version;
    this.ruleIds = this.guard.ruleIds;
  }

  /**
   * Never throws: CDK turns a plugin's exception into a report without violations, which `cdk synth`
   * passes with exit code 0 (aws/aws-cdk#27575, checked with this CDK version). A guard that could
   * not judge the templates is reported as a finding instead, so the synth fails as it would on one.
   */
  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    try {
      return this.judge(context);
    } catch (error) {
      return {
        success: false,
        violations: [
          {
            ruleName: GUARD_DID_NOT_RUN,
            description: `guard could not judge the templates: ${error instanceof Error ? error.message : String(error)}`,
            fix: 'Fix the cause above; a synth is only clean once guard has run over every template.',
            violatingResources: [
              { templatePath: context.templatePaths[0] ?? '', resourceLogicalId: '', locations: [] },
            ],
          },
        ],
      };
    }
  }

  private judge(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const workDir = mkdtempSync(join(tmpdir(), 'guard-'));
    try {
      const resolved = resolveStackOutputs(context.templatePaths, workDir);
      const byResolvedPath = new Map(resolved.map((r) => [r.resolvedPath, r]));
      const templatePaths = resolved.map((r) => r.resolvedPath);
      const ruleFiles = this.mergedRuleFiles(
        resolved.map((r) => r.template),
        workDir,
      );
      const guard = new CfnGuardValidator({
        controlTowerRulesEnabled: false,
        rules: ruleFiles.map(({ path }) => path),
        maxBuffer: GUARD_REPORT_MAX_BYTES,
      });
      const { violations } = guard.validate({ ...context, templatePaths });
      return this.attribute(this.withoutSentinels(violations, ruleFiles, templatePaths), byResolvedPath);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }

  /**
   * Guard with only the Control Tower rules that can apply to these templates (a rule file that names
   * no resource type always runs), merged into as few files as their rule names allow
   * (merge-rules.ts): guard runs every rule file against every template apart, and most of that cost
   * was per file. Measured over every stage's templates: 25 → 18 CPU-s, and 21 → 11 CPU-s once the
   * merged files share their template-wide queries (share-queries.ts). The shared queries leave out
   * the borrowed copies (a fifth of the resources here): Control Tower findings on them would be
   * dropped (see `attribute`), and project rules reach them through references only. Regex classes
   * are spelled in ASCII when that is exact (ascii-classes.ts). Each merged file ends with a
   * sentinel rule that fails on every document (see `withoutSentinels`).
   */
  private mergedRuleFiles(templates: readonly Template[], workDir: string): MergedRuleFile[] {
    const applicable = this.controlTowerRulesEnabled
      ? applicableControlTowerRuleFiles(ownResourceTypesOf(templates))
      : [];
    const files = [...applicable, ...this.projectRuleFiles];
    const sources = files.map((path) => ({ path, source: readFileSync(path, 'utf8') }));
    // Exact only when every string a regex can meet, the templates' and the rules' own, is ASCII.
    const ascii = templates.every(asciiOnly) && sources.every(({ source }) => asciiOnly(source));
    return mergeRuleFiles(sources, OWN_RESOURCES).map((merged, i) => {
      const path = join(workDir, `rules-${i}.guard`);
      const sentinel = `${SENTINEL_RULE}_${i}`;
      // Fails on a literal, so its finding is a line, not a copy of the template.
      const rule = `let ${sentinel}_value = 0\nrule ${sentinel} {\n  %${sentinel}_value == 1\n}\n`;
      writeFileSync(path, `${ascii ? asciiClasses(merged) : merged}\n\n${rule}`);
      return { path, sentinel };
    });
  }

  /**
   * The findings without the sentinels, once each merged file's sentinel has fired on every template.
   * cfn-guard skips a rule file it cannot parse and reports success; a missing sentinel shows that
   * it did not evaluate a file against a template, for that reason or any other, at no extra cost
   * (parsing every rule file and the merged file apart first took nine more guard processes).
   */
  private withoutSentinels(
    violations: readonly PolicyViolation[],
    ruleFiles: readonly MergedRuleFile[],
    templatePaths: readonly string[],
  ): PolicyViolation[] {
    const fired = new Set(
      violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.templatePath}`)),
    );
    for (const { path, sentinel } of ruleFiles) {
      const missed = templatePaths.find((template) => !fired.has(`${sentinel} ${template}`));
      if (missed === undefined) continue;
      // Name the file to fix: a project rule file guard cannot parse, else the merged file itself.
      for (const file of [...this.projectRuleFiles, path]) {
        const problem = parseProblem(file);
        if (problem !== undefined) throw new Error(`guard rule file ${file} does not parse: ${problem}`);
      }
      throw new Error(`guard did not evaluate ${path} against ${missed}`);
    }
    return violations.filter((v) => !v.ruleName.startsWith(SENTINEL_RULE));
  }

  /**
   * Findings back on the synthesized templates. A borrowed resource is judged in its own template:
   * Control Tower findings on the copy are dropped. Project rules never select copies (see
   * BORROWED_FROM), so their finding on one is a cross-stack defect found through a reference (the
   * key of a log group in another stack) and stays on the consumer. One finding per rule, template
   * and resource.
   */
  private attribute(
    violations: readonly PolicyViolation[],
    byResolvedPath: ReadonlyMap<string, ResolvedTemplate>,
  ): { success: boolean; violations: PolicyViolation[] } {
    const seen = new Set<string>();
    const attributed = violations
      .map((v) => {
        const located = v.violatingResources.filter((r) => r.resourceLogicalId);
        const candidates = located.length > 0 ? located : v.violatingResources.slice(0, 1);
        const violatingResources = candidates.flatMap((r) => {
          const template = byResolvedPath.get(r.templatePath ?? '');
          if (!template) return [r];
          const id = r.resourceLogicalId;
          if (id && template.imported.has(id) && !this.projectRules.has(v.ruleName)) return [];
          const key = `${v.ruleName} ${template.originalPath} ${id}`;
          if (seen.has(key)) return [];
          seen.add(key);
          return [{ ...r, templatePath: template.originalPath }];
        });
        return { ...v, violatingResources };
      })
      .filter((v) => v.violatingResources.length > 0);
    return { success: attributed.length === 0, violations: attributed };
  }
}

/** Why guard cannot parse a rule file, or undefined when it can. */
function parseProblem(file: string): string | undefined {
  // The tree itself (stdout) is not wanted, and a merged file's outgrows spawnSync's buffer.
  const result = spawnSync(GUARD_BINARY, ['parse-tree', '--rules', file], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (result.status === 0) return undefined;
  return result.stderr.split('\n')[0] || `exit ${result.status ?? result.signal}`;
}

/**
 * Runs the project's guard validation on every synth of `app`, with the exceptions of
 * `exceptions.ts`. Call it after the stages are created.
 */
export function applyGuardRules(app: IConstruct): void {
  Validations.of(app).addPlugins(new ProjectGuardValidator());
  acknowledgeEnvironmentExceptions(app, GUARD_PLUGIN);
}
