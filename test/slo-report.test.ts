import { readFileSync } from 'node:fs';
import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { evaluateSlo } from '../lambdas/slo-report/compute.js';
import { OBSERVABILITY } from '../lib/config/observability.js';
import { EXIT, runSloReport } from '../scripts/slo/cli.js';

type Recorded = {
  listMetrics: object;
  getMetricDataPages: {
    MetricDataResults: { Id: string; Timestamps: string[]; Values: number[] }[];
    NextToken?: string;
  }[];
  end: string;
};
const recorded = JSON.parse(
  readFileSync(new URL('./fixtures/slo-prod-week.json', import.meta.url), 'utf8'),
) as Recorded;
const revive = (page: Recorded['getMetricDataPages'][number]) => ({
  ...page,
  MetricDataResults: page.MetricDataResults.map((r) => ({
    ...r,
    Timestamps: r.Timestamps.map((t) => new Date(t)),
  })),
});

const cloudwatch = mockClient(CloudWatchClient);

async function run(argv: string[], pages = recorded.getMetricDataPages.map(revive)) {
  cloudwatch.on(ListMetricsCommand).resolves(recorded.listMetrics);
  const [first, second] = pages;
  cloudwatch
    .on(GetMetricDataCommand)
    .resolvesOnce(first ?? {})
    .resolves(second ?? {});
  const out: string[] = [];
  const err: string[] = [];
  const code = await runSloReport(argv, {
    env: {},
    now: () => new Date(recorded.end),
    client: (region) => new CloudWatchClient({ region }),
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run slo-report', () => {
  beforeEach(() => {
    cloudwatch.reset();
  });

  it('reports a compliant prod week from recorded CloudWatch data', async () => {
    const { code, out, err } = await run(['--env', 'prod', '--days', '7']);
    expect(err).toBe('');
    expect(code).toBe(EXIT.compliant);
    expect(out).toContain('app/axon-orbit-prod-orbit/50dc6c495c0c9188');
    expect(out).toMatch(/MET\s+availability\s+target >= 99.9%\s+actual 99.987%/);
    expect(out).toMatch(/MET\s+latency p99\s+target <= 300 ms\s+actual 201.0 ms/);
    expect(out).toContain('error budget consumed: 13.0%');
    expect(out).toMatch(/2026-11-19T00:00:00.000Z\s+901223\s+165/);
  });

  it('asks CloudWatch for the whole window as one period, so percentiles are true window percentiles', async () => {
    await run(['--env', 'prod']);
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    const p99 = input?.MetricDataQueries?.find((q) => q.Id === 'wp99');
    expect(p99?.MetricStat?.Period).toBe(7 * 86_400);
    expect(p99?.MetricStat?.Stat).toBe('p99');
    expect(input?.StartTime).toEqual(new Date('2026-11-16T00:00:00Z'));
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe('page-2');
  });

  it('counts load-balancer 5xx (no healthy target) against availability and exits 1 on a breach', async () => {
    const pages = recorded.getMetricDataPages.map(revive);
    const elb = pages[0]?.MetricDataResults.find((r) => r.Id === 'welb5xx');
    if (!elb) throw new Error('fixture lacks welb5xx');
    elb.Values = [6000];
    const { code, out } = await run(['--env', 'prod'], pages);
    expect(code).toBe(EXIT.breached);
    expect(out).toMatch(/MISSED\s+availability/);
  });

  it('prints machine-readable JSON with --json', async () => {
    const { code, out } = await run(['--env', 'prod', '--json']);
    expect(code).toBe(EXIT.compliant);
    const report = JSON.parse(out) as { compliant: boolean; days: unknown[]; availabilityPercent: number };
    expect(report.compliant).toBe(true);
    expect(report.days).toHaveLength(7);
    expect(report.availabilityPercent).toBeCloseTo(99.987, 3);
  });

  it.each([
    [[], /--env is required/],
    [['--env', 'qa'], /--env "qa" is not one of dev, staging, prod/],
    [['--env', 'prod', '--days', '0'], /--days must be an integer from 1 to 90, got "0"/],
    [['--env', 'prod', '--end', 'yesterday'], /--end "yesterday" is not an ISO-8601 date/],
    [['--env', 'prod', '--bogus'], /Unknown option '--bogus'/],
  ])('rejects %j with a usage message and exit 2', async (argv, message) => {
    const { code, err } = await run(argv);
    expect(code).toBe(EXIT.usage);
    expect(err).toMatch(message);
    expect(err).toContain('usage: npm run slo-report');
  });

  it('says which load balancer has no metrics', async () => {
    cloudwatch.on(ListMetricsCommand).resolves({ Metrics: [] });
    const err: string[] = [];
    const code = await runSloReport(['--env', 'dev'], {
      env: {},
      now: () => new Date(recorded.end),
      client: (region) => new CloudWatchClient({ region }),
      out: () => undefined,
      err: (l) => err.push(l),
    });
    expect(code).toBe(EXIT.usage);
    expect(err).toEqual([
      'slo-report: no CloudWatch metrics for load balancer axon-orbit-dev-orbit: has it served traffic?',
    ]);
  });

  it('reports a CloudWatch failure in one line, without a stack trace', async () => {
    cloudwatch
      .on(ListMetricsCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' }));
    const err: string[] = [];
    const code = await runSloReport(['--env', 'dev'], {
      env: {},
      now: () => new Date(recorded.end),
      client: (region) => new CloudWatchClient({ region }),
      out: () => undefined,
      err: (l) => err.push(l),
    });
    expect(code).toBe(EXIT.usage);
    expect(err).toEqual(['slo-report: CloudWatch request failed (AccessDenied): User is not authorized']);
  });
});

describe('evaluateSlo', () => {
  const slo = OBSERVABILITY.prod.slo;
  const latencyMs = { p50: 10, p95: 20, p99: 30 };

  it('treats a window without traffic as "no traffic", not as 100%', () => {
    const report = evaluateSlo(slo, { requests: 0, serverErrors: 0, latencyMs });
    expect(report.availabilityPercent).toBeNull();
    expect(report.errorBudgetConsumedPercent).toBeNull();
    expect(report.objectives[0]?.actual).toBe('no traffic');
  });

  it('is compliant exactly when availability and every latency target are met', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.tuple(
          fc.double({ min: 0, max: 1000, noNaN: true }),
          fc.double({ min: 0, max: 1000, noNaN: true }),
        ),
        (requests, errorShare, [p50, extra]) => {
          const serverErrors = Math.floor(requests * errorShare);
          const window = {
            requests,
            serverErrors,
            latencyMs: { p50, p95: p50 + extra / 2, p99: p50 + extra },
          };
          const report = evaluateSlo(slo, window);
          const availability = (1 - serverErrors / requests) * 100;
          expect(report.availabilityPercent).toBeCloseTo(availability, 9);
          const expected =
            availability >= slo.availabilityPercent &&
            window.latencyMs.p50 <= slo.latencyP50Ms &&
            window.latencyMs.p95 <= slo.latencyP95Ms &&
            window.latencyMs.p99 <= slo.latencyP99Ms;
          expect(report.compliant).toBe(expected);
          expect((report.errorBudgetConsumedPercent ?? 0) > 100).toBe(availability < slo.availabilityPercent);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
