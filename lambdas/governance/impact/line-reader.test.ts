import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ENVIRONMENTS } from '../engine/index.js';
import { parseIsoTime } from './iso-time.js';
import { DecisionLineReader } from './line-reader.js';
import { askKey, type ReadLine, readDecisionLine } from './record.js';

/** Text that sometimes needs escaping: quotes, backslashes, control characters, astral and lone surrogates. */
const text = fc.oneof(
  fc.constantFrom(
    'orbit',
    'reason:deep',
    'corr-00000001',
    'acme',
    '',
    'a b',
    '"',
    '\\',
    '\n',
    '\t',
    'é',
    '😀',
  ),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.string({ maxLength: 12 }),
);
const jsonValue = fc.oneof(
  text,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constant({ nested: { deeper: ['x', 1] } }),
  fc.constant([1, 'two']),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 });
/** Mostly `usual`, sometimes anything: most generated lines are decisions, some fail one check. */
const mostly = <T>(usual: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: usual, weight: 12 }, { arbitrary: jsonValue, weight: 1 });
const plain = fc.oneof(
  { arbitrary: fc.constantFrom('s1', 'allowed by statement s1', 'é😀'), weight: 6 },
  { arbitrary: text, weight: 1 },
);

const input = fc.record(
  {
    service: mostly(fc.constantFrom('orbit', 'svc1', 'Bad Name')),
    intent: mostly(fc.constantFrom('reason:deep', 'read:obj1')),
    caller: mostly(
      fc.record({ clientId: fc.constantFrom('client-a', 'b'), tenant: maybe(fc.constantFrom('acme')) }),
    ),
    context: mostly(
      fc.dictionary(fc.constantFrom('tenant', 'resource', 'correlationId', '1'), mostly(plain)),
    ),
    extra: plain,
    correlationId: mostly(fc.constantFrom('corr-1', 'corr-1', 'corr-2', 'x'.repeat(129), 'a b')),
  },
  { requiredKeys: ['service', 'intent'] },
);

const isoTime = fc.oneof(
  fc.integer({ min: -62_000_000_000_000, max: 253_402_300_799_999 }).map((t) => new Date(t).toISOString()),
  fc.constantFrom(
    '2026-01-05T10:00:00Z',
    '2026-02-30T10:00:00.000Z',
    '2026-01-05T24:00:00.000Z',
    'yesterday',
  ),
);

const record = fc.record(
  {
    level: fc.constantFrom('INFO'),
    message: mostly(fc.constant('decision')),
    timestamp: isoTime,
    service: fc.constantFrom('axon-orbit-prod-governance-decide'),
    cold_start: fc.boolean(),
    sampling_rate: fc.constantFrom(0, 0.5),
    decisionId: mostly(fc.constantFrom('d1', 'd2')),
    correlationId: mostly(fc.constantFrom('corr-1')),
    caller: fc.constantFrom('client-a'),
    input: mostly(input),
    time: mostly(isoTime),
    environment: mostly(fc.constantFrom(...ENVIRONMENTS)),
    policySet: mostly(fc.constantFrom('default')),
    result: mostly(
      fc.record(
        {
          allowed: mostly(fc.boolean()),
          reason: mostly(plain),
          statementId: mostly(plain),
          policyRevision: mostly(fc.constantFrom(null, 1, 2, 2, 2, 1.5, 0, -1)),
          decisionId: mostly(fc.constantFrom('d1', 'd3')),
          other: jsonValue,
        },
        { requiredKeys: ['allowed', 'policyRevision'] },
      ),
    ),
    unknown: fc.oneof({ arbitrary: fc.constant(undefined), weight: 6 }, { arbitrary: jsonValue, weight: 1 }),
  },
  { requiredKeys: ['message', 'input', 'time', 'environment', 'policySet', 'result', 'decisionId'] },
);

/** A record the full reader takes as a decision. */
const decisionRecord = record.filter((value) => readDecisionLine(JSON.stringify(value)).kind === 'decision');

/** Serialises with the keys in a chosen order, then maybe damages the text. */
const line = fc
  .tuple(
    record,
    fc.array(fc.integer(), { maxLength: 30 }),
    fc.oneof(
      { arbitrary: fc.constant(undefined), weight: 4 },
      {
        arbitrary: fc.tuple(
          fc.nat(),
          fc.constantFrom('insert', 'delete', 'truncate'),
          fc.constantFrom(' ', '"', '{', '}', ',', '\\', 'x', '1'),
        ),
        weight: 1,
      },
    ),
    fc.constantFrom('', '', '', '', '2026-01-05T10:00:00.000Z 1a2b INFO '),
  )
  .map(([value, weights, damage, prefix]) => {
    const keys = Object.keys(value);
    const order = keys.map((k, i) => [k, weights[i] ?? i] as const).sort((a, b) => a[1] - b[1]);
    const entries = order
      .map(([k]) => [k, value[k as keyof typeof value]])
      .filter(([, v]) => v !== undefined);
    let out = prefix + JSON.stringify(Object.fromEntries(entries));
    if (damage) {
      const [at, kind, char] = damage;
      const i = at % (out.length + 1);
      if (kind === 'insert') out = out.slice(0, i) + char + out.slice(i);
      else if (kind === 'delete') out = out.slice(0, i) + out.slice(i + 1);
      else out = out.slice(0, i);
    }
    return out;
  });

/** The same asks again under other correlation ids, as a caller's traffic repeats. */
function withRepeats(lines: readonly string[], ids: readonly string[]): string[] {
  return lines.flatMap((l, i) => [
    l,
    l.replaceAll('"corr-1"', JSON.stringify(ids[i % ids.length] ?? 'corr-2')),
  ]);
}

function withoutAskKey(read: ReadLine): ReadLine {
  if (read.kind !== 'decision') return read;
  const { askKey: _key, ...rest } = read;
  return rest;
}

/** `text` with one edit at `at` (and `from`, for a copy), both taken modulo its length. */
function edited(text: string, [at, kind, char, from]: [number, string, string, number]): string {
  const i = at % (text.length + 1);
  const j = from % (text.length + 1);
  if (kind === 'insert') return text.slice(0, i) + char + text.slice(i);
  if (kind === 'delete') return text.slice(0, i) + text.slice(i + 1);
  if (kind === 'replace') return text.slice(0, i) + char + text.slice(i + 1);
  // A piece of the line elsewhere in it: keys and values where the shape does not have them.
  return text.slice(0, i) + text.slice(Math.min(i, j), Math.max(i, j)) + text.slice(i);
}

describe('DecisionLineReader', () => {
  it('reads every line exactly as JSON.parse and the full checks do, across repeated inputs', () => {
    let scanned = 0;
    let decisions = 0;
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 30 }),
        fc.array(fc.constantFrom('corr-9', 'a b', '', 'x'.repeat(200), 'corr-1'), { minLength: 1 }),
        (lines, ids) => {
          const reader = new DecisionLineReader();
          for (const l of withRepeats(lines, ids)) {
            if (reader.scan(l) !== undefined) scanned++;
            const read = reader.read(l);
            if (read.kind === 'decision') decisions++;
            expect(withoutAskKey(read)).toEqual(readDecisionLine(l));
            if (read.kind === 'decision' && read.askKey !== undefined) {
              expect(read.askKey).toBe(askKey(read.decision.input));
            }
          }
        },
      ),
      { numRuns: 400 },
    );
    // The generated lines reach both readers: many decisions, a good share of them scanned.
    expect(decisions).toBeGreaterThan(500);
    expect(scanned).toBeGreaterThan(decisions / 5);
  });

  it('reads lines of a shape it has learnt as the full reader does, however they are damaged', () => {
    const damage = fc.tuple(
      fc.nat(),
      fc.constantFrom('insert', 'delete', 'replace', 'copy'),
      fc.constantFrom(' ', '"', '{', '}', ',', ':', '\\', '\u0001', 'x', '1', '-', '.', 'e', 'é'),
      fc.nat(),
    );
    fc.assert(
      fc.property(decisionRecord, fc.array(damage, { minLength: 1, maxLength: 12 }), (value, damages) => {
        const written = JSON.stringify(value);
        const reader = new DecisionLineReader();
        reader.read(written);
        let damaged = written;
        for (const edit of damages) {
          damaged = edited(damaged, edit);
          for (const l of [damaged, written])
            expect(withoutAskKey(reader.read(l))).toEqual(readDecisionLine(l));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('finds the end of an input that holds a copy of what follows it', () => {
    const result = { allowed: true, reason: 'allowed by statement s1', statementId: 's1', policyRevision: 3 };
    const tail = { time: '2026-01-05T10:00:00.000Z', environment: 'prod', policySet: 'default' };
    const lineOf = (input: object, decisionId: string) =>
      JSON.stringify({
        level: 'INFO',
        message: 'decision',
        correlationId: 'corr-1',
        input,
        ...tail,
        result: { ...result, decisionId },
      });
    const asked = { service: 'orbit', intent: 'reason:deep', correlationId: 'corr-1' };
    const reader = new DecisionLineReader();
    reader.read(lineOf(asked, 'd1'));
    const lookalikes = [
      {
        service: 'orbit',
        context: { tenant: 'acme' },
        ...tail,
        intent: 'reason:deep',
        correlationId: 'corr-1',
      },
      {
        service: 'orbit',
        intent: 'reason:deep',
        context: { tenant: 'acme' },
        ...tail,
        result: { ...result, decisionId: 'd2' },
        correlationId: 'corr-1',
      },
      { ...asked, context: { a: { ...tail, result: { ...result, decisionId: 'd2' } } } },
    ];
    for (const input of lookalikes) {
      const written = lineOf(input, 'd2');
      const read = reader.read(written);
      expect(withoutAskKey(read)).toEqual(readDecisionLine(written));
      expect(read.kind === 'decision' && read.unknownFields).toEqual(
        Object.keys(input)
          .filter((k) => !['service', 'intent', 'context', 'correlationId'].includes(k))
          .map((k) => `input.${k}`),
      );
    }
  });

  it('takes the lines the decision function writes without the full parse', () => {
    const written = JSON.stringify({
      level: 'INFO',
      message: 'decision',
      timestamp: '2026-01-05T10:00:00.000Z',
      service: 'axon-orbit-prod-governance-decide',
      correlationId: 'corr-00000001',
      decisionId: 'd1',
      caller: 'client-a',
      input: {
        service: 'orbit',
        intent: 'reason:deep',
        context: { tenant: 'acme' },
        correlationId: 'corr-00000001',
      },
      time: '2026-01-05T10:00:00.000Z',
      environment: 'prod',
      policySet: 'default',
      result: {
        allowed: true,
        reason: 'allowed by statement s1',
        statementId: 's1',
        policyRevision: 3,
        decisionId: 'd1',
      },
    });
    const reader = new DecisionLineReader();
    const first = reader.scan(written);
    const again = reader.scan(written.replaceAll('corr-00000001', 'corr-00000002'));
    expect(first && withoutAskKey(first)).toEqual(readDecisionLine(written));
    expect(again?.kind === 'decision' && again.decision.correlationId).toBe('corr-00000002');
    expect(again?.kind === 'decision' && again.askKey).toBe(first?.kind === 'decision' && first.askKey);
    expect(reader.scan(written.replace('"prod"', '"pr\\u006fd"'))).toBeUndefined();
  });
});

describe('parseIsoTime', () => {
  it('gives what Date.parse gives, for toISOString output and for near misses', () => {
    const near = fc
      .tuple(
        fc.integer({ min: -62_000_000_000_000, max: 253_402_300_799_999 }),
        fc.nat(23),
        fc.constantFrom('0', '9', '3', 'x', '-', ':', 'Z', ' '),
      )
      .map(([t, at, c]) => {
        const iso = new Date(t).toISOString();
        return iso.slice(0, at) + c + iso.slice(at + 1);
      });
    fc.assert(
      fc.property(fc.oneof(near, fc.string({ maxLength: 26 })), (s) => {
        expect(Object.is(parseIsoTime(s), Date.parse(s))).toBe(true);
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), (t) => {
        const iso = new Date(t).toISOString();
        expect(parseIsoTime(iso)).toBe(t);
      }),
      { numRuns: 5000 },
    );
  });
});
