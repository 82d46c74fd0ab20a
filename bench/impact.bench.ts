import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compilePolicy,
  type DecisionRequest,
  type PolicyDocument,
  parsePolicy,
  type Statement,
} from '../lambdas/governance/engine/index.js';
import { ImpactReplay, jsonlSource, replayLines } from '../lambdas/governance/impact/index.js';
import { type Figure, printTable } from './report.js';

const STATEMENTS = 1000;
/** Distinct questions in the recorded traffic: service × intent × tenant, as callers repeat themselves. */
const DISTINCT_ASKS = 2000;
const RECORDS = 200_000;
const FILE_LINES = 200_000;
const BUDGET_MS = 2000;
const T0 = Date.UTC(2026, 0, 5);
const DAY_MS = 86_400_000;

/** Deterministic PRNG (mulberry32), so every run replays the same traffic. */
function prng(seed: number): () => number {
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
function policies(random: () => number): { baseline: PolicyDocument; candidate: PolicyDocument } {
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
 * Decision log records as the function writes them, decided by the baseline (so all reproduce).
 * With `distinct`, every record also carries its own context attribute, so no two ask the same.
 */
function records(baseline: PolicyDocument, count: number, random: () => number, distinct = false): object[] {
  const policy = compilePolicy(baseline, 1);
  const asks = Array.from({ length: DISTINCT_ASKS }, () => ({
    service: `svc${Math.floor(random() * 100)}`,
    intent: `${['read', 'write', 'reason'][Math.floor(random() * 3)]}:obj${Math.floor(random() * 40)}`,
    context: { tenant: ['acme', 'globex', 'initech'][Math.floor(random() * 3)] },
  }));
  return Array.from({ length: count }, (_, i) => {
    const chosen = asks[Math.floor(random() * asks.length)] as (typeof asks)[number];
    const ask = distinct ? { ...chosen, context: { ...chosen.context, request: i } } : chosen;
    const time = T0 + Math.floor(random() * DAY_MS);
    const environment = 'prod' as const;
    const request: DecisionRequest = {
      principal: ask.service,
      action: ask.intent,
      environment,
      time,
      attributes: ask.context,
    };
    const id = `d${i}`;
    return {
      level: 'INFO',
      message: 'decision',
      timestamp: new Date(time).toISOString(),
      service: 'axon-orbit-prod-governance-decide',
      correlationId: `corr-${String(i).padStart(8, '0')}`,
      decisionId: id,
      input: { ...ask, correlationId: `corr-${String(i).padStart(8, '0')}` },
      time: new Date(time).toISOString(),
      environment,
      policySet: 'default',
      result: { ...policy.decide(request), decisionId: id },
    };
  });
}

/** Records per second through `run`, cycling over the records for about `BUDGET_MS` after a warm-up. */
async function throughput(run: () => Promise<number>): Promise<number> {
  await run();
  let done = 0;
  const start = performance.now();
  while (performance.now() - start < BUDGET_MS) done += await run();
  return done / ((performance.now() - start) / 1000);
}

export async function runImpactBench(): Promise<Figure[]> {
  const random = prng(16);
  const { baseline, candidate } = policies(random);
  const revisions = {
    revision: async (_set: string, n: number) => (n === 1 ? baseline : undefined),
    head: async () => ({ revision: 1, document: baseline }),
  };
  const recorded = records(baseline, RECORDS, random);
  const unique = records(baseline, RECORDS, random, true);

  // Baseline in the same run: the engine deciding the same questions, one decision each.
  const policy = compilePolicy(baseline, 1);
  const requests: DecisionRequest[] = recorded.map((r) => {
    const { input, time } = r as {
      input: { service: string; intent: string; context: Record<string, unknown> };
      time: string;
    };
    return {
      principal: input.service,
      action: input.intent,
      environment: 'prod',
      time: Date.parse(time),
      attributes: input.context,
    };
  });
  const engine = await throughput(async () => {
    for (const r of requests) policy.decide(r);
    return requests.length;
  });

  let flips = 0;
  const replayOf = (rows: readonly object[]) => async () => {
    const replay = new ImpactReplay({ candidate, revisions });
    for (const row of rows) {
      const pending = replay.record(row);
      if (pending) await pending;
    }
    const { totals } = replay.report();
    if (totals.nonReproducing > 0 || totals.replayed !== rows.length) {
      throw new Error(`replay lost records: ${JSON.stringify(totals)}`);
    }
    flips = totals.flips;
    return rows.length;
  };
  const replay = await throughput(replayOf(recorded));
  const recordedFlips = flips;
  const distinct = await throughput(replayOf(unique));

  const dir = mkdtempSync(join(tmpdir(), 'impact-bench-'));
  try {
    const file = join(dir, 'decisions.jsonl');
    writeFileSync(
      file,
      `${recorded
        .slice(0, FILE_LINES)
        .map((r) => JSON.stringify(r))
        .join('\n')}\n`,
    );
    const fromFile = await throughput(async () => {
      const replayer = new ImpactReplay({ candidate, revisions });
      const report = await replayLines(replayer, jsonlSource(file, replayer));
      return report.totals.lines;
    });
    const figures: Figure[] = [
      { name: `${STATEMENTS} statements: engine decisions/s (one decision each)`, value: engine, unit: '/s' },
      {
        name: `replayed recorded decisions/s (${DISTINCT_ASKS.toLocaleString('en-US')} distinct asks over a day)`,
        value: replay,
        unit: '/s',
        baseline: { name: 'engine', value: engine },
      },
      {
        name: 'replayed recorded decisions/s (every one distinct: 2 decisions each)',
        value: distinct,
        unit: '/s',
        baseline: { name: 'engine', value: engine },
      },
      {
        name: 'JSONL file to report, lines/s (JSON parsing included)',
        value: fromFile,
        unit: '/s',
        baseline: { name: 'engine', value: engine },
      },
      {
        name: `flips of the candidate in ${RECORDS.toLocaleString('en-US')} records`,
        value: recordedFlips,
        unit: '',
      },
    ];
    printTable('governance impact: replaying recorded decisions against a candidate', figures);
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runImpactBench();
