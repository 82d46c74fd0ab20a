import { ConfigError } from './errors.js';

/**
 * Availability zone names every account sees in a region. Names are not a region's letters a, b, c
 * (ap-northeast-1 has no `b` for new accounts, ca-central-1 no `c`), and synth must not look them up
 * (no credentials offline), so they are written down here per supported region.
 */
const AVAILABILITY_ZONES: Readonly<Record<string, readonly string[]>> = {
  'us-east-1': ['a', 'b', 'c', 'd', 'f'],
  'us-east-2': ['a', 'b', 'c'],
  // Each account sees two of the three zones, and which two varies by account.
  'us-west-1': ['b', 'c'],
  'us-west-2': ['a', 'b', 'c', 'd'],
  'ca-central-1': ['a', 'b', 'd'],
  'eu-west-1': ['a', 'b', 'c'],
  'eu-west-2': ['a', 'b', 'c'],
  'eu-west-3': ['a', 'b', 'c'],
  'eu-central-1': ['a', 'b', 'c'],
  'eu-north-1': ['a', 'b', 'c'],
  'ap-northeast-1': ['a', 'c', 'd'],
  'ap-southeast-1': ['a', 'b', 'c'],
  'ap-southeast-2': ['a', 'b', 'c'],
};

/** The platform spreads every tier over this many zones. */
export const AZ_COUNT = 3;

/**
 * The first three availability zones of `region`; throws a `ConfigError` on `field` when the region
 * is not listed or offers fewer than three.
 */
export function availabilityZonesOf(field: string, region: string): string[] {
  const suffixes = AVAILABILITY_ZONES[region];
  if (!suffixes) {
    throw new ConfigError(
      field,
      `has no availability zones on record for ${region}; add the zone names every account sees there to lib/config/regions.ts (known: ${Object.keys(AVAILABILITY_ZONES).join(', ')})`,
    );
  }
  const zones = suffixes.map((suffix) => `${region}${suffix}`);
  if (zones.length < AZ_COUNT) {
    throw new ConfigError(
      field,
      `${region} offers ${zones.length} availability zones (${zones.join(', ')}); the platform spans ${AZ_COUNT}, choose another region`,
    );
  }
  return zones.slice(0, AZ_COUNT);
}

/** The AWS partition of a region: `aws-cn` in China, `aws-us-gov` in GovCloud, `aws` elsewhere. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}
