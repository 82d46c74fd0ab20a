import {
  type CloudWatchLogsClient,
  GetQueryResultsCommand,
  LimitExceededException,
  type ResultField,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { DECISION_LOG_MESSAGE } from '../../decision-log.js';
import type { ImpactReplay } from '../replay.js';

/** Logs Insights returns at most this many rows per query; a full page means the window must shrink. */
export const INSIGHTS_MAX_ROWS = 10_000;

export const DECISION_QUERY = `fields @timestamp, @message | filter message = "${DECISION_LOG_MESSAGE}" | sort @timestamp asc | limit ${INSIGHTS_MAX_ROWS}`;

export interface InsightsSourceOptions {
  readonly client: CloudWatchLogsClient;
  /** The decision function's log group, `/aws/lambda/<prefix>-governance-decide`. */
  readonly logGroup: string;
  /** Epoch milliseconds, inclusive. */
  readonly from: number;
  /** Epoch milliseconds, exclusive. */
  readonly to: number;
  readonly replay: ImpactReplay;
  /** Waiting between polls and before retrying a refused start; injectable so tests do not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly pollMs?: number;
}

/** StartQuery is refused beyond 30 concurrent queries per account; wait for others to finish. */
const START_ATTEMPTS = 6;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Slice {
  /** Epoch seconds, both inclusive (StartQuery's range includes its end). */
  readonly start: number;
  readonly end: number;
}

/**
 * The decision lines of a time window, oldest first, through CloudWatch Logs Insights. A query
 * returns at most 10,000 rows and runs at most 60 minutes, so a slice whose result is full (or
 * whose matched count exceeds its rows) or that timed out is split in two and each half queried
 * again, down to one second; a slice that cannot be split further, or whose query ends `Failed`, is
 * counted as `incomplete-window` and the run goes on. An error of the API itself (access denied, a
 * missing log group, throttling past the retries) ends the run.
 */
export async function* insightsSource(options: InsightsSourceOptions): AsyncGenerator<readonly string[]> {
  const sleep = options.sleep ?? defaultSleep;
  const pollMs = options.pollMs ?? 1000;
  const first = Math.floor(options.from / 1000);
  const last = Math.ceil(options.to / 1000) - 1;
  if (last < first) return;
  // A stack with the later half pushed first keeps the output in time order.
  const pending: Slice[] = [{ start: first, end: last }];
  while (pending.length > 0) {
    const slice = pending.pop() as Slice;
    const outcome = await runQuery(options.client, options.logGroup, slice, sleep, pollMs);
    const label = `${new Date(slice.start * 1000).toISOString()} to ${new Date(slice.end * 1000 + 999).toISOString()}`;
    const full =
      outcome.status === 'Complete' &&
      (outcome.rows.length >= INSIGHTS_MAX_ROWS || outcome.matched > outcome.rows.length);
    if ((full || outcome.status === 'Timeout') && slice.end > slice.start) {
      const middle = Math.floor((slice.start + slice.end) / 2);
      pending.push({ start: middle + 1, end: slice.end }, { start: slice.start, end: middle });
      continue;
    }
    if (outcome.status !== 'Complete') {
      options.replay.skip('incomplete-window', `${label}: query ${outcome.status}`);
      continue;
    }
    if (full)
      options.replay.skip(
        'incomplete-window',
        `${label}: more than ${INSIGHTS_MAX_ROWS} decisions in one second`,
      );
    const lines = outcome.rows.map(messageOf).filter((m): m is string => m !== undefined);
    if (lines.length > 0) yield lines;
  }
}

function messageOf(row: readonly ResultField[]): string | undefined {
  return row.find((f) => f.field === '@message')?.value;
}

async function runQuery(
  client: CloudWatchLogsClient,
  logGroupName: string,
  slice: Slice,
  sleep: (ms: number) => Promise<void>,
  pollMs: number,
): Promise<{ status: string; rows: ResultField[][]; matched: number }> {
  let queryId: string | undefined;
  for (let attempt = 1; queryId === undefined; attempt++) {
    try {
      const started = await client.send(
        new StartQueryCommand({
          logGroupName,
          startTime: slice.start,
          endTime: slice.end,
          queryString: DECISION_QUERY,
          limit: INSIGHTS_MAX_ROWS,
        }),
      );
      queryId = started.queryId;
      if (queryId === undefined) throw new Error('StartQuery returned no queryId');
    } catch (error) {
      if (!(error instanceof LimitExceededException) || attempt >= START_ATTEMPTS) throw error;
      await sleep(pollMs * 2 ** attempt);
    }
  }
  for (;;) {
    const result = await client.send(new GetQueryResultsCommand({ queryId }));
    const status = result.status ?? 'Unknown';
    if (status !== 'Running' && status !== 'Scheduled') {
      return { status, rows: result.results ?? [], matched: result.statistics?.recordsMatched ?? 0 };
    }
    await sleep(pollMs);
  }
}
