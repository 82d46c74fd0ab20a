import { decisionRequestSchema } from '../../../contracts/decision.js';
import type { SkipKind } from '../../../contracts/impact.js';
import { exceedsJsonDepth, jsonDepthProblem } from '../../../contracts/json-depth.js';
import { DECISION_EVENT_FIELDS } from '../decision-event.js';
import { DECISION_LOG_MESSAGE } from '../decision-log.js';
import { ENVIRONMENTS, type Environment } from '../engine/index.js';

/** One decision as the decision function logged it, ready to replay. */
export interface RecordedDecision {
  readonly decisionId: string;
  readonly correlationId?: string;
  readonly policySet: string;
  readonly environment: Environment;
  /** Epoch milliseconds: the clock the decision was evaluated at. */
  readonly time: number;
  /**
   * The event as received, replayed through the handler's own event reading; without its
   * correlation id when that is an accepted one and the record's `correlationId` (it never changes
   * a decision, and leaving it out lets every record of one ask share one input).
   */
  readonly input: unknown;
  readonly result: {
    readonly allowed: boolean;
    readonly reason: string;
    readonly statementId?: string;
    readonly policyRevision: number | null;
  };
}

/** The keys the decision line carries besides Powertools' own; anything else is an unknown field. */
export const RECORD_FIELD_NAMES: readonly string[] = [
  'message',
  'decisionId',
  'caller',
  'correlationId',
  'input',
  'time',
  'environment',
  'policySet',
  'result',
];
const RECORD_FIELDS = new Set(RECORD_FIELD_NAMES);
/** Keys Powertools Logger adds to every line (and `function_*` context keys). */
const LOGGER_FIELDS = new Set([
  'level',
  'timestamp',
  'service',
  'sampling_rate',
  'xray_trace_id',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'function_version',
]);

const INPUT_FIELDS = new Set(DECISION_EVENT_FIELDS);
/** One lookup per key on the hot path. */
const KNOWN_FIELDS = new Set([...RECORD_FIELDS, ...LOGGER_FIELDS]);
const ENVIRONMENT_SET: ReadonlySet<string> = new Set(ENVIRONMENTS);

export type ReadLine =
  | {
      readonly kind: 'decision';
      readonly decision: RecordedDecision;
      readonly unknownFields: readonly string[];
      /** `askKey(decision.input)`, when the reader already knows it. */
      readonly askKey?: string;
    }
  | { readonly kind: SkipKind; readonly detail: string };

const MAX_DETAIL = 120;
const CORRELATION_ID = decisionRequestSchema.properties.correlationId;
const CORRELATION_ID_PATTERN = new RegExp(CORRELATION_ID.pattern);

/** Whether the handler's event check accepts `value` as an event's correlation id. */
export function acceptedCorrelationId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length >= CORRELATION_ID.minLength &&
    value.length <= CORRELATION_ID.maxLength &&
    CORRELATION_ID_PATTERN.test(value)
  );
}

/**
 * What a recorded input asks, as a memo key: every field but an accepted correlation id, which
 * never changes a decision (one the event check refuses does: it makes the request invalid).
 */
export function askKey(input: unknown): string {
  if (input === null || typeof input !== 'object') return `j${JSON.stringify(input)}`;
  let key = '';
  for (const name in input) {
    const value = (input as Record<string, unknown>)[name];
    if (name === 'correlationId' && acceptedCorrelationId(value)) continue;
    key += `${name}\u0001${typeof value === 'string' ? `s${value}` : `j${JSON.stringify(value)}`}\u0002`;
  }
  return key;
}

function clip(text: string): string {
  return text.length <= MAX_DETAIL ? text : `${text.slice(0, MAX_DETAIL)}…`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function problem(detail: string): ReadLine {
  return { kind: 'malformed', detail };
}

/** Shared by every line without unknown fields (nearly all), so reading one allocates no list. */
export const NO_UNKNOWN_FIELDS: readonly string[] = Object.freeze([]);

/**
 * `exceedsJsonDepth` for the shape a decision input has (objects two levels deep at most) without
 * allocating; anything nested deeper gets the full check.
 */
export function inputTooDeep(input: unknown): boolean {
  if (!isObject(input)) return exceedsJsonDepth(input);
  for (const key in input) {
    const child = input[key];
    if (child === null || typeof child !== 'object') continue;
    if (Array.isArray(child)) return exceedsJsonDepth(input);
    for (const inner in child) {
      const grandchild = (child as Record<string, unknown>)[inner];
      if (grandchild !== null && typeof grandchild === 'object') return exceedsJsonDepth(input);
    }
  }
  return false;
}

/** Adds the input's keys the handler does not read to `found` (allocating it only if there are any). */
export function unknownInputFields(input: object, found?: string[]): string[] | undefined {
  let unknown = found;
  for (const key in input) {
    if (INPUT_FIELDS.has(key)) continue;
    unknown ??= [];
    unknown.push(`input.${key}`);
  }
  return unknown;
}

/** `input` without its correlation id when that is accepted and `recorded`; see `RecordedDecision.input`. */
export function withoutCorrelationId(
  input: Record<string, unknown>,
  recorded: unknown,
): Record<string, unknown> {
  if (input.correlationId !== recorded || !acceptedCorrelationId(recorded)) return input;
  const { correlationId: _recorded, ...rest } = input;
  return rest;
}

/** The top-level keys of a decision line the reader knows (record and logger keys). */
export const KNOWN_FIELD_NAMES: readonly string[] = [...KNOWN_FIELDS];

/**
 * Reads one log line (the text of a JSONL line, a Logs Insights `@message`, an archived log event).
 * Lambda's text log format prefixes a line with timestamp, request id and level; the JSON starts at
 * the first `{`.
 */
export function readDecisionLine(text: string): ReadLine {
  const start = text.indexOf('{');
  if (start < 0) return { kind: 'malformed', detail: `not JSON: ${clip(text)}` };
  let value: unknown;
  try {
    value = JSON.parse(start === 0 ? text : text.slice(start));
  } catch (error) {
    return { kind: 'malformed', detail: `not JSON (${(error as Error).message}): ${clip(text)}` };
  }
  return readDecisionRecord(value);
}

/** Reads an already parsed log record; see `readDecisionLine`. */
export function readDecisionRecord(value: unknown): ReadLine {
  if (!isObject(value)) return { kind: 'malformed', detail: 'not a JSON object' };
  // The function's other lines (errors, notices), and any other source's lines in an archive.
  if (value.message !== DECISION_LOG_MESSAGE) {
    return { kind: 'not-a-decision', detail: clip(String(value.message ?? value.msg)) };
  }
  const result = value.result;
  if (!isObject(result)) return problem('result is missing');
  const decisionId = value.decisionId ?? result.decisionId;
  if (typeof decisionId !== 'string') return problem('decisionId is missing');
  if (typeof result.allowed !== 'boolean') return problem(`${decisionId}: result.allowed is not a boolean`);
  const revision = result.policyRevision;
  if (revision !== null && !(typeof revision === 'number' && Number.isInteger(revision) && revision > 0)) {
    return problem(`${decisionId}: result.policyRevision is neither null nor a revision number`);
  }
  if (result.statementId !== undefined && typeof result.statementId !== 'string') {
    return problem(`${decisionId}: result.statementId is not a string`);
  }
  const environment = value.environment as Environment;
  if (!ENVIRONMENT_SET.has(environment)) {
    return problem(`${decisionId}: environment must be one of ${ENVIRONMENTS.join(', ')}`);
  }
  const time = typeof value.time === 'string' ? Date.parse(value.time) : Number.NaN;
  if (Number.isNaN(time)) return problem(`${decisionId}: time is not an ISO 8601 instant`);
  if (!('input' in value)) return problem(`${decisionId}: input is missing`);
  // The handler logs a too-deep event as `{ truncated }`, so only an altered line nests this deep.
  if (inputTooDeep(value.input)) return problem(`${decisionId}: ${jsonDepthProblem('input')}`);
  const policySet = value.policySet;
  if (typeof policySet !== 'string') return problem(`${decisionId}: policySet is missing`);
  const correlationId = value.correlationId ?? (value.input as { correlationId?: unknown })?.correlationId;
  const input = isObject(value.input) ? withoutCorrelationId(value.input, correlationId) : value.input;

  let unknownFields: string[] | undefined;
  for (const key in value) {
    if (KNOWN_FIELDS.has(key)) continue;
    unknownFields ??= [];
    unknownFields.push(key);
  }
  if (isObject(value.input)) unknownFields = unknownInputFields(value.input, unknownFields);
  return {
    kind: 'decision',
    unknownFields: unknownFields ?? NO_UNKNOWN_FIELDS,
    decision: {
      decisionId,
      correlationId: typeof correlationId === 'string' ? correlationId : undefined,
      policySet,
      environment,
      time,
      input,
      result: {
        allowed: result.allowed,
        reason: typeof result.reason === 'string' ? result.reason : '',
        statementId: result.statementId as string | undefined,
        policyRevision: revision as number | null,
      },
    },
  };
}
