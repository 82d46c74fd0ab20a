import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  LimitExceededException,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { parsePolicy } from '../engine/index.js';
import { ImpactReplay, replayLines } from './replay.js';
import { jsonlSource } from './sources/jsonl.js';
import { DECISION_QUERY, INSIGHTS_MAX_ROWS, insightsSource } from './sources/logs-insights.js';
import { archiveSource } from './sources/s3-archive.js';

const LOG_GROUP = '/aws/lambda/axon-orbit-prod-governance-decide';
const allowReason = parsePolicy({
  version: 1,
  statements: [{ id: 'orbit-reasons', effect: 'allow', principals: ['orbit'], actions: ['reason:*'] }],
});
const denyHeartbeat = parsePolicy({
  version: 1,
  statements: [
    { id: 'orbit-reasons', effect: 'allow', principals: ['orbit'], actions: ['reason:*'] },
    { id: 'no-heartbeat', effect: 'deny', principals: ['orbit'], actions: ['reason:heartbeat'] },
  ],
});

/** A decision line exactly as Powertools writes it for the decision function. */
function line(id: string, intent: string, time: number): string {
  return JSON.stringify({
    level: 'INFO',
    message: 'decision',
    timestamp: new Date(time + 3).toISOString(),
    service: 'axon-orbit-prod-governance-decide',
    sampling_rate: 0,
    xray_trace_id: '1-6760a1b2-0123456789abcdef01234567',
    correlationId: `correlation-${id}`,
    decisionId: id,
    input: { service: 'orbit', intent, correlationId: `correlation-${id}` },
    time: new Date(time).toISOString(),
    environment: 'prod',
    policySet: 'default',
    result: {
      allowed: true,
      reason: 'allowed by statement orbit-reasons',
      statementId: 'orbit-reasons',
      policyRevision: 1,
      decisionId: id,
    },
  });
}

const revisions = {
  revision: async (set: string, n: number) => (set === 'default' && n === 1 ? allowReason : undefined),
  head: async (set: string) => (set === 'default' ? { revision: 1, document: allowReason } : undefined),
};

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

describe('JSONL file source', () => {
  const text = `${Array.from({ length: 400 }, (_, i) => line(`d-${i}`, 'reason:x', T0 + i * 60_000)).join('\n')}\n`;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'jsonl-source-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const replayOf = (path: string, stdin?: Readable) => {
    const replay = new ImpactReplay({ candidate: allowReason, revisions });
    return replayLines(replay, jsonlSource(path, replay, stdin));
  };

  it('replays a plain file, its gzip and stdin (`-`), plain or gzip, alike: gzip known by its bytes', async () => {
    const plain = join(dir, 'decisions.jsonl');
    writeFileSync(plain, text);
    writeFileSync(`${plain}.gz`, gzipSync(text));
    // A plain file under a gzip name is read as it is.
    writeFileSync(join(dir, 'plain.gz'), text);
    const zipped = gzipSync(text);
    const reports = [
      await replayOf(plain),
      await replayOf(`${plain}.gz`),
      await replayOf(join(dir, 'plain.gz')),
      await replayOf('-', Readable.from([Buffer.from(text)])),
      // The magic number split across chunks, as a pipe may deliver it.
      await replayOf(
        '-',
        Readable.from([zipped.subarray(0, 1), zipped.subarray(1, 100), zipped.subarray(100)]),
      ),
    ];
    for (const report of reports) {
      expect(report.totals).toMatchObject({ lines: 400, replayed: 400, flips: 0 });
      expect(report.skipped).toEqual({});
    }
  });

  it('replays the whole lines before the break of a truncated gzip file and counts the file once', async () => {
    const whole = gzipSync(text);
    const path = join(dir, 'cut.jsonl.gz');
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length / 2)));
    const report = await replayOf(path);
    expect(report.totals.replayed).toBeGreaterThan(0);
    expect(report.totals.replayed).toBeLessThan(400);
    // The line the break cut through is not replayed, nor counted as malformed.
    expect(report.totals.lines).toBe(report.totals.replayed);
    expect(Object.keys(report.skipped)).toEqual(['truncated-gzip']);
    expect(report.skipped['truncated-gzip']).toEqual({
      count: 1,
      examples: [`${path}: unexpected end of file`],
    });
  });
});

describe('Logs Insights source', () => {
  const logs = mockClient(CloudWatchLogsClient);
  beforeEach(() => {
    logs.reset();
  });

  /** A GetQueryResults row as the API returns it: every requested field, plus @ptr. */
  const row = (message: string, time: number) => [
    { field: '@timestamp', value: new Date(time).toISOString().replace('T', ' ').replace('Z', '') },
    { field: '@message', value: message },
    { field: '@ptr', value: 'CmAKJwojMTIzNDU2Nzg5MDEyOi9hd3MvbGFtYmRhL2dvdmVybmFuY2UQBxI1GhgCBk' },
  ];

  it('splits a full window and a timed-out half, and replays every slice in time order', async () => {
    // Window: 00:00:00-00:00:59. The whole minute comes back full (10,000 rows), so it is split;
    // its first half times out and is split again; every smaller slice completes.
    const answers = new Map<string, object>([
      [
        '0-59',
        {
          status: 'Complete',
          results: Array.from({ length: INSIGHTS_MAX_ROWS }, (_, i) =>
            row(line(`x${i}`, 'reason:deep', T0), T0),
          ),
          statistics: { recordsMatched: 12_000 },
        },
      ],
      ['0-29', { status: 'Timeout', results: [] }],
      [
        '0-14',
        {
          status: 'Complete',
          results: [
            row(line('a', 'reason:heartbeat', T0 + 1000), T0 + 1000),
            row(line('b', 'reason:deep', T0 + 14_000), T0 + 14_000),
          ],
          statistics: { recordsMatched: 2 },
        },
      ],
      [
        '15-29',
        {
          status: 'Complete',
          results: [row(line('c', 'reason:heartbeat', T0 + 20_000), T0 + 20_000)],
          statistics: { recordsMatched: 1 },
        },
      ],
      [
        '30-59',
        {
          status: 'Complete',
          results: [
            row(line('d', 'reason:deep', T0 + 45_000), T0 + 45_000),
            row('{"level":"ERROR","message":"policy store unavailable"}', T0 + 46_000),
          ],
          statistics: { recordsMatched: 2 },
        },
      ],
    ]);
    const started: string[] = [];
    logs
      .on(StartQueryCommand)
      .callsFake((input: { startTime: number; endTime: number; queryString: string; limit: number }) => {
        expect(input.queryString).toBe(DECISION_QUERY);
        expect(input.limit).toBe(INSIGHTS_MAX_ROWS);
        const key = `${input.startTime - T0 / 1000}-${input.endTime - T0 / 1000}`;
        started.push(key);
        return { queryId: key };
      });
    const polled = new Set<string>();
    logs.on(GetQueryResultsCommand).callsFake((input: { queryId: string }) => {
      // Every query is first reported running, as a real one is on the first poll.
      if (!polled.has(input.queryId)) {
        polled.add(input.queryId);
        return { status: 'Running', results: [] };
      }
      return answers.get(input.queryId);
    });

    const replay = new ImpactReplay({ candidate: denyHeartbeat, revisions });
    const report = await replayLines(
      replay,
      insightsSource({
        client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
        logGroup: LOG_GROUP,
        from: T0,
        to: T0 + 60_000,
        replay,
        sleep: async () => {},
      }),
    );
    expect(started).toEqual(['0-59', '0-29', '0-14', '15-29', '30-59']);
    expect(
      logs.commandCalls(StartQueryCommand).every((c) => c.args[0].input.logGroupName === LOG_GROUP),
    ).toBe(true);
    expect(report.totals).toMatchObject({ lines: 5, replayed: 4, flips: 2, allowToDeny: 2, unchanged: 2 });
    expect(report.flips[0]?.examples.map((e) => e.decisionId)).toEqual(['a', 'c']);
    expect(report.skipped['not-a-decision']?.count).toBe(1);
    expect(report.skipped['incomplete-window']).toBeUndefined();
  });

  it('counts a one-second slice it cannot split, and a failed query, without stopping', async () => {
    logs.on(StartQueryCommand).callsFake((input: { startTime: number; endTime: number }) => ({
      queryId: `${input.startTime - T0 / 1000}-${input.endTime - T0 / 1000}`,
    }));
    logs.on(GetQueryResultsCommand).callsFake((input: { queryId: string }) => {
      if (input.queryId === '0-1')
        return { status: 'Complete', results: [], statistics: { recordsMatched: 20_000 } };
      if (input.queryId === '0-0')
        return {
          status: 'Complete',
          results: [row(line('a', 'reason:deep', T0), T0)],
          statistics: { recordsMatched: 10_001 },
        };
      return { status: 'Failed', results: [] };
    });
    const replay = new ImpactReplay({ candidate: denyHeartbeat, revisions });
    const report = await replayLines(
      replay,
      insightsSource({
        client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
        logGroup: LOG_GROUP,
        from: T0,
        to: T0 + 2000,
        replay,
        sleep: async () => {},
      }),
    );
    expect(report.totals.replayed).toBe(1);
    expect(report.skipped['incomplete-window']?.count).toBe(2);
    expect(report.skipped['incomplete-window']?.examples).toEqual([
      '2026-01-05T00:00:00.000Z to 2026-01-05T00:00:00.999Z: more than 10000 decisions in one second',
      '2026-01-05T00:00:01.000Z to 2026-01-05T00:00:01.999Z: query Failed',
    ]);
  });

  it('waits and retries when the account already runs its maximum of concurrent queries', async () => {
    logs
      .on(StartQueryCommand)
      .rejectsOnce(
        new LimitExceededException({
          message: 'Account maximum query concurrency limit of [30] reached.',
          $metadata: {},
        }),
      )
      .resolves({ queryId: 'q1' });
    logs.on(GetQueryResultsCommand).resolves({
      status: 'Complete',
      results: [row(line('a', 'reason:deep', T0), T0)],
      statistics: { recordsMatched: 1 },
    });
    const waits: number[] = [];
    const replay = new ImpactReplay({ candidate: denyHeartbeat, revisions });
    const report = await replayLines(
      replay,
      insightsSource({
        client: new CloudWatchLogsClient({ region: 'eu-west-1' }),
        logGroup: LOG_GROUP,
        from: T0,
        to: T0 + 1000,
        replay,
        sleep: async (ms) => void waits.push(ms),
      }),
    );
    expect(logs.commandCalls(StartQueryCommand)).toHaveLength(2);
    expect(waits).toEqual([2000]);
    expect(report.totals.replayed).toBe(1);
  });
});

describe('S3 log archive source', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => {
    s3.reset();
  });

  /** What a CloudWatch Logs subscription hands Firehose: one gzip'd JSON batch. */
  const batch = (
    logGroup: string,
    events: { message: string; timestamp: number }[],
    messageType = 'DATA_MESSAGE',
  ) =>
    gzipSync(
      JSON.stringify({
        messageType,
        owner: '123456789012',
        logGroup,
        logStream: '2026/01/05/[$LATEST]0123456789abcdef0123456789abcdef',
        subscriptionFilters: ['axon-orbit-prod-observability-LogArchiveDecisions'],
        logEvents: events.map((e, i) => ({ id: `3788${i}`, ...e })),
      }),
    );
  /** A Firehose object: the batches concatenated, gzip'd again by the delivery stream. */
  const firehoseObject = (...batches: Buffer[]) => gzipSync(Buffer.concat(batches));
  const body = (buffer: Buffer) => Readable.from([buffer.subarray(0, 100), buffer.subarray(100)]) as never;

  it('reads gzip-in-gzip Firehose objects, keeps the decision group and the window, counts a truncated object', async () => {
    const good = firehoseObject(
      batch(
        'CWL_SUBSCRIPTION_TEST',
        [{ message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.', timestamp: T0 }],
        'CONTROL_MESSAGE',
      ),
      batch(LOG_GROUP, [
        { message: line('a', 'reason:heartbeat', T0 + 60_000), timestamp: T0 + 60_000 },
        { message: line('b', 'reason:deep', T0 + 61_000), timestamp: T0 + 61_000 },
      ]),
      batch('/aws/ecs/axon-orbit-prod-orbit', [
        { message: '{"level":30,"msg":"request completed"}', timestamp: T0 + 61_000 },
      ]),
      batch(LOG_GROUP, [
        { message: line('late', 'reason:heartbeat', T0 + 7_200_000), timestamp: T0 + 7_200_000 },
      ]),
    );
    const complete = firehoseObject(
      batch(LOG_GROUP, [{ message: line('c', 'reason:heartbeat', T0 + 120_000), timestamp: T0 + 120_000 }]),
    );
    const truncated = complete.subarray(0, complete.length - 12);
    const lost = firehoseObject(
      batch(LOG_GROUP, [{ message: line('z', 'reason:heartbeat', T0 + 1000), timestamp: T0 + 1000 }]),
    );
    const objects: Record<string, Buffer> = {
      'logs/2026/01/05/axon-orbit-prod-archive-1-2026-01-05-00-05-00-a.gz': good,
      'logs/2026/01/05/axon-orbit-prod-archive-1-2026-01-05-00-10-00-b.gz': truncated,
      'logs/2026/01/05/axon-orbit-prod-archive-1-2026-01-05-00-15-00-c.gz': lost,
    };
    s3.on(ListObjectsV2Command).callsFake((input: { Prefix: string; ContinuationToken?: string }) => {
      if (input.Prefix !== 'logs/2026/01/05/') return { Contents: [], KeyCount: 0 };
      const keys = Object.keys(objects);
      // Two pages, as a real listing of many objects is.
      return input.ContinuationToken
        ? {
            Contents: keys.slice(1).map((Key) => ({ Key, LastModified: new Date(T0 + 600_000) })),
            KeyCount: 2,
          }
        : {
            Contents: [{ Key: keys[0], LastModified: new Date(T0 + 300_000) }],
            IsTruncated: true,
            NextContinuationToken: 'page-2',
            KeyCount: 1,
          };
    });
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key.endsWith('-c.gz'))
        throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
      return { Body: body(objects[input.Key] as Buffer) };
    });

    const replay = new ImpactReplay({ candidate: denyHeartbeat, revisions });
    const report = await replayLines(
      replay,
      archiveSource({
        client: new S3Client({ region: 'eu-west-1' }),
        bucket: 'archive-bucket',
        logGroup: LOG_GROUP,
        from: T0,
        to: T0 + 3_600_000,
        replay,
      }),
    );
    expect(report.totals).toMatchObject({ lines: 2, replayed: 2, flips: 1 });
    expect(report.flips[0]?.examples.map((e) => e.decisionId)).toEqual(['a']);
    expect(report.skipped['truncated-gzip']?.count).toBe(1);
    expect(report.skipped['truncated-gzip']?.examples[0]).toContain('-b.gz: unexpected end of file');
    expect(report.skipped['unreadable-object']?.examples).toEqual([
      's3://archive-bucket/logs/2026/01/05/axon-orbit-prod-archive-1-2026-01-05-00-15-00-c.gz: Access Denied',
    ]);
    // The window lies within one day: one prefix, listed over two pages.
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([
      'logs/2026/01/05/',
      'logs/2026/01/05/',
    ]);
  });

  it('skips objects written before the window opened without fetching them', async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: 'logs/2026/01/05/old.gz', LastModified: new Date(T0 - 1) }],
    });
    const replay = new ImpactReplay({ candidate: denyHeartbeat, revisions });
    await replayLines(
      replay,
      archiveSource({
        client: new S3Client({ region: 'eu-west-1' }),
        bucket: 'b',
        from: T0,
        to: T0 + 1000,
        replay,
      }),
    );
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});
