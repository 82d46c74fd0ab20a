import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { ENVIRONMENT_NAMES } from '../../contracts/environments.js';
import { AZ_COUNT, loadConfig } from '../../lib/config/index.js';
import { sharedAssembly } from '../../test/support/assembly.js';
import { TEST_PROCESS_ENV } from '../../test/support/platform.js';
import { loadStage } from './assembly.js';
import { BEGIN, costSection, DOC_FILE, END, estimatesFrom, withSection } from './docs.js';
import { estimateGraph } from './estimate.js';
import { HOURS_PER_MONTH, type LineItem } from './model.js';
import { loadPriceTable, type PriceKey } from './price-table.js';
import { defaultUsage } from './usage.js';

// The real stages, from the run's shared assembly (synthesized as `npm run docs:cost` does: same
// environment, no Lambda bundling). Dev is priced with its default usage and each line item checked
// against the config it follows from, so unrelated stack changes do not break this test; all three
// feed the generated docs section.
const outdir = sharedAssembly().directory;
const config = loadConfig('dev', TEST_PROCESS_ENV);
const prices = loadPriceTable(config.region);
const usage = defaultUsage('dev');
const estimate = estimateGraph('dev', loadStage(outdir, 'dev'), usage, prices);
const price = (key: PriceKey) => prices.prices[key].usd;
const lines = (type: string, item: string): LineItem[] =>
  estimate.lines.filter((line) => line.type === type && line.item.startsWith(item));
const sum = (items: LineItem[]) => items.reduce((total, line) => total + line.monthly, 0);

describe('cost of the dev stage', () => {
  it('prices every NAT gateway of the config for the month: count × 730 h × the hourly price', () => {
    const hours = lines('AWS::EC2::NatGateway', 'gateway hours');
    expect(hours).toHaveLength(config.network.natGateways);
    expect(sum(hours)).toBeCloseTo(config.network.natGateways * HOURS_PER_MONTH * price('nat.hour'), 8);
    expect(sum(lines('AWS::EC2::NatGateway', 'GB processed'))).toBeCloseTo(
      usage.natGbPerMonth * price('nat.gb'),
      8,
    );
  });

  it('prices each interface endpoint in every AZ of the VPC', () => {
    const endpoints = lines('AWS::EC2::VPCEndpoint', 'endpoint hours');
    expect(endpoints.length).toBeGreaterThan(0);
    for (const endpoint of endpoints) {
      expect(endpoint.quantity).toBe(AZ_COUNT * HOURS_PER_MONTH);
      expect(endpoint.unitPrice).toBe(price('endpoint.azHour'));
    }
  });

  it.each(['orbit', 'axon'] as const)(
    'prices %s tasks at its task size × its average count, the share beyond the base on Spot',
    (service) => {
      const size = config[service];
      const tasks = size.minTasks + usage.scaleOutShare * (size.maxTasks - size.minTasks);
      const ofService = (item: string) =>
        lines('AWS::ECS::Service', item).filter((line) => line.logicalId.toLowerCase().startsWith(service));
      const vcpuHours = [...ofService('vCPU-hours on demand'), ...ofService('vCPU-hours on Spot')].reduce(
        (total, line) => total + line.quantity,
        0,
      );
      expect(vcpuHours).toBeCloseTo(tasks * (size.cpu / 1024) * HOURS_PER_MONTH, 8);
      const gbHours = [...ofService('GB-hours on demand'), ...ofService('GB-hours on Spot')].reduce(
        (total, line) => total + line.quantity,
        0,
      );
      expect(gbHours).toBeCloseTo(tasks * (size.memoryMiB / 1024) * HOURS_PER_MONTH, 8);
      expect(config.deployment.fargateSpot).toBe(true);
      expect(ofService('vCPU-hours on Spot')[0]?.quantity).toBeGreaterThan(0);
    },
  );

  it('prices governance decisions: requests × cache-miss share, at the configured memory', () => {
    const decide = usage.functions['governance-decide'];
    const invocations = usage.requestsPerMonth * (decide?.invocationsPerRequest ?? Number.NaN);
    const gbSeconds = lines('AWS::Lambda::Function', 'GB-seconds').find((line) =>
      line.logicalId.startsWith('Decide'),
    );
    expect(gbSeconds?.quantity).toBeCloseTo(
      invocations * ((decide?.durationMs ?? 0) / 1000) * (config.governance.memoryMiB / 1024),
      8,
    );
    expect(gbSeconds?.priceKey).toBe('lambda.arm64.gbSecond');
  });

  it('prices each KMS key at a key-month and each service log group at requests × log bytes', () => {
    for (const key of lines('AWS::KMS::Key', 'key-months')) expect(key.monthly).toBe(price('kms.key.month'));
    const orbitLogs = lines('AWS::Logs::LogGroup', 'ingestion GB').find((line) =>
      line.logicalId.startsWith('OrbitLogs'),
    );
    expect(orbitLogs?.quantity).toBeCloseTo((usage.requestsPerMonth * usage.logBytesPerRequest) / 1e9, 10);
  });

  it('sums to the line items and names every unpriced resource type with a count', () => {
    expect(estimate.total).toBeCloseTo(sum([...estimate.lines]), 8);
    expect(estimate.total).toBeGreaterThan(0);
    for (const entry of estimate.unpriced) expect(entry.count).toBeGreaterThan(0);
  });
});

describe.each(ENVIRONMENT_NAMES)('cost of the %s stage', (env) => {
  const envConfig = loadConfig(env, TEST_PROCESS_ENV);
  const envUsage = defaultUsage(env);
  const envEstimate = estimateGraph(env, loadStage(outdir, env), envUsage, loadPriceTable(envConfig.region));
  const ofType = (type: string, item: string) =>
    envEstimate.lines.filter((line) => line.type === type && line.item.startsWith(item));

  it('has its NAT gateways for the whole month', () => {
    const hours = ofType('AWS::EC2::NatGateway', 'gateway hours');
    expect(hours).toHaveLength(envConfig.network.natGateways);
    for (const line of hours) expect(line.quantity).toBe(HOURS_PER_MONTH);
  });

  it('runs the average task count of each service for the whole month', () => {
    const vcpuHours = ofType('AWS::ECS::Service', 'vCPU-hours').reduce(
      (total, line) => total + line.quantity,
      0,
    );
    const expected = (['orbit', 'axon'] as const).reduce((total, service) => {
      const size = envConfig[service];
      const tasks = size.minTasks + envUsage.scaleOutShare * (size.maxTasks - size.minTasks);
      return total + tasks * (size.cpu / 1024) * HOURS_PER_MONTH;
    }, 0);
    expect(vcpuHours).toBeCloseTo(expected, 8);
  });
});

describe('docs/failure-resilience.md cost section', () => {
  it('is what `npm run docs:cost` generates from the model (run it after changing stacks, usage or prices)', () => {
    const document = readFileSync(DOC_FILE, 'utf8');
    const current = document.slice(document.indexOf(BEGIN), document.indexOf(END) + END.length);
    expect(current).toBe(costSection(estimatesFrom(outdir)));
  });

  it('names the markers when they are missing', () => {
    expect(() => withSection('# no markers', 'x')).toThrow(`docs/failure-resilience.md has no ${BEGIN}`);
  });
});
