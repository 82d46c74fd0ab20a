import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContext, PolicyViolation } from 'aws-cdk-lib';
import { mergeRuleFiles } from '../../lib/guard/merge-rules.js';
import { controlTowerRuleFiles } from '../../lib/guard/validator.js';

/** What CDK hands a validation plugin, for these templates. */
export const validationContext = (templatePaths: string[]) =>
  ({ templatePaths }) as unknown as IPolicyValidationContext;

/** Findings as comparable text, independent of their order. */
export const comparableFindings = (violations: readonly PolicyViolation[]) =>
  violations.map((v) => JSON.stringify(v)).sort();

export function guardWorkDir(): string {
  return mkdtempSync(join(tmpdir(), 'guard-test-'));
}

export function writeIn(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * The Control Tower controls that can apply to these templates (those naming one of their resource
 * types, as the validator picks them), run file by file and as `mergeRuleFiles` merges them.
 */
export function controlTowerFindingsBothWays(templatePaths: string[]): {
  readonly merged: { readonly sources: string[]; readonly violations: PolicyViolation[] };
  readonly separate: PolicyViolation[];
} {
  const types = new Set(
    templatePaths.flatMap((path) =>
      Object.values(
        (JSON.parse(readFileSync(path, 'utf8')) as { Resources?: Record<string, { Type: string }> })
          .Resources ?? {},
      ).map((r) => r.Type),
    ),
  );
  const files = controlTowerRuleFiles().filter((file) =>
    [...types].some((type) => readFileSync(file, 'utf8').includes(type)),
  );
  const sources = mergeRuleFiles(files.map((path) => ({ path, source: readFileSync(path, 'utf8') })));
  const dir = guardWorkDir();
  const run = (rules: string[]) =>
    new CfnGuardValidator({ controlTowerRulesEnabled: false, rules }).validate(
      validationContext(templatePaths),
    ).violations;
  return {
    merged: {
      sources,
      violations: run(sources.map((source, i) => writeIn(dir, `merged-${i}.guard`, source))),
    },
    separate: run(files),
  };
}
