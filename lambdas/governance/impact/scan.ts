/**
 * Helpers for scanning the lines the decision function writes (see line-reader.ts): one JSON object
 * on one line, without whitespace or escapes.
 */

const QUOTE = 34;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * A backslash (an escape) or a control character (invalid inside a JSON string), as the body of a
 * regular expression's character class. Without either, every `"` opens or closes a string, which
 * is what lets the scanner skip strings whole (and a line template match them, see line-template.ts).
 */
export const ESCAPE_OR_CONTROL = '\\\\\\u0000-\\u001f';
/** The key an input may end with, as the handler's events do: the readers look its text up without it. */
export const CORRELATION_TAIL = ',"correlationId":"';

/** An escape or a control character anywhere in the line. */
const NEEDS_FULL_PARSE = new RegExp(`[${ESCAPE_OR_CONTROL}]`);
/** A JSON number, exactly as the grammar allows it, as a regular expression's source. */
export const JSON_NUMBER_PATTERN = '-?(?:0|[1-9]\\d*)(?:\\.\\d+)?(?:[eE][+-]?\\d+)?';
/** The literals that are words. */
export const JSON_WORDS = ['true', 'false', 'null'] as const;
/** Sticky, so it tests in place. */
const JSON_NUMBER = new RegExp(JSON_NUMBER_PATTERN, 'y');

/** Whether the line may be scanned at all; see `NEEDS_FULL_PARSE`. */
export function scannable(line: string): boolean {
  return !NEEDS_FULL_PARSE.test(line);
}

/** Whether `text[from, to)` is a JSON literal: a number, true, false or null. */
export function jsonLiteral(text: string, from: number, to: number): boolean {
  for (const word of JSON_WORDS) if (to - from === word.length && text.startsWith(word, from)) return true;
  JSON_NUMBER.lastIndex = from;
  return JSON_NUMBER.test(text) && JSON_NUMBER.lastIndex === to;
}

/**
 * Index just past the object or array that opens at `from`, or -1 if it does not close. Strings
 * are skipped whole: in a scannable line the next `"` closes one. The text is not otherwise checked:
 * the caller parses what it keeps.
 */
export function skipNested(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = text.indexOf('"', i + 1);
      if (i < 0) return -1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
