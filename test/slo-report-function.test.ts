import { readFileSync } from 'node:fs';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { SLO_REPORT_FUNCTION_ENV as ENV } from '../contracts/service-env.js';
import { loadSloReportConfig } from '../lambdas/slo-report/config.js';
import { s3ReportWriter, snsSummaryPublisher } from '../lambdas/slo-report/delivery.js';
import { isoWeekOf, parseIsoWeek, startOfIsoWeek } from '../lambdas/slo-report/iso-week.js';
import { createSloReportHandler, SloReportRequestError } from '../lambdas/slo-report/report.js';
import { OBSERVABILITY } from '../lib/config/observability.js';

type RecordedPage = {
  MetricDataResults: { Id: string; Timestamps: string[]; Values: number[] }[];
  NextToken?: string;
};
const recorded = JSON.parse(
  readFileSync(new URL('./fixtures/slo-prod-week.json', import.meta.url), 'utf8'),
) as { getMetricDataPages: RecordedPage[] };
const pagesOf = () =>
  recorded.getMetricDataPages.map((page) => ({
    ...page,
    MetricDataResults: page.MetricDataResults.map((r) => ({
      ...r,
      Timestamps: r.Timestamps.map((t) => new Date(t)),
    })),
  }));

const LOAD_BALANCER = 'app/axon-orbit-prod-orbit/50dc6c495c0c9188';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:axon-orbit-prod-alarms-warning';
const BUCKET = 'axon-orbit-prod-observability-logarchivebucket-1a2b3c4d5e6f';
// The schedule fires on Monday 2026-11-23 at 08:00 UTC: the week to report is 2026-W47 (16th to 23rd).
const MONDAY_0800 = new Date('2026-11-23T08:00:00Z');

const cloudwatch = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const s3 = mockClient(S3Client);

function reporter(now = MONDAY_0800, pages = pagesOf()) {
  const [first, second] = pages;
  cloudwatch
    .on(GetMetricDataCommand)
    .resolvesOnce(first ?? {})
    .resolves(second ?? {});
  const order: string[] = [];
  s3.on(PutObjectCommand).callsFake(() => {
    order.push('s3');
    return { ETag: '"9b2cf535f27731c974343645a3985328"', VersionId: 'Xc0Vd9eVqL3dO6pRz7l1sg2kQ8aYtN4b' };
  });
  sns.on(PublishCommand).callsFake(() => {
    order.push('sns');
    return { MessageId: '95df01b4-ee98-5cb9-9903-4c221d41eb5e' };
  });
  const logged: Record<string, unknown>[] = [];
  const handler = createSloReportHandler({
    cloudwatch: new CloudWatchClient({ region: 'eu-west-1' }),
    publisher: snsSummaryPublisher(new SNSClient({ region: 'eu-west-1' }), TOPIC),
    writer: s3ReportWriter(new S3Client({ region: 'eu-west-1' }), BUCKET),
    now: () => now,
    settings: { environment: 'prod', loadBalancer: LOAD_BALANCER, slo: OBSERVABILITY.prod.slo },
    logger: { info: (message, attributes) => logged.push({ message, ...attributes }) },
  });
  return { handler, order, logged };
}

const written = () => {
  const input = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
  if (!input) throw new Error('nothing written');
  return { input, body: JSON.parse(String(input.Body)) as Record<string, unknown> };
};
const published = () => {
  const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
  if (!input) throw new Error('nothing published');
  return input;
};

describe('weekly SLO report function', () => {
  beforeEach(() => {
    cloudwatch.reset();
    sns.reset();
    s3.reset();
  });

  it('measures the last complete ISO week on the Orbit load balancer', async () => {
    const { handler } = reporter();
    await handler({});
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input;
    expect(input?.StartTime).toEqual(new Date('2026-11-16T00:00:00Z'));
    expect(input?.EndTime).toEqual(new Date('2026-11-23T00:00:00Z'));
    const p99 = input?.MetricDataQueries?.find((q) => q.Id === 'wp99')?.MetricStat;
    expect(p99?.Period).toBe(7 * 86_400);
    expect(p99?.Metric?.Dimensions).toEqual([{ Name: 'LoadBalancer', Value: LOAD_BALANCER }]);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe('page-2');
  });

  it('writes the JSON report to slo-reports/<env>/<ISO week>.json in the archive bucket', async () => {
    const { handler } = reporter();
    const result = await handler({});
    const { input, body } = written();
    expect(input).toMatchObject({
      Bucket: BUCKET,
      Key: 'slo-reports/prod/2026-W47.json',
      ContentType: 'application/json',
    });
    expect(body).toMatchObject({
      week: '2026-W47',
      environment: 'prod',
      start: '2026-11-16T00:00:00.000Z',
      end: '2026-11-23T00:00:00.000Z',
      loadBalancer: LOAD_BALANCER,
      compliant: true,
    });
    expect(body.availabilityPercent).toBeCloseTo(99.987, 3);
    expect(body.errorBudgetConsumedPercent).toBeCloseTo(13.0, 1);
    expect(body.days).toHaveLength(7);
    expect(result).toEqual({
      week: '2026-W47',
      location: `s3://${BUCKET}/slo-reports/prod/2026-W47.json`,
      compliant: true,
    });
  });

  it('publishes the summary to the warning topic after the report is stored, pointing at it', async () => {
    const { handler, order, logged } = reporter();
    await handler({});
    expect(order).toEqual(['s3', 'sns']);
    const input = published();
    expect(input.TopicArn).toBe(TOPIC);
    expect(input.Subject).toBe('Axon/Orbit prod SLO 2026-W47: all objectives met');
    expect(input.Message).toMatch(/MET\s+availability\s+target >= 99.9%\s+actual 99.987%/);
    expect(input.Message).toMatch(/MET\s+latency p99\s+target <= 300 ms\s+actual 201.0 ms/);
    expect(input.Message).toContain('error budget consumed: 13.0%');
    expect(input.Message).toMatch(/2026-11-19T00:00:00.000Z\s+901223\s+165/);
    expect(input.Message).toContain(`JSON report: s3://${BUCKET}/slo-reports/prod/2026-W47.json`);
    expect(logged).toEqual([
      {
        message: 'SLO report published',
        week: '2026-W47',
        location: `s3://${BUCKET}/slo-reports/prod/2026-W47.json`,
        compliant: true,
        missed: [],
      },
    ]);
  });

  it('names the missed objectives in the subject when the week breached the SLO', async () => {
    const pages = pagesOf();
    const elb = pages[0]?.MetricDataResults.find((r) => r.Id === 'welb5xx');
    if (!elb) throw new Error('fixture lacks welb5xx');
    elb.Values = [6000];
    const { handler } = reporter(MONDAY_0800, pages);
    const result = await handler({});
    expect(result.compliant).toBe(false);
    expect(published().Subject).toBe('Axon/Orbit prod SLO 2026-W47: missed availability');
    expect(published().Message).toMatch(/MISSED\s+availability/);
    expect(written().body.compliant).toBe(false);
  });

  it('re-runs a given earlier week on request', async () => {
    const { handler } = reporter();
    const result = await handler({ week: '2026-W46' });
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.StartTime).toEqual(
      new Date('2026-11-09T00:00:00Z'),
    );
    expect(written().input.Key).toBe('slo-reports/prod/2026-W46.json');
    expect(result.week).toBe('2026-W46');
  });

  it.each([
    [{ week: 'last' }, '"week": "last" is not an ISO week (YYYY-Www, e.g. 2026-W47)'],
    [{ week: '2025-W53' }, '"week": 2025 has no ISO week 53'],
    [{ week: 47 }, '"week" must be a string like "2026-W47"'],
    [{ week: '2026-W48' }, '"week": 2026-W48 has not ended yet (it ends 2026-11-30T00:00:00.000Z)'],
  ])('refuses %j without measuring, writing or publishing', async (event, message) => {
    const { handler } = reporter();
    const failure = handler(event);
    await expect(failure).rejects.toThrow(SloReportRequestError);
    await expect(failure).rejects.toThrow(message);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('fails the invocation (so the errors alarm fires) and publishes nothing when CloudWatch refuses', async () => {
    const { handler } = reporter();
    cloudwatch.on(GetMetricDataCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: cloudwatch:GetMetricData'), {
        name: 'AccessDenied',
      }),
    );
    await expect(handler({})).rejects.toThrow('cloudwatch:GetMetricData');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('does not announce a report it could not store', async () => {
    const { handler } = reporter();
    s3.on(PutObjectCommand).rejects(
      Object.assign(new Error('The ciphertext refers to a customer master key that does not exist'), {
        name: 'KMS.NotFoundException',
      }),
    );
    await expect(handler({})).rejects.toThrow('customer master key');
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

describe('weekly SLO report function: configuration', () => {
  const env = {
    [ENV.environment]: 'prod',
    [ENV.loadBalancer]: LOAD_BALANCER,
    [ENV.sloTargets]: JSON.stringify(OBSERVABILITY.prod.slo),
    [ENV.summaryTopicArn]: TOPIC,
    [ENV.reportBucket]: BUCKET,
  };

  it('reads every setting from the environment the construct sets', () => {
    expect(loadSloReportConfig(env)).toEqual({
      environment: 'prod',
      loadBalancer: LOAD_BALANCER,
      slo: OBSERVABILITY.prod.slo,
      summaryTopicArn: TOPIC,
      reportBucket: BUCKET,
    });
  });

  it.each([
    [{ [ENV.reportBucket]: undefined }, 'REPORT_BUCKET is not set'],
    [{ [ENV.environment]: 'qa' }, 'ENVIRONMENT "qa" is not one of dev, staging, prod'],
    [{ [ENV.sloTargets]: '{"availabilityPercent": 99.9' }, 'SLO_TARGETS is not JSON'],
    [
      { [ENV.sloTargets]: JSON.stringify({ ...OBSERVABILITY.prod.slo, latencyP99Ms: '300' }) },
      'SLO_TARGETS.latencyP99Ms must be a positive number, got "300"',
    ],
  ])('names the variable that is wrong (%#)', (change, message) => {
    expect(() => loadSloReportConfig({ ...env, ...change })).toThrow(message);
  });
});

describe('ISO weeks', () => {
  it.each([
    ['2026-11-23T08:00:00Z', '2026-W48'],
    ['2026-11-22T23:59:59Z', '2026-W47'],
    ['2026-01-01T00:00:00Z', '2026-W01'],
    ['2027-01-01T00:00:00Z', '2026-W53'],
    ['2024-12-30T00:00:00Z', '2025-W01'],
  ])('%s is in %s', (date, week) => {
    expect(isoWeekOf(new Date(date))).toBe(week);
  });

  it('parses a week back to the Monday that starts it, and every instant of it maps to that week', () => {
    const instant = fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2100-01-01T00:00:00Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(instant, (date) => {
        const week = isoWeekOf(date);
        const start = parseIsoWeek(week);
        expect(start).toEqual(startOfIsoWeek(date));
        expect(start.getUTCDay()).toBe(1);
        expect(date.getTime() - start.getTime()).toBeLessThan(7 * 86_400_000);
      }),
      { numRuns: 2000 },
    );
  });
});
