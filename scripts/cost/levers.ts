import type { Estimate } from './estimate.js';
import { HOURS_PER_MONTH, type LineItem } from './model.js';
import type { PriceKey, PriceTable } from './price-table.js';
import type { Usage } from './usage.js';

/** A cost-optimization lever and its effect in dollars per month on one environment (negative saves). */
export interface Lever {
  readonly name: string;
  readonly effect: number;
}

const sum = (lines: readonly LineItem[]) => lines.reduce((total, line) => total + line.monthly, 0);
const of = (estimate: Estimate, type: string, item?: string) =>
  estimate.lines.filter((line) => line.type === type && (item === undefined || line.item.startsWith(item)));

/**
 * What each lever would change, computed from the same line items as the estimate: NAT gateways per AZ
 * or a single one, interface endpoints versus sending their data through NAT, endpoints in one AZ, Spot
 * beyond the base task, and a one-month log retention.
 */
export function levers(estimate: Estimate, usage: Usage, prices: PriceTable, azs: number): Lever[] {
  const price = (key: PriceKey) => prices.prices[key].usd;
  const gateways = of(estimate, 'AWS::EC2::NatGateway', 'gateway hours').length;
  const perGateway = HOURS_PER_MONTH * (price('nat.hour') + price('publicIpv4.hour'));
  const endpointHours = sum(of(estimate, 'AWS::EC2::VPCEndpoint', 'endpoint hours'));
  const endpointData = sum(of(estimate, 'AWS::EC2::VPCEndpoint', 'GB processed'));
  const spotSaving = of(estimate, 'AWS::ECS::Service')
    .filter((line) => line.priceKey.startsWith('fargateSpot.'))
    .reduce((total, line) => {
      const onDemand =
        line.priceKey === 'fargateSpot.arm64.vcpuHour' ? 'fargate.arm64.vcpuHour' : 'fargate.arm64.gbHour';
      return total + line.quantity * (price(onDemand) - line.unitPrice);
    }, 0);
  const logStorage = of(estimate, 'AWS::Logs::LogGroup', 'stored GB-months');
  const oneMonth = logStorage.reduce((total, line) => {
    const days = Number(/\((\d+) days retention/.exec(line.item)?.[1]);
    return total + (days > 30 ? line.monthly * (1 - 30 / days) : 0);
  }, 0);
  return [
    { name: 'NAT: one gateway per AZ (egress survives an AZ outage)', effect: (azs - gateways) * perGateway },
    { name: 'NAT: a single gateway', effect: -(gateways - 1) * perGateway },
    {
      name: 'no interface endpoints: their data through NAT instead',
      effect: -(endpointHours + endpointData) + usage.endpointGbPerMonth * price('nat.gb'),
    },
    { name: 'interface endpoints in one AZ instead of all', effect: -endpointHours * (1 - 1 / azs) },
    { name: 'Fargate: all tasks on demand (no Spot)', effect: spotSaving },
    { name: 'log retention of one month where it is longer', effect: -oneMonth },
  ];
}

/** GB per month through NAT above which the interface endpoints cost less than NAT processing the same data. */
export function endpointBreakEvenGb(estimate: Estimate, prices: PriceTable): number {
  const endpointHours = sum(of(estimate, 'AWS::EC2::VPCEndpoint', 'endpoint hours'));
  return endpointHours / (prices.prices['nat.gb'].usd - prices.prices['endpoint.gb'].usd);
}
