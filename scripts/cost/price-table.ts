import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { CostInputError } from './errors.js';

/** Every price the model uses; a region's table must define all of them. */
export const PRICE_KEYS = [
  'nat.hour',
  'nat.gb',
  'publicIpv4.hour',
  'endpoint.azHour',
  'endpoint.gb',
  'alb.hour',
  'alb.lcuHour',
  'fargate.arm64.vcpuHour',
  'fargate.arm64.gbHour',
  'fargateSpot.arm64.vcpuHour',
  'fargateSpot.arm64.gbHour',
  'lambda.arm64.gbSecond',
  'lambda.x86.gbSecond',
  'lambda.request',
  'dynamodb.write',
  'dynamodb.read',
  'dynamodb.storage.gbMonth',
  'dynamodb.pitr.gbMonth',
  'kms.key.month',
  'kms.symmetric.request',
  'kms.asymmetric.request',
  'secrets.secret.month',
  'secrets.apiCall',
  'cloudwatch.alarm.metric',
  'cloudwatch.alarm.highResMetric',
  'cloudwatch.alarm.composite',
  'cloudwatch.dashboard.month',
  'cloudwatch.metric.month',
  'logs.ingest.gb',
  'logs.vended.gb',
  'logs.storage.gbMonth',
  'logs.insights.gb',
  'firehose.directPut.gb',
  's3.standard.gbMonth',
  's3.glacierIr.gbMonth',
  's3.put.request',
  'ecr.storage.gbMonth',
  'waf.webAcl.month',
  'waf.rule.month',
  'waf.request',
  'cognito.m2m.appClient.month',
  'cognito.m2m.tokenRequest',
  'pca.shortLived.month',
  'pca.shortLived.certificate',
  'pca.general.month',
  'pca.general.certificate',
  'sns.publish.request',
  'sns.email.notification',
] as const;
export type PriceKey = (typeof PRICE_KEYS)[number];

export interface Price {
  /** US dollars per one `per`. */
  readonly usd: number;
  readonly per: string;
  /** The AWS pricing page the figure comes from. */
  readonly source: string;
  /** When it was taken (YYYY-MM-DD). */
  readonly date: string;
  readonly note?: string;
}

export interface PriceTable {
  readonly region: string;
  readonly currency: 'USD';
  readonly prices: Readonly<Record<PriceKey, Price>>;
}

const PRICES_DIR = new URL('./prices/', import.meta.url);

/** Regions that have a price table (`scripts/cost/prices/<region>.json`). */
export function pricedRegions(): string[] {
  return readdirSync(PRICES_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.replace(/\.json$/, ''))
    .sort();
}

export function loadPriceTable(region: string): PriceTable {
  const file = new URL(`${region}.json`, PRICES_DIR);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region) || !existsSync(file)) {
    throw new CostInputError(
      `no price table for region ${region}; tables exist for ${pricedRegions().join(', ')} (scripts/cost/prices/README.md says how to add one)`,
    );
  }
  return parsePriceTable(JSON.parse(readFileSync(file, 'utf8')) as unknown, region);
}

export function parsePriceTable(raw: unknown, region: string): PriceTable {
  const table = raw as { region?: unknown; currency?: unknown; prices?: Record<string, Partial<Price>> };
  const problems: string[] = [];
  if (table.region !== region) problems.push(`region is ${String(table.region)}, expected ${region}`);
  if (table.currency !== 'USD') problems.push('currency must be USD');
  for (const key of PRICE_KEYS) {
    const price = table.prices?.[key];
    if (!price) problems.push(`${key} is missing`);
    else if (typeof price.usd !== 'number' || !(price.usd >= 0))
      problems.push(`${key}.usd must be a number ≥ 0`);
    else if (!price.source?.startsWith('https://') || !/^\d{4}-\d{2}-\d{2}$/.test(price.date ?? '')) {
      problems.push(`${key} needs a source URL and a date (YYYY-MM-DD)`);
    }
  }
  if (problems.length > 0) throw new CostInputError(`price table ${region}: ${problems.join('; ')}`);
  return table as PriceTable;
}
