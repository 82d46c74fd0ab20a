import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EnvironmentName } from '../../contracts/environments.js';
import { type SloConfig, sloReportKey } from '../../contracts/slo.js';
import { measure } from './cloudwatch.js';
import { evaluateSlo } from './compute.js';
import { formatReport, reportDocument } from './format.js';
import { isoWeekOf, parseIsoWeek, startOfIsoWeek } from './iso-week.js';

const WEEK_MS = 7 * 86_400_000;

/** Sends the human-readable summary (to the warning alarm topic). */
export interface SummaryPublisher {
  publish(subject: string, message: string): Promise<void>;
}

/** Stores the JSON report; returns where a person finds it (e.g. `s3://bucket/key`). */
export interface ReportWriter {
  write(key: string, json: string): Promise<string>;
}

export interface SloReportSettings {
  readonly environment: EnvironmentName;
  /** The Orbit ALB's CloudWatch `LoadBalancer` dimension, `app/<name>/<id>`. */
  readonly loadBalancer: string;
  readonly slo: SloConfig;
}

export interface SloReportDeps {
  readonly cloudwatch: CloudWatchClient;
  readonly publisher: SummaryPublisher;
  readonly writer: ReportWriter;
  readonly now: () => Date;
  readonly settings: SloReportSettings;
  readonly logger: { info(message: string, attributes: Record<string, unknown>): void };
}

/**
 * The schedule's event carries no week; an operator re-running a missed week invokes the function
 * with `{"week": "2026-W47"}`.
 */
export interface SloReportEvent {
  readonly week?: unknown;
}

export interface SloReportResult {
  readonly week: string;
  readonly location: string;
  readonly compliant: boolean;
}

/** A request the function cannot serve (bad or unfinished week); retrying will not help. */
export class SloReportRequestError extends Error {
  override name = 'SloReportRequestError';
}

/** The week asked for, or the last complete one; with the Monday (00:00 UTC) that starts it. */
function weekToReport(event: SloReportEvent | null | undefined, now: Date): { week: string; start: Date } {
  const asked = event?.week;
  if (asked === undefined) {
    const start = new Date(startOfIsoWeek(now).getTime() - WEEK_MS);
    return { week: isoWeekOf(start), start };
  }
  if (typeof asked !== 'string') throw new SloReportRequestError(`"week" must be a string like "2026-W47"`);
  let start: Date;
  try {
    start = parseIsoWeek(asked);
  } catch (error) {
    throw new SloReportRequestError(`"week": ${(error as Error).message}`);
  }
  const end = new Date(start.getTime() + WEEK_MS);
  if (end > now) {
    throw new SloReportRequestError(`"week": ${asked} has not ended yet (it ends ${end.toISOString()})`);
  }
  return { week: asked, start };
}

/**
 * The weekly SLO report: the last complete ISO week (Monday 00:00 to Monday 00:00 UTC) of the Orbit
 * dispatch path, measured and judged as `npm run slo-report` does. The JSON goes to the archive
 * first, so the summary published afterwards points at an object that exists; the same week always
 * writes the same key, so a retried run overwrites rather than duplicates.
 */
export function createSloReportHandler(deps: SloReportDeps) {
  const { environment, loadBalancer, slo } = deps.settings;
  return async (event?: SloReportEvent | null): Promise<SloReportResult> => {
    const { week, start } = weekToReport(event, deps.now());
    const end = new Date(start.getTime() + WEEK_MS);
    const data = await measure(deps.cloudwatch, loadBalancer, end, 7);
    const report = evaluateSlo(slo, data.window);
    const scope = { environment, start, end, loadBalancer };

    const location = await deps.writer.write(
      sloReportKey(environment, week),
      JSON.stringify({ week, ...reportDocument(scope, report, data.days) }, null, 2),
    );
    const missed = report.objectives.filter((o) => !o.met).map((o) => o.name);
    const verdict = missed.length === 0 ? 'all objectives met' : `missed ${missed.join(', ')}`;
    await deps.publisher.publish(
      `Axon/Orbit ${environment} SLO ${week}: ${verdict}`,
      [...formatReport(scope, report, data.days), '', `JSON report: ${location}`].join('\n'),
    );
    deps.logger.info('SLO report published', { week, location, compliant: report.compliant, missed });
    return { week, location, compliant: report.compliant };
  };
}
