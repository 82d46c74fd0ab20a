/**
 * Line templates: one regular expression per shape of decision line (its keys in order and the kind
 * of each value), learnt from a line the scanner read. A log is written by one function with one
 * logger, so nearly every line has one of a few shapes, and matching a template reads a line in a
 * single native pass instead of a scan key by key (see line-reader.ts).
 *
 * What a template accepts is a subset of what the scanner accepts: strings without a quote, a
 * backslash or a control character; the literals the scanner's grammar allows; the keys of its shape
 * in their order and nothing else. The input is the one value of open shape. Its text is matched
 * lazily up to the first `}` after which the rest of the template matches to the end of the line, and
 * the rest is rigid (no value in it holds a `"`), so that `}` is the input's own closing brace:
 * the reader still parses the input text it keeps.
 */

import { CORRELATION_TAIL, ESCAPE_OR_CONTROL, JSON_NUMBER_PATTERN, JSON_WORDS } from './scan.js';

/** A string's contents without escapes or control characters (the scanner's condition). */
const STRING = `[^"${ESCAPE_OR_CONTROL}]*`;
/** An input's text, as short as the rest of the template allows: any character but those. */
const INPUT_TEXT = `[^${ESCAPE_OR_CONTROL}]*?`;
/** A JSON literal: a number exactly as the grammar allows it, true, false or null. */
const LITERAL = `(?:${JSON_WORDS.join('|')}|${JSON_NUMBER_PATTERN})`;

export type ValueShape =
  /** A string; `only`: the contents it must be one of. */
  | { readonly kind: 'string'; readonly only?: readonly string[] }
  /** A literal; `only`: a pattern for it (a subset of the literal grammar). */
  | { readonly kind: 'literal'; readonly only?: string }
  /** The decision's input: an object of any shape. */
  | { readonly kind: 'input' }
  /** An object of a fixed shape. */
  | { readonly kind: 'object'; readonly keys: readonly KeyShape[] };

export interface KeyShape {
  readonly name: string;
  readonly value: ValueShape;
  /** Whether a line of this shape may leave the key out; the first key of an object may not. */
  readonly optional?: boolean;
  /** Where the reader wants the value (the text of a string's contents, of a literal, of the input); -1: not wanted. */
  readonly slot: number;
}

export interface LineTemplate {
  readonly pattern: RegExp;
  /** The capture group of each slot, 0 where the template has no value for it. */
  readonly groups: Int32Array;
  /** The group of the correlation id an input ends with, when it does. */
  readonly tailGroup: number;
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The template of one shape, with room for `slots` slots; undefined when the shape has no input. */
export function compileTemplate(keys: readonly KeyShape[], slots: number): LineTemplate | undefined {
  const groups = new Int32Array(slots);
  let group = 0;
  let tailGroup = 0;
  const capture = (slot: number, source: string) => {
    if (slot < 0) return `(?:${source})`;
    groups[slot] = ++group;
    return `(${source})`;
  };
  const object = (shape: readonly KeyShape[]): string => {
    let source = '';
    shape.forEach((key, i) => {
      const pair = `"${escaped(key.name)}":${value(key)}`;
      source += i === 0 ? pair : key.optional ? `(?:,${pair})?` : `,${pair}`;
    });
    return `\\{${source}\\}`;
  };
  const value = (key: KeyShape): string => {
    const shape = key.value;
    switch (shape.kind) {
      case 'string':
        return `"${capture(key.slot, shape.only ? shape.only.map(escaped).join('|') : STRING)}"`;
      case 'literal':
        return capture(key.slot, shape.only ?? LITERAL);
      case 'input': {
        groups[key.slot] = ++group;
        tailGroup = ++group;
        return `(\\{${INPUT_TEXT}(?:${escaped(CORRELATION_TAIL)}(${STRING})")?\\})`;
      }
      case 'object':
        return object(shape.keys);
    }
  };
  const source = `^${object(keys)}$`;
  return tailGroup === 0 ? undefined : { pattern: new RegExp(source), groups, tailGroup };
}
