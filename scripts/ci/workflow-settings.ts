import type { WorkflowFile } from './workflow-rules.js';

/**
 * The repository and environment settings the workflows read (`vars.NAME`, `secrets.NAME`) and the
 * ones docs/setup.md documents between `<!-- workflow-settings -->` markers, so neither can drift:
 * a workflow reading an undocumented setting, or a documented one nobody reads, is a finding.
 */
export interface Settings {
  readonly variables: ReadonlySet<string>;
  readonly secrets: ReadonlySet<string>;
}

/** GitHub provides this one to every run; nobody sets it. */
const PROVIDED = new Set(['GITHUB_TOKEN']);

export function settingsReadBy(files: readonly WorkflowFile[]): Settings {
  const variables = new Set<string>();
  const secrets = new Set<string>();
  for (const { text } of files) {
    for (const [, name = ''] of text.matchAll(/\bvars\.([A-Za-z0-9_]+)/g)) variables.add(name);
    for (const [, name = ''] of text.matchAll(/\bsecrets\.([A-Za-z0-9_]+)/g)) {
      if (!PROVIDED.has(name)) secrets.add(name);
    }
  }
  return { variables, secrets };
}

const SECTION = /<!-- workflow-settings -->([\s\S]*?)<!-- \/workflow-settings -->/g;

/**
 * Names in the first column of the documented tables (`NAME`, several per cell allowed, `/`- or
 * `,`-separated), filed under variables or secrets by the row's "kind" column, or by the table
 * heading's kind when the table has none.
 */
export function settingsDocumented(markdown: string): Settings {
  const variables = new Set<string>();
  const secrets = new Set<string>();
  for (const [, section = ''] of markdown.matchAll(SECTION)) {
    for (const line of section.split('\n')) {
      if (!line.startsWith('| `')) continue;
      const cells = line.split('|').map((c) => c.trim());
      const names = [...(cells[1] ?? '').matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1] ?? '');
      const target = /\bsecret\b/.test(cells[2] ?? '') ? secrets : variables;
      for (const name of names) target.add(name);
    }
  }
  return { variables, secrets };
}

export function settingsProblems(read: Settings, documented: Settings): string[] {
  const problems: string[] = [];
  for (const kind of ['variables', 'secrets'] as const) {
    for (const name of read[kind]) {
      if (!documented[kind].has(name))
        problems.push(`${kind}: ${name} is read by a workflow but not in docs/setup.md`);
    }
    for (const name of documented[kind]) {
      if (!read[kind].has(name))
        problems.push(`${kind}: ${name} is in docs/setup.md but no workflow reads it`);
    }
  }
  return problems;
}
