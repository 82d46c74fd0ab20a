import { describe, expect, it } from '@jest/globals';
import { ENVIRONMENT_NAMES } from '../../contracts/environments.js';
import { CostInputError } from './errors.js';
import { defaultUsage, entryFor, mergeUsage, parseUsageOverrides } from './usage.js';

const messageOf = (raw: unknown) => {
  try {
    parseUsageOverrides(raw, 'my-usage.json');
  } catch (error) {
    expect(error).toBeInstanceOf(CostInputError);
    return (error as Error).message;
  }
  throw new Error('expected the usage file to be refused');
};

describe('usage file', () => {
  it.each(ENVIRONMENT_NAMES)('has complete, valid defaults for %s', (env) => {
    const usage = defaultUsage(env);
    expect(usage.requestsPerMonth).toBeGreaterThan(0);
    expect(entryFor(usage.functions, 'anything')).toBeDefined();
    expect(entryFor(usage.tables, 'anything')).toBeDefined();
  });

  it('names every bad field with what is allowed, in one line', () => {
    const message = messageOf({
      requestsPerMonth: -5,
      scaleOutShare: 2,
      payloadBytes: 'big',
      requestPerMonth: 10,
      functions: { decide: { durationMs: 10, invocations: 3 } },
      tables: { replay: { storageGb: -1 } },
    });
    expect(message).not.toContain('\n');
    expect(message).toContain('usage file my-usage.json:');
    expect(message).toContain('requestsPerMonth must be ≥ 0');
    expect(message).toContain('scaleOutShare must be between 0 and 1');
    expect(message).toContain('payloadBytes must be a number');
    expect(message).toMatch(/requestPerMonth is not a usage field \(allowed: requestsPerMonth, /);
    expect(message).toContain('functions.decide needs logBytesPerInvocation');
    expect(message).toMatch(
      /functions\.decide\.invocations is not a usage field \(allowed: invocationsPerMonth, invocationsPerRequest, durationMs, logBytesPerInvocation\)/,
    );
    expect(message).toContain('tables.replay.storageGb must be ≥ 0');
  });

  it('refuses a usage file that is not an object', () => {
    expect(messageOf([1, 2])).toContain('the usage file must be an object');
  });

  it('overrides only the fields it sets; a function entry replaces the default entry of that name', () => {
    const defaults = defaultUsage('dev');
    const merged = mergeUsage(
      defaults,
      parseUsageOverrides(
        {
          requestsPerMonth: 5,
          functions: { 'governance-decide': { durationMs: 9, logBytesPerInvocation: 1 } },
        },
        'x',
      ),
    );
    expect(merged.requestsPerMonth).toBe(5);
    expect(merged.payloadBytes).toBe(defaults.payloadBytes);
    expect(merged.functions['governance-decide']).toEqual({ durationMs: 9, logBytesPerInvocation: 1 });
    expect(merged.functions['*']).toEqual(defaults.functions['*']);
  });

  it('matches a function or table by the longest key its name ends with, else "*"', () => {
    const entries = { '*': 'any', decide: 'decide', 'governance-decide': 'governance' };
    expect(entryFor(entries, 'axon-orbit-dev-governance-decide')).toBe('governance');
    expect(entryFor(entries, 'fx-decide')).toBe('decide');
    expect(entryFor(entries, undefined)).toBe('any');
  });
});
