/**
 * cfn-guard evaluates every rule file against every template apart, and much of its cost is per file:
 * the same Control Tower controls run as one file take about 30 % less CPU over every stage's
 * templates. Rule files are separate scopes, so they cannot simply be concatenated: most Control
 * Tower files define the same helpers (`is_cfn_template`, `check`, ...) and variables, differently.
 * `mergeRuleFiles` makes the names private to a file (its variables, parameters and parameterized
 * rules) unique to it and keeps the names guard reports findings under: the named rules. The
 * template-wide queries the files repeat are shared by all of them (share-queries.ts).
 */

import { SharedQueries } from './share-queries.js';
import { GUARD_OPAQUE } from './syntax.js';

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

interface Token {
  readonly kind: 'name' | 'other';
  readonly text: string;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let other = '';
  for (let i = 0; i < source.length; ) {
    GUARD_OPAQUE.lastIndex = i;
    const opaque = GUARD_OPAQUE.exec(source);
    if (opaque) {
      other += opaque[0];
      i += opaque[0].length;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(source);
    if (name) {
      if (other) tokens.push({ kind: 'other', text: other });
      other = '';
      tokens.push({ kind: 'name', text: name[0] });
      i += name[0].length;
      continue;
    }
    other += source[i];
    i++;
  }
  if (other) tokens.push({ kind: 'other', text: other });
  return tokens;
}

const endsWith = (token: Token | undefined, pattern: RegExp) =>
  token?.kind === 'other' && pattern.test(token.text);
const startsWith = (token: Token | undefined, pattern: RegExp) =>
  token?.kind === 'other' && pattern.test(token.text);

/** Named (not parameterized) rules a file defines: what guard reports findings under. */
export function namedRules(source: string): Set<string> {
  const tokens = tokenize(source);
  const names = new Set<string>();
  tokens.forEach((token, i) => {
    if (token.text !== 'rule' || token.kind !== 'name') return;
    const name = tokens[i + 2];
    if (name?.kind === 'name' && !startsWith(tokens[i + 3], /^\s*\(/)) names.add(name.text);
  });
  return names;
}

/**
 * The file's text with every name private to it suffixed by `suffix`: variables (`let x`, `%x`),
 * parameters (`rule f(x)`), and parameterized rules with their calls (`f(`). Named rules keep their
 * names, so findings read exactly as they do when the file runs alone.
 */
export function scopeRuleFile(source: string, suffix: string): string {
  const tokens = tokenize(source);
  const variables = new Set<string>();
  const functions = new Set<string>();
  /** Token positions of the names that declare a variable or a parameter. */
  const declarations = new Set<number>();
  tokens.forEach((token, i) => {
    if (token.kind !== 'name') return;
    if (tokens[i - 2]?.text === 'let' && endsWith(tokens[i - 1], /^\s+$/)) {
      variables.add(token.text);
      declarations.add(i);
    }
    if (tokens[i - 2]?.text === 'rule' && startsWith(tokens[i + 1], /^\s*\(\s*$/)) {
      functions.add(token.text);
      // `rule f(a, b)`: the parameters are every other token up to the closing parenthesis.
      for (let j = i + 2; tokens[j]?.kind === 'name'; j += 2) {
        variables.add(tokens[j]?.text as string);
        declarations.add(j);
        if (!startsWith(tokens[j + 1], /^\s*,\s*$/)) break;
      }
    }
  });
  return tokens
    .map((token, i) => {
      if (token.kind !== 'name') return token.text;
      const variable = endsWith(tokens[i - 1], /%$/);
      const renamed = variable
        ? variables.has(token.text)
        : declarations.has(i) || (functions.has(token.text) && startsWith(tokens[i + 1], /^\s*\(/));
      return renamed ? `${token.text}${suffix}` : token.text;
    })
    .join('');
}

/**
 * The rule files as few merged sources as their named rules allow: a file joins the first group
 * where none of its named rules is defined yet (guard would join two same-named rules into one).
 * `sharedResources`: the query the shared resource variables start from (see `SharedQueries`).
 */
export function mergeRuleFiles(
  files: readonly { path: string; source: string }[],
  sharedResources?: string,
): string[] {
  const groups: { names: Set<string>; shared: SharedQueries; sources: string[] }[] = [];
  files.forEach(({ path, source }, index) => {
    const names = namedRules(source);
    let group = groups.find((g) => ![...names].some((name) => g.names.has(name)));
    if (!group) {
      group = { names: new Set(), shared: new SharedQueries(sharedResources), sources: [] };
      groups.push(group);
    }
    for (const name of names) group.names.add(name);
    group.sources.push(`# ${path}\n${scopeRuleFile(group.shared.rewrite(source), `__f${index}`)}`);
  });
  return groups.map((g) => [g.shared.declarations(), ...g.sources].filter(Boolean).join('\n\n'));
}
