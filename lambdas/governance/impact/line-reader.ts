import { DECISION_LOG_MESSAGE } from '../decision-log.js';
import { ENVIRONMENTS } from '../engine/index.js';
import { parseIsoTime } from './iso-time.js';
import { compileTemplate, type KeyShape, type LineTemplate } from './line-template.js';
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
  withoutCorrelationId,
} from './record.js';
import { CORRELATION_TAIL, jsonLiteral, scannable, skipNested } from './scan.js';

/** What an input's text reads as, shared by every line carrying the same text. */
interface ReadInput {
  /** Without the correlation id when the text is looked up without it. */
  readonly input: Record<string, unknown>;
  readonly unknownFields: readonly string[];
  readonly askKey: string;
}

const MAX_INPUTS = 50_000;
/** A log has one shape of line per kind of decision (with or without a statement, say); a few more is plenty. */
const MAX_TEMPLATES = 8;
/** What follows the ask in an input ending with `CORRELATION_TAIL`, besides the id: the tail, the closing quote and brace. */
const TAIL_LENGTH = CORRELATION_TAIL.length + 2;
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

/** A key of a scanned line: its slot (-1 for a key read past) and its value's kind, STRING or OTHER. */
interface ScannedKey {
  readonly name: string;
  readonly slot: number;
  kind: number;
}

/** A template and the kind of the value it captures in each slot. */
interface Template extends LineTemplate {
  readonly kinds: Uint8Array;
}

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

/** What a template matches for a scanned key: the values the scanner found there, of their kind. */
function keyShape(key: ScannedKey, result: readonly ScannedKey[]): KeyShape {
  const { name, slot } = key;
  if (slot === INPUT) return { name, slot, value: { kind: 'input' } };
  if (slot === RESULT)
    return { name, slot: -1, value: { kind: 'object', keys: result.map((k) => keyShape(k, [])) } };
  if (key.kind === STRING) {
    if (slot === MESSAGE) return { name, slot, value: { kind: 'string', only: [DECISION_LOG_MESSAGE] } };
    if (slot === ENVIRONMENT) return { name, slot, value: { kind: 'string', only: ENVIRONMENTS } };
    // A decision no statement made has none: one template serves both.
    return { name, slot, value: { kind: 'string' }, optional: slot === STATEMENT_ID };
  }
  if (slot === ALLOWED) return { name, slot, value: { kind: 'literal', only: 'true|false' } };
  if (slot === POLICY_REVISION) return { name, slot, value: { kind: 'literal', only: 'null|[1-9][0-9]*' } };
  return { name, slot, value: { kind: 'literal' } };
}

/**
 * Reads decision log lines exactly as `readDecisionLine` does, faster on the lines the decision
 * function writes. Those are matched against a template of their shape (see line-template.ts), or
 * scanned (see scan.ts) when no template fits, and the scanned line's shape becomes a template for
 * the lines after it. Either way nothing is parsed but the input, and the text of each distinct
 * input is parsed once, not once per line. An input whose last field is an accepted correlation id
 * is looked up without it, so a caller's repeated question is parsed once however many correlation
 * ids it came with. Any line neither takes, or that fails a check, goes to `readDecisionLine`, so a
 * bad line is reported in the same words either way.
 */
export class DecisionLineReader {
  private readonly inputs = new Map<string, ReadInput>();
  /** Most recently matched first. */
  private readonly templates: Template[] = [];
  /** Per slot: ABSENT, STRING (start and end of its contents) or OTHER (of its text). */
  private readonly kinds = new Uint8Array(SLOTS);
  private readonly starts = new Int32Array(SLOTS);
  private readonly ends = new Int32Array(SLOTS);
  /** The keys of the line being scanned, in order, at the top level and in its result. */
  private readonly shape: { top: ScannedKey[]; result: ScannedKey[] } = { top: [], result: [] };
  /** The slots' values of the line being read, as `kinds` says. */
  private readonly values: (string | undefined)[] = new Array(SLOTS).fill(undefined);

  read(text: string): ReadLine {
    const templated = this.match(text);
    if (templated !== undefined) return templated;
    const scanned = this.scan(text);
    if (scanned === undefined) return readDecisionLine(text);
    this.learn();
    return scanned;
  }

  /** The line as a decision through the scanner, or undefined when only the full reader can say what it is. */
  scan(text: string): ReadLine | undefined {
    if (!scannable(text)) return undefined;
    this.kinds.fill(ABSENT);
    this.shape.top.length = 0;
    this.shape.result.length = 0;
    if (!this.object(text, 0, text.length, false)) return undefined;
    if (this.kinds[RESULT] !== OTHER || this.kinds[INPUT] !== OTHER) return undefined;
    const resultStart = this.starts[RESULT] as number;
    if (text.charCodeAt(resultStart) !== OPEN_BRACE) return undefined;
    if (!this.object(text, resultStart, this.ends[RESULT] as number, true)) return undefined;
    for (let slot = 0; slot < SLOTS; slot++) {
      this.values[slot] =
        this.kinds[slot] === ABSENT ? undefined : text.slice(this.starts[slot], this.ends[slot]);
    }
    const inputStart = this.starts[INPUT] as number;
    const inputEnd = this.ends[INPUT] as number;
    // `{...,"correlationId":"<id>"}`: the text before the tail is the ask. The scanned line has no
    // escapes, so the id runs to the closing quote; the input text closes at depth 0 and the ask
    // text never does, so the two kinds of key cannot meet.
    const tail = text.lastIndexOf(CORRELATION_TAIL, inputEnd - TAIL_LENGTH);
    const idStart = tail + CORRELATION_TAIL.length;
    const tailId =
      tail > inputStart &&
      text.charCodeAt(inputEnd - 2) === QUOTE &&
      text.indexOf('"', idStart) === inputEnd - 2
        ? text.slice(idStart, inputEnd - 2)
        : undefined;
    return this.decision(tailId);
  }

  /** The line as a decision through the first template it matches, if any. */
  private match(text: string): ReadLine | undefined {
    const templates = this.templates;
    for (let i = 0; i < templates.length; i++) {
      const template = templates[i] as Template;
      const match = template.pattern.exec(text);
      if (match === null) continue;
      if (i > 0) {
        templates.splice(i, 1);
        templates.unshift(template);
      }
      this.kinds.set(template.kinds);
      const groups = template.groups;
      for (let slot = 0; slot < SLOTS; slot++) {
        const group = groups[slot] as number;
        this.values[slot] = group === 0 ? undefined : match[group];
      }
      return this.decision(match[template.tailGroup]);
    }
    return undefined;
  }

  /**
   * The decision in the slots' values (`tailId`: the correlation id the input text ends with, if
   * it does), or undefined when a value fails a check the full reader makes.
   */
  private decision(tailId: string | undefined): ReadLine | undefined {
    const values = this.values;
    if (this.string(MESSAGE) !== DECISION_LOG_MESSAGE) return undefined;
    const decisionId =
      this.kinds[DECISION_ID] === ABSENT ? this.string(RESULT_DECISION_ID) : this.string(DECISION_ID);
    if (decisionId === undefined) return undefined;
    const allowedText = this.kinds[ALLOWED] === OTHER ? values[ALLOWED] : undefined;
    if (allowedText !== 'true' && allowedText !== 'false') return undefined;
    const revision = this.revision();
    if (revision === undefined) return undefined;
    if (this.kinds[STATEMENT_ID] === OTHER || this.kinds[REASON] === OTHER) return undefined;
    const environmentText = this.string(ENVIRONMENT);
    const environment = ENVIRONMENTS.find((e) => e === environmentText);
    if (environment === undefined) return undefined;
    const timeText = this.string(TIME);
    if (timeText === undefined) return undefined;
    const time = parseIsoTime(timeText);
    if (Number.isNaN(time)) return undefined;
    const policySet = this.string(POLICY_SET);
    if (policySet === undefined) return undefined;
    if (this.kinds[CORRELATION_ID] === OTHER) return undefined;
    const inputText = values[INPUT] as string;
    if (inputText.charCodeAt(0) !== OPEN_BRACE) return undefined;
    const id = tailId !== undefined && acceptedCorrelationId(tailId) ? tailId : undefined;
    const key = id === undefined ? inputText : inputText.slice(0, inputText.length - TAIL_LENGTH - id.length);
    const read = this.inputs.get(key) ?? this.readInput(key, inputText, id);
    if (read === undefined) return undefined;
    // As the full reader gives it: the input without the correlation id it ends with, when that is
    // the record's (which is the ask `read` holds, shared by every line asking it).
    const recordedId = this.kinds[CORRELATION_ID] === STRING ? this.string(CORRELATION_ID) : id;
    const asked = read.input;
    const correlationId =
      recordedId ?? (typeof asked.correlationId === 'string' ? asked.correlationId : undefined);
    const input =
      id === undefined
        ? withoutCorrelationId(asked, correlationId)
        : id === recordedId
          ? asked
          : { ...asked, correlationId: id };
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
          allowed: allowedText === 'true',
          reason: this.string(REASON) ?? '',
          statementId: this.string(STATEMENT_ID),
          policyRevision: revision,
        },
      },
    };
  }

  /** Keeps the shape of the line just scanned as a template, unless one like it is kept already. */
  private learn(): void {
    const template = compileTemplate(
      this.shape.top.map((key) => keyShape(key, this.shape.result)),
      SLOTS,
    );
    if (template === undefined) return;
    if (this.templates.some((t) => t.pattern.source === template.pattern.source)) return;
    const kinds = new Uint8Array(SLOTS);
    for (const key of [...this.shape.top, ...this.shape.result])
      if (key.slot >= 0) kinds[key.slot] = key.kind;
    kinds[RESULT] = ABSENT;
    this.templates.unshift({ ...template, kinds });
    if (this.templates.length > MAX_TEMPLATES) this.templates.pop();
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
      const key: ScannedKey = { name: text.slice(p + 1, keyEnd), slot, kind: STRING };
      (inResult ? this.shape.result : this.shape.top).push(key);
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
        key.kind = OTHER;
      } else {
        end = p;
        while (end < to) {
          const e = text.charCodeAt(end);
          if (e === COMMA || e === CLOSE_BRACE) break;
          end++;
        }
        if (!jsonLiteral(text, p, end)) return false;
        if (slot >= 0) this.fill(slot, OTHER, p, end);
        key.kind = OTHER;
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

  private string(slot: number): string | undefined {
    return this.kinds[slot] === STRING ? this.values[slot] : undefined;
  }

  /** null, a positive integer, or undefined when the value is neither. */
  private revision(): number | null | undefined {
    if (this.kinds[POLICY_REVISION] !== OTHER) return undefined;
    const value = this.values[POLICY_REVISION];
    if (value === 'null') return null;
    const n = Number(value);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  }

  /** The input in `text`; `tailId`: the accepted correlation id it ends with, left out as the key leaves it out. */
  private readInput(key: string, text: string, tailId: string | undefined): ReadInput | undefined {
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input) || inputTooDeep(input)) {
      return undefined;
    }
    const asked = input as Record<string, unknown>;
    const read: ReadInput = {
      input: tailId === undefined ? asked : withoutCorrelationId(asked, tailId),
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
