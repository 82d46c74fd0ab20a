import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { S3Client } from '@aws-sdk/client-s3';
import { type FlipGroup, type ImpactReport, sinceMs } from '../../contracts/impact.js';
import { ADMIN_ERRORS, AdminError } from '../../lambdas/governance/admin/errors.js';
import { type DecisionSource, ImpactGate } from '../../lambdas/governance/admin/impact-gate.js';
import { validateCandidate } from '../../lambdas/governance/admin/service.js';
import type { PolicyDocument } from '../../lambdas/governance/engine/index.js';
import {
  archiveSource,
  ImpactReplay,
  insightsSource,
  jsonlSource,
  type RevisionSource,
  replayLines,
} from '../../lambdas/governance/impact/index.js';
import type { PolicyRevision } from '../../lambdas/governance/store/index.js';
import { readableFile, readJson } from './files.js';
import type { Target } from './targets.js';

/** The options `impact` adds to the CLI's own (`--tests`, `--json`, the target options). */
export const IMPACT_OPTIONS = {
  decisions: { type: 'string' },
  since: { type: 'string' },
  env: { type: 'string' },
  'log-group': { type: 'string' },
  archive: { type: 'string' },
  'max-flips': { type: 'string' },
} as const;

export const IMPACT_USAGE = `  impact <candidate.json> [--decisions <file.jsonl> | --since <24h> (--env <env> | --log-group <name>) [--archive s3://<bucket>]]
         [--max-flips <n>] [--tests <file>]
                                                replay recorded decisions against a candidate; exit 1 when
                                                flips exceed --max-flips (revisions from the target, if given)`;

export interface ImpactValues {
  readonly decisions?: string;
  readonly since?: string;
  readonly env?: string;
  readonly 'log-group'?: string;
  readonly archive?: string;
  readonly 'max-flips'?: string;
  readonly tests?: string;
  readonly region?: string;
  readonly set?: string;
}

interface ImpactIo {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** What `impact` prints and returns: the report, the window it covered, and whether it passed the gate. */
export interface ImpactOutcome extends ImpactReport {
  readonly candidate: string;
  readonly source: string;
  readonly maxFlips: number | null;
  readonly exceeded: boolean;
}

function usage(message: string): AdminError {
  return new AdminError('bad-request', message);
}

function durationMs(value: string): number {
  const ms = sinceMs(value);
  if (ms === undefined) {
    throw usage(`--since must be a duration such as 90m, 24h or 7d (at most 400d), got "${value}"`);
  }
  return ms;
}

/** Revisions through whatever target the CLI was given: the table directly, or the admin function. */
function targetRevisions(target: Target): RevisionSource {
  const get = async (policySet: string, revision?: number): Promise<PolicyRevision | undefined> => {
    try {
      return (await target.execute({ operation: 'get', policySet, revision })) as PolicyRevision;
    } catch (error) {
      // A log naming a set or revision the store does not have (or cannot have) is counted, not
      // fatal; a store that is not there at all is.
      const missingTable = error instanceof AdminError && error.details.table !== undefined;
      if (error instanceof AdminError && !missingTable && ['not-found', 'bad-request'].includes(error.code)) {
        return undefined;
      }
      throw error;
    }
  };
  return {
    revision: async (policySet, revision) => (await get(policySet, revision))?.document,
    head: async (policySet) => {
      const head = await get(policySet);
      return head && { revision: head.revision, document: head.document };
    },
  };
}

/** The decision function's log group and region of an environment, from the same config CDK deploys. */
async function environmentLogGroup(env: string): Promise<{ logGroup: string; region: string }> {
  const { BASE_CONFIGS, isEnvironmentName } = await import('../../lib/config/index.js');
  if (!isEnvironmentName(env)) {
    throw usage(`--env must be one of ${Object.keys(BASE_CONFIGS).join(', ')}, got "${env}"`);
  }
  const { decisionLogGroupName } = await import('../../lib/stacks/governance-stack.js');
  const config = BASE_CONFIGS[env];
  return {
    logGroup: decisionLogGroupName(config),
    region: config.defaultRegion,
  };
}

function archiveBucket(value: string): string {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/?$/.exec(value);
  if (!match?.[1]) throw usage(`--archive must be s3://<bucket> (the log archive bucket), got "${value}"`);
  return match[1];
}

/** The decisions a run replays: opened once the window's end is known. */
interface Decisions {
  /** How far back from now; 0 for a file, which is replayed whole. */
  readonly windowMs: number;
  open(from: number, to: number): DecisionSource;
}

const iso = (ms: number) => new Date(ms).toISOString();

async function decisionsOf(values: ImpactValues, io: ImpactIo): Promise<Decisions> {
  if (values.decisions !== undefined && values.since !== undefined) {
    throw usage('give either --decisions <file.jsonl> or --since <duration>, not both');
  }
  if (values.decisions !== undefined) {
    const file = values.decisions;
    const path = file === '-' ? '-' : readableFile(file, io.cwd);
    return {
      windowMs: 0,
      open: () => ({
        source: file,
        from: null,
        to: null,
        lines: (replay) => jsonlSource(path, replay),
        close: () => {},
      }),
    };
  }
  if (values.since === undefined) {
    throw usage('say which decisions to replay: --decisions <file.jsonl>, or --since <duration> --env <env>');
  }
  const windowMs = durationMs(values.since);
  const named = values.env === undefined ? undefined : await environmentLogGroup(values.env);
  const logGroup = values['log-group'] ?? named?.logGroup;
  const region = values.region ?? io.env.AWS_REGION ?? named?.region;
  const window = (from: number, to: number) => ({ from: iso(from), to: iso(to) });
  if (values.archive !== undefined) {
    const bucket = archiveBucket(values.archive);
    return {
      windowMs,
      open: (from, to) => {
        const client = new S3Client({ region });
        return {
          source: `s3://${bucket} (${logGroup ?? 'all log groups'}), ${iso(from)} to ${iso(to)}`,
          ...window(from, to),
          lines: (replay) => archiveSource({ client, bucket, logGroup, from, to, replay }),
          close: () => client.destroy(),
        };
      },
    };
  }
  if (logGroup === undefined) throw usage('--since needs --env <env> or --log-group <name>');
  return {
    windowMs,
    open: (from, to) => {
      const client = new CloudWatchLogsClient({ region });
      return {
        source: `${logGroup}, ${iso(from)} to ${iso(to)}`,
        ...window(from, to),
        lines: (replay) => insightsSource({ client, logGroup, from, to, replay }),
        close: () => client.destroy(),
      };
    },
  };
}

function maxFlipsOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw usage(`--max-flips must be an integer of at least 0, got "${value}"`);
  }
  return n;
}

/** The options a push may add to gate itself on impact when it writes the table directly. */
export const PUSH_IMPACT_OPTIONS = [
  'decisions',
  'since',
  'env',
  'log-group',
  'archive',
  'max-flips',
] as const;

async function configuredMaxFlips(environment: string | undefined, where: string): Promise<number> {
  const { BASE_CONFIGS, isEnvironmentName } = await import('../../lib/config/index.js');
  if (!isEnvironmentName(environment)) {
    throw usage(`give --max-flips <n>: ${where} has no configured impact threshold`);
  }
  return BASE_CONFIGS[environment].governanceAdmin.impact.maxFlips;
}

/**
 * The impact gate of a push that writes the table directly (the admin function gates its own pushes
 * on its decision log): present when the push names decisions to replay (`--decisions` or
 * `--since`); the threshold is `--max-flips`, else the configured one of the environment (`--env`, or
 * the one the target serves).
 */
export async function directPushGate(
  values: ImpactValues,
  io: ImpactIo,
  target: { readonly environment: string | undefined; readonly description: string },
): Promise<((revisions: RevisionSource) => ImpactGate) | undefined> {
  if (values.decisions === undefined && values.since === undefined) return undefined;
  const decisions = await decisionsOf(values, io);
  const maxFlips =
    maxFlipsOf(values['max-flips']) ??
    (await configuredMaxFlips(values.env ?? target.environment, target.description));
  return (revisions) =>
    new ImpactGate({ maxFlips, windowMs: decisions.windowMs, revisions, decisions: decisions.open });
}

/** The source's batches; a source that cannot be read (access denied, no such bucket) is named as such. */
async function* sourceLines(source: DecisionSource, replay: ImpactReplay): AsyncGenerator<readonly string[]> {
  try {
    yield* source.lines(replay);
  } catch (error) {
    if (error instanceof AdminError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new AdminError('unavailable', `cannot read the decisions (${source.source}): ${message}`);
  }
}

/**
 * `governance impact`: refuses a candidate that fails validation or its tests (the errors
 * `validate` prints), then replays the recorded decisions against each decision's own revision
 * (from the target, when one is given) and the candidate.
 */
export async function impactCommand(
  args: readonly string[],
  values: ImpactValues,
  io: ImpactIo,
  target: (() => Target) | undefined,
): Promise<{ result: ImpactOutcome; text: string; code: number }> {
  const file = args[0];
  if (file === undefined) throw usage('missing the candidate: governance impact <candidate.json>');
  const maxFlips = maxFlipsOf(values['max-flips']);
  const document = readJson(file, io.cwd);
  const sibling = resolve(io.cwd, file).replace(/\.json$/, '.test.json');
  const testsFile =
    values.tests ?? (existsSync(sibling) && sibling !== resolve(io.cwd, file) ? sibling : undefined);
  validateCandidate(document, testsFile === undefined ? undefined : readJson(testsFile, io.cwd));

  const decisions = await decisionsOf(values, io);
  const to = Date.now();
  const source = decisions.open(to - decisions.windowMs, to);
  const store = target?.();
  try {
    const replay = new ImpactReplay({
      candidate: document as PolicyDocument,
      revisions: store ? targetRevisions(store) : undefined,
    });
    const report = await replayLines(replay, sourceLines(source, replay));
    const exceeded = maxFlips !== undefined && report.totals.flips > maxFlips;
    const result: ImpactOutcome = {
      candidate: file,
      source: source.source,
      maxFlips: maxFlips ?? null,
      exceeded,
      ...report,
    };
    return { result, text: impactText(result), code: exceeded ? ADMIN_ERRORS['invalid-policy'].exitCode : 0 };
  } finally {
    source.close();
    store?.close();
  }
}

const n = (value: number) => value.toLocaleString('en-US');

function statementText(id: string | null): string {
  return id ?? '(no statement)';
}

/** One flip group and its examples, as `impact` prints them (and a refused push). */
export function groupLines(g: FlipGroup): string[] {
  const lines = [
    `  ${n(g.count).padStart(7)}  ${g.caller}  ${g.intent}  ${g.from}→${g.to}  ${statementText(g.fromStatement)} → ${statementText(g.toStatement)}`,
  ];
  for (const e of g.examples) {
    const correlation = e.correlationId ? `, correlation ${e.correlationId}` : '';
    lines.push(`             e.g. decision ${e.decisionId}${correlation} at ${e.time}`);
  }
  return lines;
}

/** The human report: totals, flips by group, non-reproducing decisions, what was skipped and why. */
export function impactText(r: ImpactOutcome): string {
  const t = r.totals;
  const lines = [
    `impact of ${r.candidate} on ${r.source}`,
    `  ${n(t.lines)} lines, ${n(t.replayed)} decisions replayed: ${n(t.unchanged)} unchanged, ${n(t.statementChanged)} decided by another statement, ${n(t.flips)} flips (${n(t.allowToDeny)} allow→deny, ${n(t.denyToAllow)} deny→allow)`,
    `  compared with: ${n(r.baseline.ownRevision)} their own revision (reproduced), ${n(r.baseline.headForUnknownRevision)} the head (revision not in the store), ${n(r.baseline.recordedResult)} their recorded result (no store given)`,
  ];
  if (r.flips.length > 0) {
    lines.push('', 'flips (count, caller, intent, effect, deciding statement before → after):');
    for (const g of r.flips) lines.push(...groupLines(g));
  }
  if (t.nonReproducing > 0) {
    lines.push(
      '',
      `${n(t.nonReproducing)} recorded decisions do not reproduce under their own revision (a bug, or an altered log):`,
    );
    for (const d of r.nonReproducing) {
      const recorded = `${d.recorded.allowed ? 'allow' : 'deny'} by ${statementText(d.recorded.statementId)}`;
      const replayed =
        'problem' in d.replayed
          ? d.replayed.problem
          : `${d.replayed.allowed ? 'allow' : 'deny'} by ${statementText(d.replayed.statementId)}`;
      lines.push(
        `  decision ${d.decisionId} (${d.policySet} revision ${d.revision}): recorded ${recorded}, replays ${replayed}`,
      );
    }
  }
  const skipped = Object.entries(r.skipped);
  if (skipped.length > 0) {
    lines.push('', 'not replayed:');
    for (const [kind, s] of skipped) lines.push(`  ${kind}: ${n(s.count)} (e.g. ${s.examples.join('; ')})`);
  }
  const unknown = Object.entries(r.unknownFields);
  if (unknown.length > 0) {
    lines.push(
      '',
      `fields this replay does not know (replayed as recorded): ${unknown.map(([f, c]) => `${f} (${n(c)})`).join(', ')}`,
    );
  }
  if (r.maxFlips !== null) {
    lines.push(
      '',
      r.exceeded
        ? `✗ ${n(t.flips)} flips exceed --max-flips ${n(r.maxFlips)}`
        : `✓ ${n(t.flips)} flips, within --max-flips ${n(r.maxFlips)}`,
    );
  }
  return lines.join('\n');
}
