import { HOURS_PER_MONTH, type LineItem, type Pricer, type Unpriced } from '../model.js';

/**
 * Application Load Balancers: hours plus LCU-hours. An LCU is the largest of its dimensions; for an
 * internal API the processed bytes (1 GB/h per LCU) and new connections (25/s per LCU) dominate.
 */
export const loadBalancerPricer: Pricer = {
  types: ['AWS::ElasticLoadBalancingV2::LoadBalancer'],
  price(context) {
    const { graph, usage } = context;
    const lines: LineItem[] = [];
    const unpriced: Unpriced[] = [];
    for (const alb of graph.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
      if ((alb.properties.Type ?? 'application') !== 'application') {
        unpriced.push({ type: `${alb.type} (${String(alb.properties.Type)})`, count: 1 });
        continue;
      }
      const requestsPerHour = usage.requestsPerMonth / HOURS_PER_MONTH;
      const processedGbPerHour = (requestsPerHour * usage.payloadBytes) / 1e9;
      const newConnectionsPerSecond = (requestsPerHour * usage.newConnectionsPerRequest) / 3600;
      const lcu = Math.max(processedGbPerHour, newConnectionsPerSecond / 25);
      lines.push(context.line(alb, 'load balancer hours', HOURS_PER_MONTH, 'alb.hour'));
      lines.push(
        context.line(
          alb,
          `LCU-hours (${lcu.toPrecision(3)} LCU average)`,
          lcu * HOURS_PER_MONTH,
          'alb.lcuHour',
        ),
      );
    }
    return { lines, unpriced };
  },
};
