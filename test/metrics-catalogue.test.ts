import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { METRICS } from '../contracts/metrics.js';
import { renderMetricsDoc } from '../scripts/metrics-doc.js';

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
});
