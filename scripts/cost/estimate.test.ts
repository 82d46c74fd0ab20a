import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { METRICS } from '../../contracts/metrics.js';
import { loadStage } from './assembly.js';
import { estimateGraph } from './estimate.js';
import { levers } from './levers.js';
import { loadPriceTable } from './price-table.js';
import { cents } from './report.js';
import type { Usage } from './usage.js';

const FIXTURE = new URL('./fixtures/app/', import.meta.url).pathname;
const usage = JSON.parse(
  readFileSync(new URL('./fixtures/usage-fixture.json', import.meta.url), 'utf8'),
) as Usage;
const estimate = estimateGraph('fixture', loadStage(FIXTURE, 'fixture'), usage, loadPriceTable('us-east-1'));
const emfMetrics = Object.values(METRICS).reduce((sum, metrics) => sum + Object.keys(metrics).length, 0);

const monthly = (logicalId: string, item?: string) =>
  estimate.lines
    .filter((line) => line.logicalId === logicalId && (item === undefined || line.item.startsWith(item)))
    .reduce((sum, line) => sum + line.monthly, 0);

describe('cost of the fixture app (us-east-1 prices, scripts/cost/fixtures)', () => {
  it('totals to the cent what the hand computation gives', () => {
    // Hand computation with the us-east-1 table and fixtures/usage-fixture.json (730 h, 30.4167 days):
    //   fx-base  NAT 730 h × 0.045 + 100 GB × 0.045                         = 37.35
    //            EIP 730 h × 0.005                                          =  3.65
    //            KMS endpoint 2 AZ × 730 h × 0.01 + 100 GB × 0.01            = 15.60
    //            symmetric key 1 + 100,000 × 0.000003                       =  1.30
    //            ECC signing key 1 + (1M requests × 0.1) × 0.000015         =  2.50
    //            service logs 1 GB × 0.50 + (1 × 0.1 × 30/30.4167) × 0.03   =  0.5029589
    //            replay table 1M RRU × 0.125e-6 + 1M WRU × 0.625e-6 + 10 GB × 0.25 = 3.25
    //   fx-app   Fargate 3 tasks (min 2 + 0.5 × (4 − 2)): base 1 + 2 split 1:1 → 2 on demand, 1 Spot
    //              2 × 1 vCPU × 730 × 0.03238 + 2 × 2 GB × 730 × 0.00356    = 57.67
    //              1 × 1 vCPU × 730 × 0.009714 + 1 × 2 GB × 730 × 0.001068 =  8.6505
    //            Lambda 100,000 × 0.2e-6 + 100,000 × 0.1 s × 1 GB × 0.0000133334 = 0.153334
    //            decide logs 0.1 GB × 0.50 + (0.1 × 0.1 × 10/30.4167) × 0.03 =  0.0500986
    //            metric filter 1 × 0.30; secret 0.40 + 10,000 × 0.000005    =  0.75
    //            alarms 0.10 + (2 metrics + 2 band) × 0.10 + 1 high-res × 0.30 = 0.80
    //            dashboard 3.00 + Insights 1 GB/730 h × 73 h × 10 runs × 0.005 =  3.005
    //            Firehose 1 GB × 0.029                                      =  0.029
    //            archive 0.1 GB × 30/30.4167 × 0.023 + same × 0.004 + 2,920 PUTs × 0.000005 = 0.0172631
    //            ALB 730 × 0.0225 + (1 GB/730 h LCU × 730 h) × 0.008        = 16.433
    //            WAF 5 + 3 rules × 1 + 1M × 0.6e-6                         =  8.60
    //            Cognito M2M client 6 + 1,000 tokens × 0.00225              =  8.25
    //            short-lived Private CA 50 + 100 certificates × 0.058       = 55.80
    //            SNS 1,000 × 0.5e-6 + 1,000 × 2 emails × 0.00002            =  0.0405
    //            ECR 10 GB × 0.10                                           =  1.00
    //   sum 225.4016545 + the EMF metric catalogue × 0.30 (27 metrics today: 8.10)
    expect(cents(estimate.total)).toBe(cents(225.4016545 + emfMetrics * 0.3));
  });

  it('follows Fn::GetStackOutput: the service in fx-app fills the log group in fx-base, which Firehose archives', () => {
    expect(monthly('ServiceLogs', 'ingestion')).toBeCloseTo(1 * 0.5, 10);
    expect(monthly('ArchiveStream')).toBeCloseTo(1 * 0.029, 10);
    expect(monthly('ErrorsQuery')).toBeCloseTo((1 / 730) * 73 * 10 * 0.005, 10);
  });

  it('prices Spot tasks beyond the base at the Spot rate', () => {
    expect(monthly('Service', 'vCPU-hours on Spot')).toBeCloseTo(730 * 0.009714, 10);
    expect(monthly('Service', 'vCPU-hours on demand')).toBeCloseTo(2 * 730 * 0.03238, 10);
  });

  it('bills asymmetric key requests at the asymmetric rate, and a short-lived CA at its mode price', () => {
    expect(monthly('TokenKey')).toBeCloseTo(1 + 100_000 * 0.000015, 10);
    expect(monthly('MeshCa')).toBeCloseTo(50 + 100 * 0.058, 10);
  });

  it('charges only client-credentials Cognito clients', () => {
    expect(monthly('MachineClient')).toBeCloseTo(8.25, 10);
    expect(estimate.lines.some((line) => line.logicalId === 'BrowserClient')).toBe(false);
  });

  it('lists resources it has no price for with their count instead of pricing them at zero', () => {
    expect(estimate.unpriced).toEqual([{ type: 'AWS::SQS::Queue', count: 1 }]);
  });
});

describe('optimization levers of the fixture app', () => {
  const effects = Object.fromEntries(
    levers(estimate, usage, loadPriceTable('us-east-1'), 3).map((lever) => [lever.name, lever.effect]),
  );

  it('prices NAT per AZ against one gateway: 2 more × 730 h × (gateway + its public IPv4)', () => {
    expect(effects['NAT: one gateway per AZ (egress survives an AZ outage)']).toBeCloseTo(2 * 730 * 0.05, 8);
    expect(effects['NAT: a single gateway']).toBeCloseTo(0, 10);
  });

  it('prices endpoints against NAT data: their hours and GB saved, 100 GB × 0.045 paid through NAT', () => {
    expect(effects['no interface endpoints: their data through NAT instead']).toBeCloseTo(
      -(14.6 + 1) + 4.5,
      8,
    );
    expect(effects['interface endpoints in one AZ instead of all']).toBeCloseTo((-14.6 * 2) / 3, 8);
  });

  it('prices Spot as the on-demand rate minus the Spot rate of the Spot task-hours', () => {
    expect(effects['Fargate: all tasks on demand (no Spot)']).toBeCloseTo(
      730 * (0.03238 - 0.009714) + 2 * 730 * (0.00356 - 0.001068),
      8,
    );
  });

  it('finds no retention saving when every log group keeps a month or less', () => {
    expect(effects['log retention of one month where it is longer']).toBeCloseTo(0, 10);
  });
});
