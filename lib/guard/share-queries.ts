/**
 * cfn-guard 3.1 copies every value a query steps through (each key and each `*` clones the subtree
 * below it), so `Resources.*[ Type == T ]` copies every resource of the template, and so does
 * `is_cfn_template(this)`, which asks for `Resources`. A Control Tower file evaluates one such query
 * per resource type it checks and one `is_cfn_template` per rule, on every template: over every
 * stage's templates that copying was most of guard's time. Guard evaluates a variable once per
 * template and keeps its value, so these queries are rewritten to variables that every file of a
 * merged rule file shares: the resources once, each type's resources once, the sections once.
 * A query that filters a type further (`Resources.*[ Type == T  Properties.X exists ]`, the
 * project's rules) filters that type's shared resources instead. Only the exact forms below are
 * rewritten; a file written any other way runs as written.
 */

import { closingBracket } from './syntax.js';

const RESOURCES = 'shared__resources';
const RESOURCES_GROUP = 'shared__resources_group_';
const TEMPLATE_SECTIONS = 'shared__template_sections';
/** Below this many types, groups save no pass over the resources. */
const MIN_TYPES_TO_GROUP = 5;
const resourcesOf = (type: string) => `shared__resources_${type.replaceAll('::', '_')}`;

/** `let NAME = "AWS::Service::Type"`: a file's constant for the resource type it checks. */
const TYPE_CONSTANT = /^let (\w+) = (["'])(AWS::\w+::\w+)\2[ \t]*$/gm;
/**
 * `let resources = Resources.*[ Type == %NAME` (or the type itself), up to the filter's first
 * clause: the rest of the filter is read by `closingBracket`.
 */
const RESOURCES_OF_TYPE = /^let (\w+) = Resources\.\*\[\s*Type == (?:%(\w+)|(["'])(AWS::\w+::\w+)\3)/gm;
/** Clauses after the type that are one conjunction with it: not an `or` joining it to the next. */
const JOINED_BY_OR = /^(?:\s|#[^\n]*)*(?:or|OR|\|OR\|)(?![\w|])/;
/** Nothing but blanks after the filter on its line; sticky, so it tests in place. */
const REST_OF_LINE = /[ \t]*(?:\n|$)/y;
/** The helper every Control Tower file defines, in the one form they all share. */
const IS_CFN_TEMPLATE =
  /^rule is_cfn_template\(doc\)\s*\{\s*%doc\s*\{\s*AWSTemplateFormatVersion exists\s+or\s+Resources exists\s*\}\s*\}/m;
const INPUT_DOCUMENT_IS_ROOT = /^let INPUT_DOCUMENT = this[ \t]*$/m;
/** A rule's condition that the template is one, as every Control Tower file words it. */
const IS_CFN_TEMPLATE_CALL = /(?<=\bwhen )is_cfn_template\((?:%INPUT_DOCUMENT|this)\)/g;

/** A `let` of resources of one type that `SharedQueries` rewrites: `source[start, end)`. */
interface TypeQuery {
  readonly name: string;
  readonly type: string;
  /** The filter's clauses after the type's, as written. */
  readonly clauses: string;
  readonly start: number;
  readonly end: number;
}

function typeQueries(
  source: string,
  constants: ReadonlyMap<string | undefined, string | undefined>,
): TypeQuery[] {
  const queries: TypeQuery[] = [];
  for (const match of source.matchAll(RESOURCES_OF_TYPE)) {
    const [head, name, constant, , literal] = match;
    const type = literal ?? (constant === undefined ? undefined : constants.get(constant));
    if (type === undefined || match.index < (queries.at(-1)?.end ?? 0)) continue;
    const clausesStart = match.index + head.length;
    const close = closingBracket(source, clausesStart);
    if (close < 0) continue;
    const clauses = source.slice(clausesStart, close);
    REST_OF_LINE.lastIndex = close + 1;
    if (JOINED_BY_OR.test(clauses) || !REST_OF_LINE.test(source)) continue;
    queries.push({ name: name as string, type, clauses, start: match.index, end: close + 1 });
  }
  return queries;
}

/** What the files of one merged rule file ask of the shared variables. */
export class SharedQueries {
  private readonly types = new Set<string>();
  private sections = false;

  /**
   * @param resources the query every shared resource variable starts from: `Resources.*`, or one
   * that leaves resources out of what the rewritten queries see (the validator leaves out the
   * copies it borrowed from other stacks, see resolve-stack-outputs.ts).
   */
  constructor(private readonly resources = 'Resources.*') {}

  /** The file with its template-wide queries read from the shared variables. */
  rewrite(source: string): string {
    const constants = new Map([...source.matchAll(TYPE_CONSTANT)].map((m) => [m[1], m[3]]));
    let text = '';
    let copied = 0;
    for (const query of typeQueries(source, constants)) {
      this.types.add(query.type);
      const filter = query.clauses.trim() === '' ? '' : `[${query.clauses}]`;
      text += `${source.slice(copied, query.start)}let ${query.name} = %${resourcesOf(query.type)}${filter}`;
      copied = query.end;
    }
    text += source.slice(copied);
    if (IS_CFN_TEMPLATE.test(text) && INPUT_DOCUMENT_IS_ROOT.test(text)) {
      text = text.replace(IS_CFN_TEMPLATE_CALL, () => {
        this.sections = true;
        return `%${TEMPLATE_SECTIONS} not empty`;
      });
    }
    return text;
  }

  /**
   * The shared variables the rewritten files read, to open the merged file with. `is_cfn_template`
   * holds when the template has either section; `this[ keys == ... ]` asks for them by name.
   */
  declarations(): string {
    const lines: string[] = [];
    if (this.types.size > 0) lines.push(`let ${RESOURCES} = ${this.resources}`);
    const types = [...this.types].sort();
    // A filter steps through (and copies) every resource of its input, so n types filtered from
    // all resources cost n passes; filtered from groups of about √n types, about 2√n.
    const size = types.length < MIN_TYPES_TO_GROUP ? 1 : Math.ceil(Math.sqrt(types.length));
    for (let start = 0; start < types.length; start += size) {
      const group = types.slice(start, start + size);
      let source = RESOURCES;
      if (group.length > 1) {
        source = `${RESOURCES_GROUP}${start / size}`;
        const names = group.map((type) => `'${type}'`).join(', ');
        lines.push(`let ${source} = %${RESOURCES}[ Type IN [${names}] ]`);
      }
      for (const type of group) lines.push(`let ${resourcesOf(type)} = %${source}[ Type == '${type}' ]`);
    }
    if (this.sections)
      lines.push(`let ${TEMPLATE_SECTIONS} = this[ keys == /\\A(AWSTemplateFormatVersion|Resources)\\z/ ]`);
    return lines.length > 0
      ? `# Shared by the files below (lib/guard/share-queries.ts)\n${lines.join('\n')}\n`
      : '';
  }
}
