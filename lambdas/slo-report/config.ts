import { isEnvironmentName } from '../../contracts/environments.js';
import { SLO_REPORT_FUNCTION_ENV as ENV } from '../../contracts/service-env.js';
import type { SloConfig } from '../../contracts/slo.js';
import type { SloReportSettings } from './report.js';

export interface SloReportFunctionConfig extends SloReportSettings {
  readonly summaryTopicArn: string;
  readonly reportBucket: string;
}

export class SloReportConfigError extends Error {
  override name = 'SloReportConfigError';
}

const SLO_FIELDS = ['availabilityPercent', 'latencyP50Ms', 'latencyP95Ms', 'latencyP99Ms'] as const;

function required(env: Readonly<Record<string, string | undefined>>, name: string): string {
  const value = env[name];
  if (!value) throw new SloReportConfigError(`${name} is not set`);
  return value;
}

function parseSlo(text: string): SloConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SloReportConfigError(`${ENV.sloTargets} is not JSON: ${(error as Error).message}`);
  }
  const record = (parsed ?? {}) as Record<string, unknown>;
  for (const field of SLO_FIELDS) {
    const value = record[field];
    if (typeof value !== 'number' || !(value > 0)) {
      throw new SloReportConfigError(
        `${ENV.sloTargets}.${field} must be a positive number, got ${JSON.stringify(value)}`,
      );
    }
  }
  return parsed as SloConfig;
}

/** The function's settings from its environment (set by the SloReportSchedule construct). */
export function loadSloReportConfig(
  env: Readonly<Record<string, string | undefined>>,
): SloReportFunctionConfig {
  const environment = required(env, ENV.environment);
  if (!isEnvironmentName(environment)) {
    throw new SloReportConfigError(`${ENV.environment} "${environment}" is not one of dev, staging, prod`);
  }
  return {
    environment,
    loadBalancer: required(env, ENV.loadBalancer),
    slo: parseSlo(required(env, ENV.sloTargets)),
    summaryTopicArn: required(env, ENV.summaryTopicArn),
    reportBucket: required(env, ENV.reportBucket),
  };
}
