/**
 * cfn-guard compiles a rule's regex each time it compares a value with it, and Unicode classes make
 * that compilation expensive (regex-automata builds a UTF-8 automaton for each, allocating hundreds
 * of KB): `\w`, `\d`, `\s`, `.`, and case-insensitive letters (`k` and `s` fold to non-ASCII
 * characters). The Control Tower controls' `/\A\s*\z/` (30 uses), the IAM controls'
 * `/^[\w]*[:]*\*$/` and the KMS controls' `/^(?i)kms:GrantIsForAWSResource$/` cost about a fifth of
 * guard's CPU over every stage's templates. On ASCII text each matches exactly what its ASCII
 * spelling matches (`[0-9A-Za-z_]`, `[0-9]`, `[\t\n\x0B\f\r ]`, `[\x00-\x09\x0B-\x7F]`, and each
 * letter's two cases), so when every document guard judges is ASCII (`asciiOnly`), the validator
 * spells them out (`asciiClasses`); otherwise it runs the rules as written. A regex using anything
 * whose meaning that could touch (other flags, Unicode properties, nested classes, class set
 * operations, a negated class escape inside brackets) is left alone. Control Tower findings carry
 * their rules' own messages, not the regex.
 */

import { GUARD_OPAQUE } from './syntax.js';

const SPELLED: Readonly<Record<string, string>> = { w: '0-9A-Za-z_', d: '0-9', s: '\\t\\n\\x0B\\f\\r ' };
/** `.` outside a class: any character but a newline (Rust's meaning, without the `s` flag). */
const ANY_BUT_NEWLINE = '[\\x00-\\x09\\x0B-\\x7F]';
/**
 * `(?i)` before a plain literal, as Control Tower matches condition keys
 * (`/^(?i)kms:GrantIsForAWSResource$/`): Unicode case folding makes `k` and `s` non-ASCII classes
 * (KELVIN SIGN, LONG S), while on ASCII text each letter matches just its two cases.
 */
const CASELESS_LITERAL = /^(\^?)\(\?i\)([0-9A-Za-z:_-]+)(\$?)$/;
const eitherCase = (c: string) =>
  c.toLowerCase() === c.toUpperCase() ? c : `[${c.toLowerCase()}${c.toUpperCase()}]`;
const OPAQUE = new RegExp(GUARD_OPAQUE.source, 'g');
/** Flags, Unicode properties, nested classes and class set operations: such a regex is left alone. */
const UNSAFE = /\(\?|\\[pP]|\[[^\]]*\[|&&|--|~~/;

/** The guard rule source with the classes of its regexes spelled in ASCII. */
export function asciiClasses(source: string): string {
  return source.replace(OPAQUE, (token) => (token.startsWith('/') ? asciiRegex(token) : token));
}

function asciiRegex(literal: string): string {
  const body = literal.slice(1, -1);
  const caseless = CASELESS_LITERAL.exec(body);
  if (caseless) {
    const [, start, text = '', end] = caseless;
    return `/${start}${[...text].map(eitherCase).join('')}${end}/`;
  }
  if (UNSAFE.test(body)) return literal;
  let out = '';
  /** Where the open class's members start in `out` (after `[` or `[^`), or -1 outside a class. */
  let members = -1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '\\') {
      const spelled = spellEscape(body.slice(i, i + 4), members >= 0);
      if (spelled === undefined) return literal;
      out += spelled;
      i++;
      continue;
    }
    if (members < 0 && c === '.') {
      out += ANY_BUT_NEWLINE;
      continue;
    }
    const token = members < 0 && c === '[' && body[i + 1] === '^' ? '[^' : c;
    i += token.length - 1;
    members = classMembersAfter(members, token, out.length);
    out += token;
  }
  return `/${out}/`;
}

/** Where the open class's members start once `token` is appended at `at`, or -1 outside a class. */
function classMembersAfter(members: number, token: string, at: number): number {
  if (members < 0) return token.startsWith('[') ? at + token.length : -1;
  // A `]` first in a class is a member, not its end.
  return token === ']' && at > members ? -1 : members;
}

/**
 * An escape (`text` starts with it and holds what follows) as written, or spelled in ASCII;
 * undefined when it cannot be spelled where it stands.
 */
function spellEscape(text: string, inClass: boolean): string | undefined {
  const letter = text[1] ?? '';
  const spelled = SPELLED[letter.toLowerCase()];
  if (spelled === undefined) return text.slice(0, 2);
  const negated = letter !== letter.toLowerCase();
  if (!inClass) return negated ? `[^${spelled}]` : `[${spelled}]`;
  // `[\W]` cannot be spelled as ranges, and `[\w-.]` would read as a range from the spelling's end.
  if (negated || (text[2] === '-' && text[3] !== ']')) return undefined;
  return spelled;
}

/** Whether every key and string of the JSON document is ASCII. */
export function asciiOnly(document: unknown): boolean {
  if (typeof document === 'string') return !NON_ASCII.test(document);
  if (Array.isArray(document)) return document.every(asciiOnly);
  if (document !== null && typeof document === 'object') {
    return Object.entries(document).every(([key, value]) => !NON_ASCII.test(key) && asciiOnly(value));
  }
  return true;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range starts at NUL.
const NON_ASCII = /[^\u0000-\u007f]/;
