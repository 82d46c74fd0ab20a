import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { engineRequestOf } from '../lambdas/governance/decision-event.js';
import {
  compilePolicy,
  type DecisionRequest,
  type PolicyDocument,
  parsePolicy,
  type Statement,
} from '../lambdas/governance/engine/index.js';
import {
  type ImpactOptions,
  ImpactReplay,
  jsonlSource,
  replayLines,
} from '../lambdas/governance/impact/index.js';
import { DecisionLineReader } from '../lambdas/governance/impact/line-reader.js';
import { isEntryScript } from './entry.js';
import { type Figure, printTable } from './report.js';

const STATEMENTS = 1000;
/** Questions in the recorded traffic (service, caller, intent, context), as callers repeat themselves. */
const DISTINCT_ASKS = 5000;
const RECORDS = 200_000;
const BUDGET_MS = 2000;
const T0 = Date.UTC(2026, 0, 5);
const DAY_MS = 86_400_000;

/** Deterministic PRNG (mulberry32), so every run replays the same traffic. */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 1,000-statement policy over 100 services and 3 verbs × 40 objects (a fifth denies, some globs,
 * some environment, tenant or time-window conditions), and a candidate that changes ten of them
 * and adds a night-time deny: the kind of edit a policy pull request makes.
 */
export function policies(random: () => number): { baseline: PolicyDocument; candidate: PolicyDocument } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const statement = (i: number): Statement => {
    const roll = random();
    const conditions =
      roll < 0.1
        ? { environments: [pick(['dev', 'staging', 'prod'] as const)] }
        : roll < 0.2
          ? { context: [{ attribute: 'tenant', in: ['acme', 'globex'] }] }
          : roll < 0.23
            ? {
                timeWindow: {
                  start: '06:00',
                  end: '22:00',
                  days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const,
                },
              }
            : undefined;
    return {
      id: `s${i}`,
      effect: random() < 0.2 ? 'deny' : 'allow',
      principals: [`svc${Math.floor(random() * 100)}`],
      actions: [
        random() < 0.2
          ? `${pick(['read', 'write', 'reason'])}:*`
          : `${pick(['read', 'write', 'reason'])}:obj${Math.floor(random() * 40)}`,
      ],
      ...(conditions ? { conditions } : {}),
    } as Statement;
  };
  const statements = Array.from({ length: STATEMENTS }, (_, i) => statement(i));
  const changed = statements.map((s, i) => (i % 100 === 7 ? { ...statement(i), id: s.id } : s));
  changed.push({
    id: 'no-night-writes',
    effect: 'deny',
    principals: ['*'],
    actions: ['write:*'],
    conditions: { timeWindow: { start: '23:00', end: '05:00' } },
  });
  return {
    baseline: parsePolicy({ version: 1, statements }),
    candidate: parsePolicy({ version: 1, statements: changed }),
  };
}

/**
 * Decision log lines as the function writes them, decided by the baseline (so all reproduce). The
 * asks are drawn from `DISTINCT_ASKS` combinations of service, verified caller (and its tenant),
 * intent and context, at any time of a day. With `distinct`, every record also carries its own
 * context attribute, so no two ask the same.
 */
export function records(
  baseline: PolicyDocument,
  count: number,
  random: () => number,
  distinct = false,
): { lines: string[]; requests: DecisionRequest[]; asks: number } {
  const policy = compilePolicy(baseline, 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const pool = Array.from({ length: DISTINCT_ASKS }, () => {
    const client = Math.floor(random() * 500);
    return {
      service: `svc${Math.floor(random() * 100)}`,
      caller: { clientId: `client-${client}`, tenant: pick(['acme', 'globex', 'initech']) },
      intent: `${pick(['read', 'write', 'reason'])}:obj${Math.floor(random() * 40)}`,
      context: { tenant: pick(['acme', 'globex', 'initech']), region: pick(['eu', 'us', 'ap']) },
    };
  });
  const asked = new Set<string>();
  const lines: string[] = [];
  const requests: DecisionRequest[] = [];
  for (let i = 0; i < count; i++) {
    const chosen = pick(pool);
    const ask = distinct ? { ...chosen, context: { ...chosen.context, request: i } } : chosen;
    asked.add(JSON.stringify(ask));
    const time = T0 + Math.floor(random() * DAY_MS);
    const correlationId = `corr-${String(i).padStart(8, '0')}`;
    const input = { ...ask, correlationId };
    const read = engineRequestOf(input, 'prod', time);
    if ('problem' in read) throw new Error(read.problem);
    requests.push(read.request);
    const decisionId = `d${i}`;
    lines.push(
      JSON.stringify({
        level: 'INFO',
        message: 'decision',
        timestamp: new Date(time).toISOString(),
        service: 'axon-orbit-prod-governance-decide',
        correlationId,
        decisionId,
        caller: ask.caller.clientId,
        input,
        time: new Date(time).toISOString(),
        environment: 'prod',
        policySet: 'default',
        result: { ...policy.decide(read.request), decisionId },
      }),
    );
  }
  return { lines, requests, asks: asked.size };
}

/** Heap in use after a full collection (the bench's own flag: no `--expose-gc` on the command line). */
function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

/** Records per second through `run`, cycling over the records for about `BUDGET_MS` after a warm-up. */
async function throughput(run: () => Promise<number>): Promise<number> {
  await run();
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < BUDGET_MS) done += await run();
  return done / ((performance.now() - start) / 1000);
}

type Revisions = NonNullable<ImpactOptions['revisions']>;

/** Figures over lines held in memory, beside the engine on the same questions; writes the lines to `file`. */
async function inMemoryFigures(
  { baseline, candidate }: { baseline: PolicyDocument; candidate: PolicyDocument },
  revisions: Revisions,
  random: () => number,
  file: string,
) {
  const recorded = records(baseline, RECORDS, random);
  const unique = records(baseline, RECORDS, random, true);

  // Baseline in the same run: the engine deciding the same questions, one decision each.
  const policy = compilePolicy(baseline, 1);
  const engine = await throughput(async () => {
    for (const r of recorded.requests) policy.decide(r);
    return recorded.requests.length;
  });

  let flips = 0;
  /** `parsed`: every line through JSON.parse and the full checks, as before the scanner. */
  const replayOf =
    (lines: readonly string[], parsed = false) =>
    async () => {
      const replay = new ImpactReplay({ candidate, revisions });
      for (const line of lines) {
        const pending = parsed ? replay.record(JSON.parse(line)) : replay.line(line);
        if (pending) await pending;
      }
      const { totals } = replay.report();
      if (totals.nonReproducing > 0 || totals.replayed !== lines.length) {
        throw new Error(`replay lost records: ${JSON.stringify(totals)}`);
      }
      flips = totals.flips;
      return lines.length;
    };
  const inMemory = await throughput(replayOf(recorded.lines));
  const recordedFlips = flips;
  // Replay's ceiling with this reader: each line read into its decision, and nothing else done.
  const readOnly = await throughput(async () => {
    const reader = new DecisionLineReader();
    for (const line of recorded.lines) {
      if (reader.read(line).kind !== 'decision') throw new Error('the reader refused a bench line');
    }
    return recorded.lines.length;
  });
  const inMemoryParsed = await throughput(replayOf(recorded.lines, true));
  const distinct = await throughput(replayOf(unique.lines));
  writeFileSync(file, `${recorded.lines.join('\n')}\n`);
  return {
    engine,
    inMemory,
    readOnly,
    inMemoryParsed,
    distinct,
    flips: recordedFlips,
    asks: recorded.asks,
    uniqueAsks: unique.asks,
  };
}

export async function runImpactBench(): Promise<Figure[]> {
  const random = prng(16);
  const documents = policies(random);
  const { baseline, candidate } = documents;
  const revisions: Revisions = {
    revision: async (_set: string, n: number) => (n === 1 ? baseline : undefined),
    head: async () => ({ revision: 1, document: baseline }),
  };
  const dir = mkdtempSync(join(tmpdir(), 'impact-bench-'));
  try {
    const file = join(dir, 'decisions.jsonl');
    // The in-memory fixtures (hundreds of MB) are out of scope before the file is replayed, so that
    // the run from the file meets the heap the CLI would, not one this bench filled.
    const memory = await inMemoryFigures(documents, revisions, random, file);
    const fromFile = await throughput(async () => {
      const replayer = new ImpactReplay({ candidate, revisions });
      const report = await replayLines(replayer, jsonlSource(file, replayer));
      if (report.totals.replayed !== RECORDS) throw new Error('replay lost records');
      return report.totals.lines;
    });
    // What one replay of the file holds once done (memo, parsed inputs, examples): a line kept by
    // an example must not keep its chunk of the file.
    const before = heapAfterGc();
    const kept = new ImpactReplay({ candidate, revisions });
    await replayLines(kept, jsonlSource(file, kept));
    const heldMb = (heapAfterGc() - before) / 1e6;
    const engine = memory.engine;
    const asks = `${memory.asks.toLocaleString('en-US')} distinct asks`;
    const figures: Figure[] = [
      { name: `${STATEMENTS} statements: engine decisions/s (one decision each)`, value: engine, unit: '/s' },
      {
        name: `JSONL file to report, recorded decisions/s (${asks} over a day)`,
        value: fromFile,
        unit: '/s',
        baseline: { name: 'engine', value: engine },
      },
      {
        name: `  heap a finished replay of the file holds (${(statSync(file).size / 1e6).toFixed(0)} MB file)`,
        value: heldMb,
        unit: 'MB',
      },
      {
        name: `lines in memory to report, recorded decisions/s (${asks})`,
        value: memory.inMemory,
        unit: '/s',
        baseline: { name: 'engine', value: engine },
      },
      {
        name: '  the same lines, only read into decisions (no replay): the ceiling for replay',
        value: memory.readOnly,
        unit: '/s',
        baseline: { name: 'engine', value: engine },
      },
      {
        name: '  the same lines, each through JSON.parse and the full checks',
        value: memory.inMemoryParsed,
        unit: '/s',
        baseline: { name: 'engine', value: engine },
      },
      {
        name: `lines in memory, every ask distinct (${memory.uniqueAsks.toLocaleString('en-US')}: 2 decisions each)`,
        value: memory.distinct,
        unit: '/s',
        baseline: { name: 'engine', value: engine },
      },
      {
        name: `flips of the candidate in ${RECORDS.toLocaleString('en-US')} records`,
        value: memory.flips,
        unit: '',
      },
    ];
    printTable('governance impact: replaying recorded decisions against a candidate', figures);
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isEntryScript(import.meta.url)) await runImpactBench();
