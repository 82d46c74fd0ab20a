import { DECISION_LOG_MESSAGE } from '../decision-log.js';
import { ENVIRONMENTS } from '../engine/index.js';
import { parseIsoTime } from './iso-time.js';
import {
  acceptedCorrelationId,
  askKey,
  inputTooDeep,
  KNOWN_FIELD_NAMES,
  NO_UNKNOWN_FIELDS,
  RECORD_FIELD_NAMES,
  type ReadLine,
  readDecisionLine,
  unknownInputFields,
} from './record.js';
import { jsonLiteral, scannable, skipNested } from './scan.js';

/** What an input's text reads as, shared by every line carrying the same text. */
interface ReadInput {
  readonly input: Record<string, unknown>;
  readonly unknownFields: readonly string[];
  readonly askKey: string;
}

const MAX_INPUTS = 50_000;
/** The key that ends an input whose last field is its correlation id, as the handler's events are. */
const CORRELATION_TAIL = ',"correlationId":"';
const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;

/** The record keys the reader takes from a line, each in its slot; any other key is read past or unknown. */
const TOP_FIELDS = RECORD_FIELD_NAMES.filter((name) => name !== 'caller');
const RESULT_FIELDS = ['allowed', 'reason', 'statementId', 'policyRevision', 'decisionId'];
const SLOTS = TOP_FIELDS.length + RESULT_FIELDS.length;
/** Keys read past: the logger's, and the caller (replay reads it from the input). */
const PASSED_FIELDS = KNOWN_FIELD_NAMES.filter((name) => !TOP_FIELDS.includes(name));
const topSlot = (name: string) => TOP_FIELDS.indexOf(name);
const resultSlot = (name: string) => TOP_FIELDS.length + RESULT_FIELDS.indexOf(name);
const MESSAGE = topSlot('message');
const DECISION_ID = topSlot('decisionId');
const CORRELATION_ID = topSlot('correlationId');
const INPUT = topSlot('input');
const TIME = topSlot('time');
const ENVIRONMENT = topSlot('environment');
const POLICY_SET = topSlot('policySet');
const RESULT = topSlot('result');
const ALLOWED = resultSlot('allowed');
const REASON = resultSlot('reason');
const STATEMENT_ID = resultSlot('statementId');
const POLICY_REVISION = resultSlot('policyRevision');
const RESULT_DECISION_ID = resultSlot('decisionId');
/** A value's kind in its slot. */
const ABSENT = 0;
const STRING = 1;
const OTHER = 2;

/** A slot for a key (PASSED for a key read past), and the keys of each length, so a key costs one comparison or two. */
const PASSED = SLOTS;
type Keys = readonly (readonly { name: string; slot: number }[] | undefined)[];

function byLength(fields: readonly { name: string; slot: number }[]): Keys {
  const table: { name: string; slot: number }[][] = [];
  for (const field of fields) {
    const same = table[field.name.length];
    if (same) same.push(field);
    else table[field.name.length] = [field];
  }
  return table;
}

const TOP_KEYS = byLength([
  ...TOP_FIELDS.map((name, slot) => ({ name, slot })),
  ...PASSED_FIELDS.map((name) => ({ name, slot: PASSED })),
]);
const RESULT_KEYS = byLength(RESULT_FIELDS.map((name, i) => ({ name, slot: TOP_FIELDS.length + i })));

/** The slot of the key spanning `text[from, from + length)`, or -1 for a key not in `keys`. */
function slotOf(text: string, from: number, length: number, keys: Keys): number {
  const candidates = keys[length];
  if (candidates === undefined) return -1;
  for (const key of candidates) if (text.startsWith(key.name, from)) return key.slot;
  return -1;
}

/**
 * Reads decision log lines exactly as `readDecisionLine` does, faster on the lines the decision
 * function writes: those are scanned (see scan.ts) instead of parsed, and the text of each distinct
 * input is parsed once, not once per line. An input whose last field is an accepted correlation id
 * is looked up without it, so a caller's repeated question is parsed once however many correlation
 * ids it came with. Any line the scanner does not take, or that fails a check, goes to
 * `readDecisionLine`, so a bad line is reported in the same words either way.
 */
export class DecisionLineReader {
  private readonly inputs = new Map<string, ReadInput>();
  /** Per slot: ABSENT, STRING (start and end of its contents) or OTHER (of its text). */
  private readonly kinds = new Uint8Array(SLOTS);
  private readonly starts = new Int32Array(SLOTS);
  private readonly ends = new Int32Array(SLOTS);

  read(text: string): ReadLine {
    return this.scan(text) ?? readDecisionLine(text);
  }

  /** The line as a decision, or undefined when only the full reader can say what it is. */
  scan(text: string): ReadLine | undefined {
    if (!scannable(text)) return undefined;
    this.kinds.fill(ABSENT);
    if (!this.object(text, 0, text.length, false)) return undefined;
    if (!this.is(text, MESSAGE, STRING, DECISION_LOG_MESSAGE)) return undefined;
    if (this.kinds[RESULT] !== OTHER || this.kinds[INPUT] !== OTHER) return undefined;
    const resultStart = this.starts[RESULT] as number;
    if (text.charCodeAt(resultStart) !== OPEN_BRACE) return undefined;
    if (!this.object(text, resultStart, this.ends[RESULT] as number, true)) return undefined;
    const decisionId =
      this.kinds[DECISION_ID] === ABSENT
        ? this.string(text, RESULT_DECISION_ID)
        : this.string(text, DECISION_ID);
    if (decisionId === undefined) return undefined;
    const allowed = this.is(text, ALLOWED, OTHER, 'true');
    if (!allowed && !this.is(text, ALLOWED, OTHER, 'false')) return undefined;
    const revision = this.revision(text);
    if (revision === undefined) return undefined;
    if (this.kinds[STATEMENT_ID] === OTHER || this.kinds[REASON] === OTHER) return undefined;
    const environment = ENVIRONMENTS.find((e) => this.is(text, ENVIRONMENT, STRING, e));
    if (environment === undefined) return undefined;
    const timeText = this.string(text, TIME);
    if (timeText === undefined) return undefined;
    const time = parseIsoTime(timeText);
    if (Number.isNaN(time)) return undefined;
    const policySet = this.string(text, POLICY_SET);
    if (policySet === undefined) return undefined;
    if (this.kinds[CORRELATION_ID] === OTHER) return undefined;
    const inputStart = this.starts[INPUT] as number;
    const inputEnd = this.ends[INPUT] as number;
    if (text.charCodeAt(inputStart) !== OPEN_BRACE) return undefined;

    // `{...,"correlationId":"<id>"}`: the text before the tail is the ask. The scanned line has no
    // escapes, so the id runs to the closing quote; the input text closes at depth 0 and the ask
    // text never does, so the two kinds of key cannot meet.
    let keyEnd = inputEnd;
    let tailId: string | undefined;
    const tail = text.lastIndexOf(CORRELATION_TAIL, inputEnd);
    if (tail > inputStart && text.charCodeAt(inputEnd - 2) === QUOTE) {
      const idStart = tail + CORRELATION_TAIL.length;
      if (text.indexOf('"', idStart) === inputEnd - 2) {
        const id = text.slice(idStart, inputEnd - 2);
        if (acceptedCorrelationId(id)) {
          keyEnd = tail;
          tailId = id;
        }
      }
    }
    const key = text.slice(inputStart, keyEnd);
    const read = this.inputs.get(key) ?? this.readInput(key, text.slice(inputStart, inputEnd));
    if (read === undefined) return undefined;
    const input = tailId === undefined ? read.input : { ...read.input, correlationId: tailId };
    const correlationId =
      this.kinds[CORRELATION_ID] === STRING
        ? this.string(text, CORRELATION_ID)
        : typeof input.correlationId === 'string'
          ? input.correlationId
          : undefined;
    return {
      kind: 'decision',
      unknownFields: read.unknownFields,
      askKey: read.askKey,
      decision: {
        decisionId,
        correlationId,
        policySet,
        environment,
        time,
        input,
        result: {
          allowed,
          reason: this.string(text, REASON) ?? '',
          statementId: this.string(text, STATEMENT_ID),
          policyRevision: revision,
        },
      },
    };
  }

  /**
   * Files the values of the object spanning `text[from, to)` in their slots. False when the text
   * leaves the shape: whitespace, an unclosed string, a malformed literal, a repeated field, a nested
   * value other than the top level's input and result, an unknown top-level key, anything after the
   * closing brace.
   */
  private object(text: string, from: number, to: number, inResult: boolean): boolean {
    if (text.charCodeAt(from) !== OPEN_BRACE || text.charCodeAt(to - 1) !== CLOSE_BRACE) return false;
    let p = from + 1;
    if (p === to - 1) return true;
    for (;;) {
      if (text.charCodeAt(p) !== QUOTE) return false;
      const keyEnd = text.indexOf('"', p + 1);
      if (keyEnd < 0 || keyEnd >= to || text.charCodeAt(keyEnd + 1) !== COLON) return false;
      let slot = slotOf(text, p + 1, keyEnd - p - 1, inResult ? RESULT_KEYS : TOP_KEYS);
      // The full reader ignores a result's other keys and counts a line's unknown ones.
      if (slot < 0 && !inResult) return false;
      if (slot === PASSED) slot = -1;
      if (slot >= 0 && this.kinds[slot] !== ABSENT) return false;
      p = keyEnd + 2;
      const c = text.charCodeAt(p);
      let end: number;
      if (c === QUOTE) {
        end = text.indexOf('"', p + 1);
        if (end < 0 || end >= to) return false;
        if (slot >= 0) this.fill(slot, STRING, p + 1, end);
        end++;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (slot !== INPUT && slot !== RESULT) return false;
        end = skipNested(text, p);
        if (end < 0 || end > to) return false;
        this.fill(slot, OTHER, p, end);
      } else {
        end = p;
        while (end < to) {
          const e = text.charCodeAt(end);
          if (e === COMMA || e === CLOSE_BRACE) break;
          end++;
        }
        if (!jsonLiteral(text, p, end)) return false;
        if (slot >= 0) this.fill(slot, OTHER, p, end);
      }
      const next = text.charCodeAt(end);
      if (next === COMMA && end < to - 1) p = end + 1;
      else return next === CLOSE_BRACE && end === to - 1;
    }
  }

  private fill(slot: number, kind: number, start: number, end: number): void {
    this.kinds[slot] = kind;
    this.starts[slot] = start;
    this.ends[slot] = end;
  }

  /** Whether the slot holds a value of `kind` whose text is `expected`, compared in place. */
  private is(text: string, slot: number, kind: number, expected: string): boolean {
    const start = this.starts[slot] as number;
    return (
      this.kinds[slot] === kind &&
      (this.ends[slot] as number) - start === expected.length &&
      text.startsWith(expected, start)
    );
  }

  private text(text: string, slot: number): string {
    return text.slice(this.starts[slot], this.ends[slot]);
  }

  private string(text: string, slot: number): string | undefined {
    return this.kinds[slot] === STRING ? this.text(text, slot) : undefined;
  }

  /** null, a positive integer, or undefined when the value is neither. */
  private revision(text: string): number | null | undefined {
    if (this.kinds[POLICY_REVISION] !== OTHER) return undefined;
    const value = this.text(text, POLICY_REVISION);
    if (value === 'null') return null;
    const n = Number(value);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  }

  private readInput(key: string, text: string): ReadInput | undefined {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input) || inputTooDeep(input)) {
      return undefined;
    }
    const read: ReadInput = {
      input: input as Record<string, unknown>,
      unknownFields: unknownInputFields(input) ?? NO_UNKNOWN_FIELDS,
      askKey: askKey(input),
    };
    // Bounded: when full, the oldest half of the texts is forgotten (the ask is parsed again on its
    // next line), so memory stays flat on a file of endless distinct inputs.
    if (this.inputs.size >= MAX_INPUTS) {
      let drop = MAX_INPUTS / 2;
      for (const old of this.inputs.keys()) {
        this.inputs.delete(old);
        if (--drop === 0) break;
      }
    }
    this.inputs.set(key, read);
    return read;
  }
}
