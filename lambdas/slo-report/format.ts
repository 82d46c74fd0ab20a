import type { DayMeasurements, SloReport } from './compute.js';

/** What was measured, over which window, on which load balancer. */
export interface ReportScope {
  readonly environment: string;
  readonly start: Date;
  readonly end: Date;
  /** The ALB's CloudWatch `LoadBalancer` dimension, `app/<name>/<id>`. */
  readonly loadBalancer: string;
}

/** The machine-readable report: `npm run slo-report -- --json` prints it, the weekly function stores it. */
export type SloReportDocument = ReportScope & SloReport & { readonly days: readonly DayMeasurements[] };

export function reportDocument(
  scope: ReportScope,
  report: SloReport,
  days: readonly DayMeasurements[],
): SloReportDocument {
  return { ...scope, ...report, days };
}

/** The report as a person reads it: objectives, error budget, then one line per day. */
export function formatReport(
  scope: ReportScope,
  report: SloReport,
  days: readonly DayMeasurements[],
): string[] {
  const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-').padStart(8);
  const budget = report.errorBudgetConsumedPercent;
  return [
    `SLO report: ${scope.environment}, ${scope.start.toISOString()} → ${scope.end.toISOString()} (${scope.loadBalancer})`,
    ...report.objectives.map(
      (o) =>
        `  ${o.met ? 'MET   ' : 'MISSED'}  ${o.name.padEnd(12)}  target ${o.target.padEnd(10)}  actual ${o.actual}`,
    ),
    `  error budget consumed: ${budget === null ? 'n/a (no traffic)' : `${budget.toFixed(1)}%`}`,
    '  day                       requests   5xx   p50 ms   p95 ms   p99 ms',
    ...days.map(
      (d) =>
        `  ${d.day}  ${String(d.requests).padStart(9)}  ${String(d.serverErrors).padStart(4)}  ${ms(d.latencyMs.p50)} ${ms(d.latencyMs.p95)} ${ms(d.latencyMs.p99)}`,
    ),
  ];
}
