import type { SloConfig } from '../../contracts/slo.js';

/** What CloudWatch said about the window, in the units the SLO is written in. */
export interface WindowMeasurements {
  readonly requests: number;
  /** Requests answered with a 5xx by Orbit or by the load balancer itself (no healthy target). */
  readonly serverErrors: number;
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly p99: number };
}

export interface DayMeasurements extends WindowMeasurements {
  /** Start of the day, ISO 8601. */
  readonly day: string;
}

export interface Objective {
  readonly name: string;
  readonly target: string;
  readonly actual: string;
  readonly met: boolean;
}

export interface SloReport {
  readonly objectives: readonly Objective[];
  readonly availabilityPercent: number | null;
  /** Share of the error budget the window consumed, percent (above 100 = SLO breached). */
  readonly errorBudgetConsumedPercent: number | null;
  readonly compliant: boolean;
}

/**
 * Compares one window's measurements with the objectives. A window without traffic meets the
 * availability objective vacuously but says so (availability `null`), rather than reporting 100%.
 */
export function evaluateSlo(slo: SloConfig, window: WindowMeasurements): SloReport {
  const hasTraffic = window.requests > 0;
  const availability = hasTraffic ? (1 - window.serverErrors / window.requests) * 100 : null;
  const allowedErrors = (window.requests * (100 - slo.availabilityPercent)) / 100;
  const budgetConsumed = !hasTraffic
    ? null
    : allowedErrors === 0
      ? window.serverErrors > 0
        ? Number.POSITIVE_INFINITY
        : 0
      : (window.serverErrors / allowedErrors) * 100;

  const latency = (name: 'p50' | 'p95' | 'p99', target: number): Objective => {
    const actual = window.latencyMs[name];
    const measured = Number.isFinite(actual);
    return {
      name: `latency ${name}`,
      target: `<= ${target} ms`,
      actual: measured ? `${actual.toFixed(1)} ms` : 'no data',
      met: !measured || actual <= target,
    };
  };

  const objectives: Objective[] = [
    {
      name: 'availability',
      target: `>= ${slo.availabilityPercent}%`,
      actual: availability === null ? 'no traffic' : `${availability.toFixed(3)}%`,
      met: availability === null || availability >= slo.availabilityPercent,
    },
    latency('p50', slo.latencyP50Ms),
    latency('p95', slo.latencyP95Ms),
    latency('p99', slo.latencyP99Ms),
  ];
  return {
    objectives,
    availabilityPercent: availability,
    errorBudgetConsumedPercent: budgetConsumed,
    compliant: objectives.every((o) => o.met),
  };
}
