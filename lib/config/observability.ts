import type { SloConfig } from '../../contracts/slo.js';
import { ConfigError } from './errors.js';
import type { EnvironmentName } from './types.js';

export type { SloConfig };

/** Alarm thresholds; `critical` alarms page, `warning` alarms notify. */
export interface AlarmThresholds {
  /** 5xx share of Orbit requests over 5 minutes, percent. */
  readonly errorRatePercent: number;
  /** Orbit p99 request latency over 5 minutes, milliseconds. */
  readonly latencyP99Ms: number;
  /** Service CPU or memory utilisation, percent. */
  readonly resourceUtilisationPercent: number;
  /** Governance Lambda concurrency as a share of its reserved concurrency, percent. */
  readonly concurrencyOfReservedPercent: number;
  /** Band width (standard deviations) of the governance denial anomaly detector. */
  readonly denialAnomalyBand: number;
  /** Dispatches refused 429 by callers' token buckets (all callers, all Orbit tasks) over 5 minutes. */
  readonly throttledCallersPer5Min: number;
}

export interface BudgetConfig {
  /** Monthly cost budget of the environment, USD. */
  readonly monthlyUsd: number;
  /** Percentages of the budget (actual spend) at which the alarm topic is notified. */
  readonly alertAtPercent: readonly number[];
}

export const WEEK_DAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

/** When the weekly SLO report runs; it always reports the last complete ISO week (Monday to Monday, UTC). */
export interface SloReportSchedule {
  readonly weekDay: (typeof WEEK_DAYS)[number];
  /** Hour of the day, UTC, 0-23. */
  readonly hourUtc: number;
}

export interface ObservabilityConfig {
  readonly slo: SloConfig;
  readonly sloReport: SloReportSchedule;
  readonly alarms: AlarmThresholds;
  readonly budget: BudgetConfig;
  /**
   * HTTPS endpoint of a chat or pager webhook subscribed to the alarm topic (e.g. a PagerDuty
   * CloudWatch integration URL). Optional; the e-mail subscription always exists.
   */
  readonly webhookUrl?: string;
  /** Days before exported logs move to Glacier Instant Retrieval, and before they expire. */
  readonly logArchive: { readonly glacierAfterDays: number; readonly expireAfterDays: number };
}

export const OBSERVABILITY: Readonly<Record<EnvironmentName, ObservabilityConfig>> = {
  dev: {
    slo: { availabilityPercent: 99, latencyP50Ms: 100, latencyP95Ms: 300, latencyP99Ms: 500 },
    sloReport: { weekDay: 'MON', hourUtc: 8 },
    alarms: {
      errorRatePercent: 5,
      latencyP99Ms: 500,
      resourceUtilisationPercent: 85,
      concurrencyOfReservedPercent: 80,
      denialAnomalyBand: 3,
      throttledCallersPer5Min: 100,
    },
    budget: { monthlyUsd: 300, alertAtPercent: [80, 100] },
    logArchive: { glacierAfterDays: 30, expireAfterDays: 90 },
  },
  staging: {
    slo: { availabilityPercent: 99.5, latencyP50Ms: 50, latencyP95Ms: 200, latencyP99Ms: 500 },
    sloReport: { weekDay: 'MON', hourUtc: 8 },
    alarms: {
      errorRatePercent: 5,
      latencyP99Ms: 500,
      resourceUtilisationPercent: 85,
      concurrencyOfReservedPercent: 80,
      denialAnomalyBand: 3,
      throttledCallersPer5Min: 300,
    },
    budget: { monthlyUsd: 600, alertAtPercent: [50, 80, 100] },
    logArchive: { glacierAfterDays: 30, expireAfterDays: 180 },
  },
  prod: {
    slo: { availabilityPercent: 99.9, latencyP50Ms: 50, latencyP95Ms: 150, latencyP99Ms: 300 },
    sloReport: { weekDay: 'MON', hourUtc: 8 },
    alarms: {
      errorRatePercent: 5,
      latencyP99Ms: 500,
      resourceUtilisationPercent: 85,
      concurrencyOfReservedPercent: 80,
      denialAnomalyBand: 2,
      throttledCallersPer5Min: 1000,
    },
    budget: { monthlyUsd: 2500, alertAtPercent: [50, 80, 100, 120] },
    logArchive: { glacierAfterDays: 90, expireAfterDays: 400 },
  },
};

/** Throws a `ConfigError` naming the first invalid observability field. */
export function validateObservability(env: string, o: ObservabilityConfig): void {
  const field = (path: string) => `${env}.observability.${path}`;
  const { slo, alarms, budget, logArchive } = o;
  validateSlo(field, slo);
  validateSloReport(field, o.sloReport);
  validateAlarms(field, alarms);
  if (!(budget.monthlyUsd > 0))
    throw new ConfigError(field('budget.monthlyUsd'), `must be positive, got ${budget.monthlyUsd}`);
  if (budget.alertAtPercent.length === 0 || budget.alertAtPercent.some((p) => !(p > 0 && p <= 1000))) {
    throw new ConfigError(field('budget.alertAtPercent'), 'must list percentages above 0 and at most 1000');
  }
  if (o.webhookUrl !== undefined && !/^https:\/\/[^\s]+$/.test(o.webhookUrl)) {
    throw new ConfigError(field('webhookUrl'), `must be an https:// URL, got "${o.webhookUrl}"`);
  }
  if (!(logArchive.glacierAfterDays >= 1 && logArchive.expireAfterDays > logArchive.glacierAfterDays)) {
    throw new ConfigError(
      field('logArchive'),
      `needs 1 <= glacierAfterDays < expireAfterDays, got ${logArchive.glacierAfterDays} and ${logArchive.expireAfterDays}`,
    );
  }
}

function validateAlarms(field: (path: string) => string, alarms: AlarmThresholds): void {
  const percents: [string, number][] = [
    ['alarms.errorRatePercent', alarms.errorRatePercent],
    ['alarms.resourceUtilisationPercent', alarms.resourceUtilisationPercent],
    ['alarms.concurrencyOfReservedPercent', alarms.concurrencyOfReservedPercent],
  ];
  for (const [path, value] of percents) {
    if (!(value > 0 && value <= 100))
      throw new ConfigError(field(path), `must be above 0 and at most 100, got ${value}`);
  }
  if (!(alarms.latencyP99Ms > 0))
    throw new ConfigError(field('alarms.latencyP99Ms'), `must be positive, got ${alarms.latencyP99Ms}`);
  if (!(alarms.denialAnomalyBand >= 1 && alarms.denialAnomalyBand <= 10)) {
    throw new ConfigError(
      field('alarms.denialAnomalyBand'),
      `must be from 1 to 10 standard deviations, got ${alarms.denialAnomalyBand}`,
    );
  }
  if (!(Number.isInteger(alarms.throttledCallersPer5Min) && alarms.throttledCallersPer5Min >= 1)) {
    throw new ConfigError(
      field('alarms.throttledCallersPer5Min'),
      `must be an integer of at least 1, got ${alarms.throttledCallersPer5Min}`,
    );
  }
}

function validateSlo(field: (path: string) => string, slo: SloConfig): void {
  if (!(slo.availabilityPercent > 0 && slo.availabilityPercent < 100)) {
    throw new ConfigError(
      field('slo.availabilityPercent'),
      `must be above 0 and below 100, got ${slo.availabilityPercent}`,
    );
  }
  if (
    !(slo.latencyP50Ms > 0 && slo.latencyP50Ms <= slo.latencyP95Ms && slo.latencyP95Ms <= slo.latencyP99Ms)
  ) {
    throw new ConfigError(
      field('slo'),
      `latency targets must be positive and ordered p50 <= p95 <= p99, got ${slo.latencyP50Ms}/${slo.latencyP95Ms}/${slo.latencyP99Ms} ms`,
    );
  }
}

function validateSloReport(field: (path: string) => string, schedule: SloReportSchedule): void {
  if (!(WEEK_DAYS as readonly string[]).includes(schedule.weekDay)) {
    throw new ConfigError(
      field('sloReport.weekDay'),
      `must be one of ${WEEK_DAYS.join(', ')}, got "${schedule.weekDay}"`,
    );
  }
  if (!(Number.isInteger(schedule.hourUtc) && schedule.hourUtc >= 0 && schedule.hourUtc <= 23)) {
    throw new ConfigError(
      field('sloReport.hourUtc'),
      `must be an integer from 0 to 23, got ${schedule.hourUtc}`,
    );
  }
}
