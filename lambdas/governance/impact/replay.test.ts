import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decisionRequest, policyDocument } from '../../../test/support/policy-arbitraries.js';
import { engineRequestOf } from '../decision-event.js';
import { compilePolicy, type DecisionRequest, type PolicyDocument, parsePolicy } from '../engine/index.js';
import { ImpactReplay, replayLines } from './replay.js';
import { lineBatches, MAX_LINE_BYTES } from './sources/lines.js';

/**
 * The decision line the handler would have written for `request` under `baseline` revision 1, and
 * the engine request the handler made of its event (a tenant travels only with a caller).
 */
function recorded(baseline: PolicyDocument, request: DecisionRequest, id: string) {
  const context = { ...request.attributes, ...(request.resource ? { resource: request.resource } : {}) };
  const caller =
    request.caller === undefined ? {} : { caller: { clientId: request.caller, tenant: request.tenant } };
  const input = {
    service: request.principal,
    ...caller,
    intent: request.action,
    context,
    correlationId: `correlation-${id}`,
  };
  const asked = engineRequestOf(input, request.environment, request.time);
  if ('problem' in asked) throw new Error(asked.problem);
  const result = compilePolicy(baseline, 1).decide(asked.request);
  const line = JSON.stringify({
    message: 'decision',
    decisionId: id,
    correlationId: `correlation-${id}`,
    input,
    time: new Date(request.time).toISOString(),
    environment: request.environment,
    policySet: 'default',
    result: { ...result, decisionId: id },
  });
  return { line, request: asked.request };
}

function recordedLine(baseline: PolicyDocument, request: DecisionRequest, id: string): string {
  return recorded(baseline, request, id).line;
}

const sourceOf = (baseline: PolicyDocument) => ({
  revision: async (_set: string, n: number) => (n === 1 ? baseline : undefined),
  head: async () => ({ revision: 1, document: baseline }),
});

async function* batches(lines: readonly string[]): AsyncGenerator<readonly string[]> {
  yield lines;
}

/** A policy that allows Orbit every `reason:*` intent, under the statement `orbit-reasons`. */
const orbitReasons = () =>
  parsePolicy({
    version: 1,
    statements: [{ id: 'orbit-reasons', effect: 'allow', principals: ['orbit'], actions: ['reason:*'] }],
  });

/** The recorded line of Orbit asking `reason:deep` in prod at time 0, decided under `baseline`. */
const deepAsk = (baseline: PolicyDocument, id: string) =>
  recordedLine(baseline, { principal: 'orbit', action: 'reason:deep', environment: 'prod', time: 0 }, id);

describe('impact replay', () => {
  it('counts exactly what deciding each record twice would (memoised by what it asks, to the minute)', async () => {
    await fc.assert(
      fc.asyncProperty(
        policyDocument(8),
        policyDocument(8),
        fc.array(
          fc.tuple(
            decisionRequest,
            fc.integer({ min: 0, max: 59_999 }),
            fc.nat(3),
            fc.integer({ min: 0, max: 7 * 86_400_000 }),
          ),
          { minLength: 1, maxLength: 40 },
        ),
        async (baselineDoc, candidateDoc, asks) => {
          const baseline = parsePolicy(baselineDoc);
          const candidate = parsePolicy(candidateDoc);
          const old = compilePolicy(baseline, 1);
          const next = compilePolicy(candidate, null);
          // Each request is recorded up to four times: within its minute and whole weeks later, or
          // at another time of the week (where only an ask no time window reaches shares a replay).
          const requests = asks.flatMap(([r, ms, repeats, shift]) =>
            Array.from({ length: repeats + 1 }, (_, k) => ({
              ...r,
              time: r.time + ms + k * 7 * 86_400_000 + (k % 2) * shift,
            })),
          );
          const records = requests.map((r, i) => recorded(baseline, r, `d${i}`));
          const expected = { flips: 0, allowToDeny: 0, statementChanged: 0, unchanged: 0 };
          for (const { request: r } of records) {
            const a = old.decide(r);
            const b = next.decide(r);
            if (a.allowed !== b.allowed) {
              expected.flips++;
              if (a.allowed) expected.allowToDeny++;
            } else if (a.statementId !== b.statementId) expected.statementChanged++;
            else expected.unchanged++;
          }
          const replay = new ImpactReplay({ candidate, revisions: sourceOf(baseline) });
          const report = await replayLines(replay, batches(records.map((r) => r.line)));
          expect(report.totals).toMatchObject({ ...expected, replayed: requests.length, nonReproducing: 0 });
          expect(report.flips.reduce((n, g) => n + g.count, 0)).toBe(expected.flips);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('flags a recorded result its own revision does not give, and leaves it out of the flips', async () => {
    const baseline = orbitReasons();
    const line = deepAsk(baseline, 'd1');
    const altered = line.replace('"allowed":true', '"allowed":false');
    const replay = new ImpactReplay({
      candidate: parsePolicy({ version: 1, statements: [] }),
      revisions: sourceOf(baseline),
    });
    const report = await replayLines(replay, batches([line, altered]));
    expect(report.totals).toMatchObject({ replayed: 1, flips: 1, nonReproducing: 1 });
    expect(report.nonReproducing[0]).toMatchObject({
      decisionId: 'd1',
      recorded: { allowed: false, statementId: 'orbit-reasons' },
      replayed: { allowed: true, statementId: 'orbit-reasons' },
    });
  });

  it('does not share a memoised replay with a record whose correlation id the event check refuses', async () => {
    const baseline = orbitReasons();
    const line = deepAsk(baseline, 'd1');
    const refused = line.replaceAll('correlation-d1', 'correlation d1');
    const replay = new ImpactReplay({ candidate: baseline, revisions: sourceOf(baseline) });
    const report = await replayLines(replay, batches([line, refused]));
    expect(report.totals).toMatchObject({ replayed: 1, unchanged: 1, nonReproducing: 1 });
    expect(report.nonReproducing[0]?.replayed).toMatchObject({
      problem: expect.stringContaining('invalid request'),
    });
  });

  it('streams: of 50,000 lines from a lazy source, only a few chunks are ever read ahead of the replay', async () => {
    const baseline = orbitReasons();
    const LINES_PER_CHUNK = 100;
    const CHUNKS = 500;
    const template = deepAsk(baseline, 'ID');
    let produced = 0;
    async function* file(): AsyncGenerator<Buffer> {
      for (let c = 0; c < CHUNKS; c++) {
        let text = '';
        for (let i = 0; i < LINES_PER_CHUNK; i++)
          text += `${template.replaceAll('ID', String(produced++))}\n`;
        yield Buffer.from(text);
      }
    }
    const replay = new ImpactReplay({
      candidate: parsePolicy({ version: 1, statements: [] }),
      revisions: sourceOf(baseline),
    });
    const replayLine = replay.line.bind(replay);
    let consumed = 0;
    let readAhead = 0;
    replay.line = (text: string) => {
      consumed++;
      readAhead = Math.max(readAhead, produced - consumed);
      return replayLine(text);
    };
    // Readable.from buffers up to 16 chunks ahead (object mode), as a file stream buffers 64 KiB.
    const report = await replayLines(
      replay,
      lineBatches(Readable.from(file()), () => {}),
    );
    expect(consumed).toBe(LINES_PER_CHUNK * CHUNKS);
    expect(readAhead).toBeLessThanOrEqual(20 * LINES_PER_CHUNK);
    // Every line is a distinct flip of one group: the report keeps a count and three examples.
    expect(report.flips).toHaveLength(1);
    expect(report.flips[0]?.count).toBe(LINES_PER_CHUNK * CHUNKS);
    expect(report.flips[0]?.examples).toHaveLength(3);
  });
});

describe('lineBatches', () => {
  const collect = async (chunks: (string | Buffer)[]) => {
    const overlong: number[] = [];
    const lines: string[] = [];
    for await (const batch of lineBatches(Readable.from(chunks), (n) => overlong.push(n)))
      lines.push(...batch);
    return { lines, overlong };
  };

  it('joins lines split across chunks (and multi-byte characters split across them), skips blank lines', async () => {
    const euro = Buffer.from('€');
    const { lines } = await collect([
      Buffer.from('{"a":1}\n{"b":"'),
      euro.subarray(0, 1),
      Buffer.concat([euro.subarray(1), Buffer.from('"}\n\n  \n{"c":3}')]),
    ]);
    expect(lines).toEqual(['{"a":1}', '{"b":"€"}', '{"c":3}']);
  });

  it('drops a line longer than the limit up to its newline and reports its length, whatever the chunking', async () => {
    const big = 'x'.repeat(MAX_LINE_BYTES + 10);
    const { lines, overlong } = await collect([
      '{"a":1}\n',
      big.slice(0, 700_000),
      big.slice(700_000),
      '\n{"b":2}\n',
    ]);
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
    expect(overlong).toEqual([MAX_LINE_BYTES + 10]);
  });

  it('measures a line in bytes: multi-byte characters count for each of theirs', async () => {
    const euros = '€'.repeat(Math.floor(MAX_LINE_BYTES / 3) + 1);
    const fits = '€'.repeat(Math.floor(MAX_LINE_BYTES / 3));
    const { lines, overlong } = await collect([`${euros}\n${fits}\n`]);
    expect(lines).toEqual([fits]);
    expect(overlong).toEqual([Buffer.byteLength(euros)]);
  });
});
