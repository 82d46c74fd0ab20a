import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContext, PolicyViolation } from 'aws-cdk-lib';
import { mergeRuleFiles } from '../../lib/guard/merge-rules.js';
import type { Template } from '../../lib/guard/resolve-stack-outputs.js';
import { applicableControlTowerRuleFiles, ownResourceTypesOf } from '../../lib/guard/validator.js';

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
 * The Control Tower controls that can apply to these templates, as the validator picks them: their
 * files, and those files as `mergeRuleFiles` merges them.
 */
export function applicableControlTower(templatePaths: string[]): { files: string[]; merged: string[] } {
  const templates = templatePaths.map((path) => JSON.parse(readFileSync(path, 'utf8')) as Template);
  const files = applicableControlTowerRuleFiles(ownResourceTypesOf(templates));
  return {
    files,
    merged: mergeRuleFiles(files.map((path) => ({ path, source: readFileSync(path, 'utf8') }))),
  };
}

/** Guard's findings (through the vendor plugin) of these rule files over these templates. */
export const findingsOfFiles = (rules: string[], templatePaths: string[]) =>
  new CfnGuardValidator({ controlTowerRulesEnabled: false, rules }).validate(validationContext(templatePaths))
    .violations;

/** Guard's findings (through the vendor plugin) of these rule sources over these templates. */
export function guardFindings(sources: readonly string[], templatePaths: string[]): PolicyViolation[] {
  const dir = guardWorkDir();
  return findingsOfFiles(
    sources.map((source, i) => writeIn(dir, `rules-${i}.guard`, source)),
    templatePaths,
  );
}

/** The applicable Control Tower controls run file by file and as `mergeRuleFiles` merges them. */
export function controlTowerFindingsBothWays(templatePaths: string[]): {
  readonly merged: { readonly sources: string[]; readonly violations: PolicyViolation[] };
  readonly separate: PolicyViolation[];
} {
  const { files, merged } = applicableControlTower(templatePaths);
  return {
    merged: { sources: merged, violations: guardFindings(merged, templatePaths) },
    separate: findingsOfFiles(files, templatePaths),
  };
}
