import type { EnvironmentName } from './environments.js';

/**
 * Service-level objectives of the dispatch path, as an on-call engineer reads them. The CDK config
 * sets them per environment; `npm run slo-report` and the weekly SLO report function measure against them.
 */
export interface SloConfig {
  /** Share of `/dispatch` requests answered without a 5xx, in percent (e.g. 99.9). */
  readonly availabilityPercent: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly latencyP99Ms: number;
}

/** Where the weekly reports live in the log-archive bucket: one object per environment and ISO week. */
export const SLO_REPORT_PREFIX = 'slo-reports';

/** `slo-reports/<env>/<ISO week>.json`, e.g. `slo-reports/prod/2026-W48.json`. */
export function sloReportKey(environment: EnvironmentName, isoWeek: string): string {
  return `${SLO_REPORT_PREFIX}/${environment}/${isoWeek}.json`;
}
