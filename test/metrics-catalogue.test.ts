import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ADMIN_METRICS } from '../lambdas/governance/admin/metrics.js';
import { renderMetricsDoc } from '../scripts/metrics-doc.js';
import { METRIC_NAMESPACE, METRICS } from '../services/shared/metric-catalogue.js';

describe('metrics catalogue', () => {
  it('docs/metrics.md is generated from the catalogue (run npm run docs:metrics after a change)', () => {
    expect(readFileSync(new URL('../docs/metrics.md', import.meta.url), 'utf8')).toBe(renderMetricsDoc());
  });

  it('names each metric once per emitter', () => {
    for (const metrics of Object.values(METRICS)) {
      const names = Object.values(metrics).map((m) => m.name);
      expect(new Set(names).size).toBe(names.length);
    }
  });

  it('the admin handler emits exactly the catalogue names its alarm watches', () => {
    const { namespace, service, ...names } = ADMIN_METRICS;
    expect(namespace).toBe(METRIC_NAMESPACE);
    expect(service).toBe('governance-admin');
    expect(names).toEqual(
      Object.fromEntries(Object.entries(METRICS['governance-admin']).map(([k, m]) => [k, m.name])),
    );
  });
});
