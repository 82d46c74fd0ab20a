/**
 * Guard syntax whose text is never a name and may hold any character, a `/` or a bracket included:
 * comments, custom messages, strings and regexes (a regex token starts with `/`). Sticky: it matches
 * at `lastIndex` or not at all.
 */
export const GUARD_OPAQUE = /#[^\n]*|<<[\s\S]*?>>|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\/(?:[^/\\\n]|\\.)*\//y;

/**
 * Index of the `]` closing the bracket opened just before `from`, or -1. Brackets inside opaque
 * syntax (a regex's class, a message) do not count.
 */
export function closingBracket(source: string, from: number): number {
  let depth = 0;
  for (let i = from; i < source.length; ) {
    GUARD_OPAQUE.lastIndex = i;
    const opaque = GUARD_OPAQUE.exec(source);
    if (opaque) {
      i += opaque[0].length;
      continue;
    }
    const c = source[i];
    if (c === '[') depth++;
    else if (c === ']') {
      if (depth === 0) return i;
      depth--;
    }
    i++;
  }
  return -1;
}
