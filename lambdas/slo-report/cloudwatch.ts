import {
  type CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { DayMeasurements, WindowMeasurements } from './compute.js';

const DAY_SECONDS = 86_400;
const ALB = 'AWS/ApplicationELB';

export class SloDataError extends Error {
  override name = 'SloDataError';
}

/**
 * Finds the `LoadBalancer` dimension (`app/<name>/<id>`) of the environment's Orbit ALB, which is
 * named `<prefix>-orbit`; the id suffix is only known to CloudWatch.
 */
export async function findLoadBalancer(client: CloudWatchClient, loadBalancerName: string): Promise<string> {
  const wanted = `app/${loadBalancerName}/`;
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListMetricsCommand({ Namespace: ALB, MetricName: 'RequestCount', NextToken: nextToken }),
    );
    for (const metric of page.Metrics ?? []) {
      const value = metric.Dimensions?.find(
        (d) => d.Name === 'LoadBalancer' && d.Value?.startsWith(wanted),
      )?.Value;
      if (value) return value;
    }
    nextToken = page.NextToken;
  } while (nextToken);
  throw new SloDataError(
    `no CloudWatch metrics for load balancer ${loadBalancerName}: has it served traffic?`,
  );
}

function queries(loadBalancer: string, period: number, prefix: string): MetricDataQuery[] {
  const metric = (id: string, name: string, stat: string): MetricDataQuery => ({
    Id: `${prefix}${id}`,
    MetricStat: {
      Metric: {
        Namespace: ALB,
        MetricName: name,
        Dimensions: [{ Name: 'LoadBalancer', Value: loadBalancer }],
      },
      Period: period,
      Stat: stat,
    },
  });
  return [
    metric('requests', 'RequestCount', 'Sum'),
    metric('target5xx', 'HTTPCode_Target_5XX_Count', 'Sum'),
    metric('elb5xx', 'HTTPCode_ELB_5XX_Count', 'Sum'),
    metric('p50', 'TargetResponseTime', 'p50'),
    metric('p95', 'TargetResponseTime', 'p95'),
    metric('p99', 'TargetResponseTime', 'p99'),
  ];
}

type Series = Map<string, Map<number, number>>;

async function fetch(
  client: CloudWatchClient,
  list: MetricDataQuery[],
  start: Date,
  end: Date,
): Promise<Series> {
  const series: Series = new Map();
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetMetricDataCommand({
        MetricDataQueries: list,
        StartTime: start,
        EndTime: end,
        NextToken: nextToken,
      }),
    );
    for (const result of page.MetricDataResults ?? []) {
      if (!result.Id) continue;
      const points = series.get(result.Id) ?? new Map<number, number>();
      (result.Timestamps ?? []).forEach((t, i) => {
        const value = result.Values?.[i];
        if (value !== undefined) points.set(t.getTime(), value);
      });
      series.set(result.Id, points);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return series;
}

function measurementsAt(series: Series, prefix: string, at: number | undefined): WindowMeasurements {
  const value = (id: string) => {
    const points = series.get(`${prefix}${id}`);
    if (!points || points.size === 0) return undefined;
    return at === undefined ? [...points.values()][0] : points.get(at);
  };
  const seconds = (id: string) => (value(id) ?? Number.NaN) * 1000;
  return {
    requests: value('requests') ?? 0,
    serverErrors: (value('target5xx') ?? 0) + (value('elb5xx') ?? 0),
    latencyMs: { p50: seconds('p50'), p95: seconds('p95'), p99: seconds('p99') },
  };
}

/**
 * The whole window as one period (so percentiles are true window percentiles, not averages of
 * daily ones) plus a per-day breakdown for the table.
 */
export async function measure(
  client: CloudWatchClient,
  loadBalancer: string,
  end: Date,
  days: number,
): Promise<{ window: WindowMeasurements; days: DayMeasurements[] }> {
  const start = new Date(end.getTime() - days * DAY_SECONDS * 1000);
  const series = await fetch(
    client,
    [...queries(loadBalancer, days * DAY_SECONDS, 'w'), ...queries(loadBalancer, DAY_SECONDS, 'd')],
    start,
    end,
  );
  const dayStarts = Array.from({ length: days }, (_, i) => start.getTime() + i * DAY_SECONDS * 1000);
  return {
    window: measurementsAt(series, 'w', undefined),
    days: dayStarts.map((t) => ({ day: new Date(t).toISOString(), ...measurementsAt(series, 'd', t) })),
  };
}
