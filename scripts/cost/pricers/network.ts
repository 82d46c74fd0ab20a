import { HOURS_PER_MONTH, type LineItem, type Pricer } from '../model.js';

/** NAT gateways (hours + GB processed), their public IPv4 addresses and interface endpoints (AZ-hours + GB). */
export const networkPricer: Pricer = {
  types: ['AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::EC2::VPCEndpoint'],
  price(context) {
    const { graph, usage } = context;
    const lines: LineItem[] = [];
    const nats = graph.ofType('AWS::EC2::NatGateway');
    for (const nat of nats) {
      lines.push(context.line(nat, 'gateway hours', HOURS_PER_MONTH, 'nat.hour'));
      lines.push(
        context.line(
          nat,
          'GB processed (usage split over gateways)',
          usage.natGbPerMonth / nats.length,
          'nat.gb',
        ),
      );
    }
    for (const eip of graph.ofType('AWS::EC2::EIP')) {
      lines.push(context.line(eip, 'public IPv4 address hours', HOURS_PER_MONTH, 'publicIpv4.hour'));
    }
    // Gateway endpoints (S3, DynamoDB) cost nothing; interface endpoints bill one ENI per subnet (AZ).
    const interfaces = graph
      .ofType('AWS::EC2::VPCEndpoint')
      .filter((endpoint) => endpoint.properties.VpcEndpointType === 'Interface');
    for (const endpoint of interfaces) {
      const azs = ((endpoint.properties.SubnetIds ?? []) as unknown[]).length || 1;
      lines.push(
        context.line(endpoint, `endpoint hours (${azs} AZs)`, azs * HOURS_PER_MONTH, 'endpoint.azHour'),
      );
      lines.push(
        context.line(
          endpoint,
          'GB processed (usage split over endpoints)',
          usage.endpointGbPerMonth / interfaces.length,
          'endpoint.gb',
        ),
      );
    }
    return { lines };
  },
};
