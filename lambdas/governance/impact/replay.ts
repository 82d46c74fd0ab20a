import type { DecisionRequest } from '../../../contracts/decision.js';
import type {
  BaselineCounts,
  Effect,
  Example,
  FlipGroup,
  ImpactReport,
  ImpactTotals,
  NonReproducing,
  SkipKind,
} from '../../../contracts/impact.js';
import { engineRequestOf } from '../decision-event.js';
import {
  type CompiledPolicy,
  compilePolicy,
  type Decision,
  ENVIRONMENTS,
  type PolicyDocument,
  type TimeWindow,
} from '../engine/index.js';
import { callerLabel } from './caller.js';
import { DecisionLineReader } from './line-reader.js';
import { askKey, type ReadLine, type RecordedDecision, readDecisionRecord } from './record.js';
import { RevisionCache, type RevisionSource } from './revisions.js';

export interface ImpactOptions {
  /** The candidate document, already validated (and its tests passed). */
  readonly candidate: PolicyDocument;
  /** Where recorded revisions come from; without one, each decision's recorded result is the baseline. */
  readonly revisions?: RevisionSource;
  /** Example ids kept per flip group (default 3). */
  readonly examplesPerGroup?: number;
}

/** Outcome of one input under a baseline and the candidate, shared by every record asking the same thing. */
interface Replayed {
  readonly problem?: string;
  readonly old?: Decision;
  readonly next?: Decision;
  /** Whether either decision can change with the time of day (see `CompiledPolicy.evaluate`). */
  readonly timed: boolean;
}

/**
 * Replays of one baseline, by what a record asks: its environment, its input without the
 * correlation id and, when a statement with a time window may apply to it in either policy, the
 * stretch of the week it falls in (see `weekSegments`). Recorded traffic repeats itself, so most
 * records are a lookup instead of two engine decisions. Any input field is part of the key, so a
 * field replay does not know about can cost hits but never correctness.
 */
interface Memo {
  readonly policy: CompiledPolicy | undefined;
  /** Segment of each minute of the week, when time matters to either policy. */
  readonly segments: Int32Array | undefined;
  /** How many segments the week has (1 without time windows). */
  readonly stretches: number;
  /**
   * By ask, then by environment and stretch: the ask is the same string for every line of one
   * input text, so its hash is computed once.
   */
  readonly entries: Map<string, AskReplays>;
  size: number;
}

/**
 * One ask's replays. An ask no time window can reach (most) has one per environment, in a small
 * array rather than a second map to hash into; any other one per environment and stretch of the
 * week, in a map by `environment index * stretches + segment`.
 */
interface AskReplays {
  readonly byEnvironment: (Replayed | undefined)[] | undefined;
  readonly byStretch: Map<number, Replayed> | undefined;
  filled: number;
}

const MAX_MEMO_ENTRIES = 100_000;
const ENVIRONMENT_INDEX = new Map<string, number>(ENVIRONMENTS.map((e, i) => [e, i]));
const MAX_SKIP_EXAMPLES = 3;
const MAX_NON_REPRODUCING = 20;
const MAX_UNKNOWN_FIELDS = 50;
const MINUTE_MS = 60_000;
const DAY_MINUTES = 24 * 60;
const WEEK_MINUTES = 7 * DAY_MINUTES;

function timeWindows(document: PolicyDocument | undefined): TimeWindow[] {
  const windows: TimeWindow[] = [];
  for (const s of document?.statements ?? [])
    if (s.conditions?.timeWindow) windows.push(s.conditions.timeWindow);
  return windows;
}

function minuteOfDay(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/**
 * Numbers the stretches of the week between any two window edges (every start and end, on every
 * day, and every midnight, where the weekday changes). Time windows are UTC `HH:MM` on weekdays, so
 * within one stretch every window clause has the same value: two records in the same stretch get
 * the same decisions. Indexed by minute since a Thursday midnight (the epoch's weekday), as
 * `weekMinute` gives it.
 */
function weekSegments(windows: readonly TimeWindow[]): Int32Array | undefined {
  if (windows.length === 0) return undefined;
  const edges = new Uint8Array(WEEK_MINUTES);
  for (let day = 0; day < 7; day++) {
    const midnight = day * DAY_MINUTES;
    edges[midnight] = 1;
    for (const w of windows) {
      edges[midnight + minuteOfDay(w.start)] = 1;
      edges[midnight + minuteOfDay(w.end)] = 1;
    }
  }
  const segments = new Int32Array(WEEK_MINUTES);
  let segment = 0;
  for (let minute = 0; minute < WEEK_MINUTES; minute++) {
    if (edges[minute] === 1) segment++;
    segments[minute] = segment;
  }
  return segments;
}

/** Frees the older half of a full memo: the asks first met longest ago, with all their stretches. */
function forgetOldest(memo: Memo): void {
  for (const [ask, replays] of memo.entries) {
    if (memo.size <= MAX_MEMO_ENTRIES / 2) return;
    memo.entries.delete(ask);
    memo.size -= replays.filled;
  }
}

/** Minute since a Thursday midnight, for times before 1970 too. */
function weekMinute(time: number): number {
  return ((Math.floor(time / MINUTE_MS) % WEEK_MINUTES) + WEEK_MINUTES) % WEEK_MINUTES;
}

/** The key of an environment and a time in an ask's `byStretch`. */
function stretchOf(memo: Memo, environment: number, time: number): number {
  return environment * memo.stretches + (memo.segments ? (memo.segments[weekMinute(time)] as number) : 0);
}

function effect(allowed: boolean): Effect {
  return allowed ? 'allow' : 'deny';
}

/**
 * Replays recorded decisions against their baseline and a candidate and accumulates the impact
 * report. Memory stays bounded however many records pass: counters, a few examples per group, and
 * capped caches.
 */
export class ImpactReplay {
  private readonly candidate: CompiledPolicy;
  private readonly candidateWindows: TimeWindow[];
  private readonly revisions: RevisionCache | undefined;
  private readonly examplesPerGroup: number;
  private readonly reader = new DecisionLineReader();
  private readonly memos = new Map<CompiledPolicy | undefined, Memo>();
  private readonly groups = new Map<
    string,
    { group: Omit<FlipGroup, 'count' | 'examples'>; count: number; examples: Example[] }
  >();
  private readonly nonReproducing: NonReproducing[] = [];
  private readonly skipped = new Map<SkipKind, { count: number; examples: string[] }>();
  private readonly unknownFields = new Map<string, number>();
  private totals = {
    lines: 0,
    replayed: 0,
    unchanged: 0,
    flips: 0,
    allowToDeny: 0,
    denyToAllow: 0,
    statementChanged: 0,
    nonReproducing: 0,
  } satisfies ImpactTotals;
  private baseline = {
    ownRevision: 0,
    headForUnknownRevision: 0,
    recordedResult: 0,
  } satisfies BaselineCounts;

  constructor(options: ImpactOptions) {
    this.candidate = compilePolicy(options.candidate, null);
    this.candidateWindows = timeWindows(options.candidate);
    this.revisions = options.revisions ? new RevisionCache(options.revisions) : undefined;
    this.examplesPerGroup = options.examplesPerGroup ?? 3;
  }

  /** Replays one log line; returns a promise only when a revision has to be fetched first. */
  line(text: string): void | Promise<void> {
    this.totals.lines++;
    return this.read(this.reader.read(text));
  }

  /** Replays one already parsed log record (e.g. passed to the admin API). */
  record(value: unknown): void | Promise<void> {
    this.totals.lines++;
    return this.read(readDecisionRecord(value));
  }

  /** Counts a problem a source met outside any line (a truncated object, a failed query slice). */
  skip(kind: SkipKind, detail: string): void {
    let entry = this.skipped.get(kind);
    if (!entry) {
      entry = { count: 0, examples: [] };
      this.skipped.set(kind, entry);
    }
    entry.count++;
    if (entry.examples.length < MAX_SKIP_EXAMPLES) entry.examples.push(detail);
  }

  private read(line: ReadLine): void | Promise<void> {
    if (line.kind !== 'decision') return this.skip(line.kind, line.detail);
    for (const field of line.unknownFields) this.countUnknown(field);
    return this.replay(line.decision, line.askKey ?? askKey(line.decision.input));
  }

  private countUnknown(field: string): void {
    const n = this.unknownFields.get(field);
    if (n !== undefined) this.unknownFields.set(field, n + 1);
    else if (this.unknownFields.size < MAX_UNKNOWN_FIELDS) this.unknownFields.set(field, 1);
  }

  private replay(d: RecordedDecision, ask: string): void | Promise<void> {
    const revision = d.result.policyRevision;
    if (revision === null) {
      const asked = engineRequestOf(d.input, d.environment, d.time);
      return 'problem' in asked
        ? this.skip('invalid-request', `${d.decisionId}: ${asked.problem}`)
        : this.skip('no-revision', `${d.decisionId}: ${d.result.reason}`);
    }
    if (!this.revisions) return this.compare(d, ask, this.memo(undefined, undefined), false);
    const resolved = this.revisions.peek(d.policySet, revision);
    if (resolved) return this.resolved(d, ask, resolved);
    return this.revisions.resolve(d.policySet, revision).then((r) => this.resolved(d, ask, r));
  }

  private resolved(d: RecordedDecision, ask: string, r: Awaited<ReturnType<RevisionCache['resolve']>>): void {
    if ('missing' in r) this.skip(r.missing, `${d.decisionId}: policy set ${d.policySet}`);
    else this.compare(d, ask, this.memo(r.policy, r.document), r.own);
  }

  private memo(policy: CompiledPolicy | undefined, document: PolicyDocument | undefined): Memo {
    let memo = this.memos.get(policy);
    if (!memo) {
      const segments = weekSegments([...this.candidateWindows, ...timeWindows(document)]);
      memo = {
        policy,
        segments,
        stretches: segments ? (segments[WEEK_MINUTES - 1] as number) + 1 : 1,
        entries: new Map(),
        size: 0,
      };
      this.memos.set(policy, memo);
    }
    return memo;
  }

  private compare(d: RecordedDecision, ask: string, memo: Memo, own: boolean): void {
    const replayed = this.replayed(d, ask, memo);
    const recorded = d.result;
    if (replayed.problem !== undefined || replayed.next === undefined) {
      this.flagNonReproducing(d, { problem: replayed.problem ?? 'not evaluated' });
      return;
    }
    let old: { allowed: boolean; statementId?: string };
    if (memo.policy === undefined) {
      this.baseline.recordedResult++;
      old = recorded;
    } else if (!own) {
      this.baseline.headForUnknownRevision++;
      old = replayed.old as Decision;
    } else {
      old = replayed.old as Decision;
      if (old.allowed !== recorded.allowed || old.statementId !== recorded.statementId) {
        this.flagNonReproducing(d, { allowed: old.allowed, statementId: old.statementId ?? null });
        return;
      }
      this.baseline.ownRevision++;
    }
    this.totals.replayed++;
    const next = replayed.next;
    if (old.allowed === next.allowed) {
      if (old.statementId === next.statementId) this.totals.unchanged++;
      else this.totals.statementChanged++;
      return;
    }
    this.totals.flips++;
    if (old.allowed) this.totals.allowToDeny++;
    else this.totals.denyToAllow++;
    this.group(d, old, next);
  }

  /** The record's ask replayed under the memo's baseline and the candidate: remembered, or evaluated now. */
  private replayed(d: RecordedDecision, ask: string, memo: Memo): Replayed {
    const environment = ENVIRONMENT_INDEX.get(d.environment) as number;
    const replays = memo.entries.get(ask);
    if (replays) {
      const known = replays.byStretch
        ? replays.byStretch.get(stretchOf(memo, environment, d.time))
        : replays.byEnvironment?.[environment];
      if (known) return known;
    }
    const replayed = this.evaluate(d, memo.policy);
    let entry = replays;
    if (!entry) {
      if (memo.size >= MAX_MEMO_ENTRIES) forgetOldest(memo);
      const timed = replayed.timed && memo.segments !== undefined;
      entry = {
        byEnvironment: timed ? undefined : new Array(ENVIRONMENTS.length),
        byStretch: timed ? new Map() : undefined,
        filled: 0,
      };
      memo.entries.set(ask, entry);
    }
    if (entry.byStretch) entry.byStretch.set(stretchOf(memo, environment, d.time), replayed);
    else (entry.byEnvironment as Replayed[])[environment] = replayed;
    entry.filled++;
    memo.size++;
    return replayed;
  }

  private evaluate(d: RecordedDecision, baseline: CompiledPolicy | undefined): Replayed {
    const asked = engineRequestOf(d.input, d.environment, d.time);
    if ('problem' in asked) return { problem: `invalid request: ${asked.problem}`, timed: false };
    const next = this.candidate.evaluate(asked.request);
    const old = baseline?.evaluate(asked.request);
    return {
      old: old?.decision,
      next: next.decision,
      timed: next.dependsOnTime || (old?.dependsOnTime ?? false),
    };
  }

  private flagNonReproducing(d: RecordedDecision, replayed: NonReproducing['replayed']): void {
    this.totals.nonReproducing++;
    if (this.nonReproducing.length >= MAX_NON_REPRODUCING) return;
    this.nonReproducing.push({
      ...this.example(d),
      policySet: d.policySet,
      revision: d.result.policyRevision ?? 0,
      recorded: { allowed: d.result.allowed, statementId: d.result.statementId ?? null },
      replayed,
    });
  }

  private example(d: RecordedDecision): Example {
    const example = { decisionId: d.decisionId, time: new Date(d.time).toISOString() };
    return d.correlationId === undefined ? example : { ...example, correlationId: d.correlationId };
  }

  private group(d: RecordedDecision, old: { allowed: boolean; statementId?: string }, next: Decision): void {
    const event = d.input as DecisionRequest;
    const caller = callerLabel(event);
    const intent = event.intent;
    const fromStatement = old.statementId ?? null;
    const toStatement = next.statementId ?? null;
    const key = `${caller}\u0001${intent}\u0001${old.allowed}\u0001${fromStatement}\u0001${toStatement}`;
    let entry = this.groups.get(key);
    if (!entry) {
      entry = {
        group: {
          caller,
          intent,
          from: effect(old.allowed),
          to: effect(next.allowed),
          fromStatement,
          toStatement,
        },
        count: 0,
        examples: [],
      };
      this.groups.set(key, entry);
    }
    entry.count++;
    if (entry.examples.length < this.examplesPerGroup) entry.examples.push(this.example(d));
  }

  report(): ImpactReport {
    const flips = [...this.groups.values()]
      .map((e) => ({ ...e.group, count: e.count, examples: e.examples }))
      .sort(
        (a, b) => b.count - a.count || a.caller.localeCompare(b.caller) || a.intent.localeCompare(b.intent),
      );
    return {
      totals: { ...this.totals },
      baseline: { ...this.baseline },
      flips,
      nonReproducing: [...this.nonReproducing],
      skipped: Object.fromEntries(
        [...this.skipped].map(([kind, e]) => [kind, { count: e.count, examples: [...e.examples] }]),
      ),
      unknownFields: Object.fromEntries(this.unknownFields),
    };
  }
}

/**
 * Replays every line a source yields (in batches, so the hot loop stays synchronous) and returns
 * the report. A source reports its own problems through `replay.skip`.
 */
export async function replayLines(
  replay: ImpactReplay,
  batches: AsyncIterable<readonly string[]>,
): Promise<ImpactReport> {
  for await (const batch of batches) {
    for (const line of batch) {
      const pending = replay.line(line);
      if (pending) await pending;
    }
  }
  return replay.report();
}
