import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../lib/config/index.js';
import {
  OBSERVABILITY,
  type ObservabilityConfig,
  validateObservability,
} from '../lib/config/observability.js';

const base = OBSERVABILITY.prod;
const messageOf = (config: ObservabilityConfig): string => {
  try {
    validateObservability('prod', config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('observability config', () => {
  it('accepts every shipped environment', () => {
    for (const [env, config] of Object.entries(OBSERVABILITY))
      expect(() => validateObservability(env, config)).not.toThrow();
  });

  it('pages on the issue thresholds: error rate 5%, p99 500 ms, resources 85%', () => {
    for (const config of Object.values(OBSERVABILITY)) {
      expect(config.alarms).toMatchObject({
        errorRatePercent: 5,
        latencyP99Ms: 500,
        resourceUtilisationPercent: 85,
      });
    }
  });

  it.each([
    [
      { ...base, slo: { ...base.slo, availabilityPercent: 100 } },
      /slo.availabilityPercent must be above 0 and below 100/,
    ],
    [{ ...base, slo: { ...base.slo, latencyP95Ms: 10 } }, /ordered p50 <= p95 <= p99, got 50\/10\/300 ms/],
    [{ ...base, alarms: { ...base.alarms, errorRatePercent: 0 } }, /alarms.errorRatePercent must be above 0/],
    [
      { ...base, alarms: { ...base.alarms, denialAnomalyBand: 0.5 } },
      /denialAnomalyBand must be from 1 to 10/,
    ],
    [
      { ...base, alarms: { ...base.alarms, throttledCallersPer5Min: 0 } },
      /alarms.throttledCallersPer5Min must be an integer of at least 1, got 0/,
    ],
    [
      { ...base, budget: { ...base.budget, alertAtPercent: [] } },
      /budget.alertAtPercent must list percentages/,
    ],
    [{ ...base, webhookUrl: 'http://hooks.example.com/x' }, /webhookUrl must be an https:\/\/ URL/],
    [
      { ...base, logArchive: { glacierAfterDays: 90, expireAfterDays: 30 } },
      /glacierAfterDays < expireAfterDays/,
    ],
    [
      { ...base, sloReport: { weekDay: 'MONDAY', hourUtc: 8 } },
      /prod.observability.sloReport.weekDay must be one of MON, TUE, WED, THU, FRI, SAT, SUN, got "MONDAY"/,
    ],
    [
      { ...base, sloReport: { weekDay: 'MON', hourUtc: 24 } },
      /prod.observability.sloReport.hourUtc must be an integer from 0 to 23, got 24/,
    ],
  ])('rejects an invalid field (%#)', (config, message) => {
    expect(messageOf(config as ObservabilityConfig)).toMatch(message);
  });
});
