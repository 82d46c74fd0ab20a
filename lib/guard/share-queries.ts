/**
 * cfn-guard 3.1 copies every value a query steps through (each key and each `*` clones the subtree
 * below it), so `Resources.*[ Type == T ]` copies every resource of the template, and so does
 * `is_cfn_template(this)`, which asks for `Resources`. A Control Tower file evaluates one such query
 * per resource type it checks and one `is_cfn_template` per rule, on every template: over every
 * stage's templates that copying was most of guard's time. Guard evaluates a variable once per
 * template and keeps its value, so these queries are rewritten to variables that every file of a
 * merged rule file shares: the resources once, each type's resources once, the sections once.
 * Only the exact forms below are rewritten; a file written any other way runs as written.
 */

const RESOURCES = 'shared__resources';
const TEMPLATE_SECTIONS = 'shared__template_sections';
const resourcesOf = (type: string) => `shared__resources_${type.replaceAll('::', '_')}`;

/** `let NAME = "AWS::Service::Type"`: a file's constant for the resource type it checks. */
const TYPE_CONSTANT = /^let (\w+) = (["'])(AWS::\w+::\w+)\2[ \t]*$/gm;
/** `let resources = Resources.*[ Type == %NAME ]` (or the type itself) on a line of its own. */
const RESOURCES_OF_TYPE =
  /^let (\w+) = Resources\.\*\[\s*Type == (?:%(\w+)|(["'])(AWS::\w+::\w+)\3)\s*\][ \t]*$/gm;
/** The helper every Control Tower file defines, in the one form they all share. */
const IS_CFN_TEMPLATE =
  /^rule is_cfn_template\(doc\)\s*\{\s*%doc\s*\{\s*AWSTemplateFormatVersion exists\s+or\s+Resources exists\s*\}\s*\}/m;
const INPUT_DOCUMENT_IS_ROOT = /^let INPUT_DOCUMENT = this[ \t]*$/m;
/** A rule's condition that the template is one, as every Control Tower file words it. */
const IS_CFN_TEMPLATE_CALL = /(?<=\bwhen )is_cfn_template\((?:%INPUT_DOCUMENT|this)\)/g;

/** What the files of one merged rule file ask of the shared variables. */
export class SharedQueries {
  private readonly types = new Set<string>();
  private sections = false;

  /** The file with its template-wide queries read from the shared variables. */
  rewrite(source: string): string {
    const constants = new Map([...source.matchAll(TYPE_CONSTANT)].map((m) => [m[1], m[3]]));
    let text = source.replace(
      RESOURCES_OF_TYPE,
      (line, name: string, constant?: string, _q?, literal?: string) => {
        const type = literal ?? (constant === undefined ? undefined : constants.get(constant));
        if (type === undefined) return line;
        this.types.add(type);
        return `let ${name} = %${resourcesOf(type)}`;
      },
    );
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
    if (this.types.size > 0) lines.push(`let ${RESOURCES} = Resources.*`);
    for (const type of [...this.types].sort())
      lines.push(`let ${resourcesOf(type)} = %${RESOURCES}[ Type == '${type}' ]`);
    if (this.sections)
      lines.push(`let ${TEMPLATE_SECTIONS} = this[ keys == /\\A(AWSTemplateFormatVersion|Resources)\\z/ ]`);
    return lines.length > 0
      ? `# Shared by the files below (lib/guard/share-queries.ts)\n${lines.join('\n')}\n`
      : '';
  }
}
