import { loadStage, type ResourceGraph } from './assembly.js';
import { type LineItem, type Pricer, PricingContext, type Unpriced } from './model.js';
import { loadPriceTable, type PriceTable } from './price-table.js';
import { dynamoDbPricer, ecrPricer, s3Pricer } from './pricers/data.js';
import { fargatePricer } from './pricers/fargate.js';
import { lambdaPricer } from './pricers/lambda.js';
import { loadBalancerPricer } from './pricers/load-balancer.js';
import { networkPricer } from './pricers/network.js';
import { observabilityPricer } from './pricers/observability.js';
import { cognitoPricer, kmsPricer, privateCaPricer, secretsPricer, wafPricer } from './pricers/security.js';
import { loadUsage, type Usage } from './usage.js';

export const PRICERS: readonly Pricer[] = [
  networkPricer,
  loadBalancerPricer,
  fargatePricer,
  lambdaPricer,
  dynamoDbPricer,
  s3Pricer,
  ecrPricer,
  kmsPricer,
  secretsPricer,
  wafPricer,
  cognitoPricer,
  privateCaPricer,
  observabilityPricer,
];

/**
 * Resource types AWS does not bill for by themselves (their cost, if any, shows up on a priced
 * resource: a subscription's deliveries on its topic, a flow log's data on its log group, a task
 * definition's size on its service). Anything neither priced nor listed here is reported as unpriced.
 */
export const FREE_TYPES: ReadonlySet<string> = new Set([
  'AWS::CDK::Metadata',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::OIDCProvider',
  'AWS::IAM::InstanceProfile',
  'AWS::EC2::VPC',
  'AWS::EC2::Subnet',
  'AWS::EC2::RouteTable',
  'AWS::EC2::Route',
  'AWS::EC2::SubnetRouteTableAssociation',
  'AWS::EC2::InternetGateway',
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::EC2::NetworkAcl',
  'AWS::EC2::NetworkAclEntry',
  'AWS::EC2::SubnetNetworkAclAssociation',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::KMS::Alias',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Url',
  'AWS::Logs::LogStream',
  'AWS::Logs::SubscriptionFilter',
  'AWS::ECS::Cluster',
  'AWS::ECS::ClusterCapacityProviderAssociations',
  'AWS::ECS::TaskDefinition',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ElasticLoadBalancingV2::ListenerCertificate',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::ApplicationAutoScaling::ScalableTarget',
  'AWS::ApplicationAutoScaling::ScalingPolicy',
  'AWS::S3::BucketPolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::SNS::Subscription',
  'AWS::SQS::QueuePolicy',
  'AWS::SecretsManager::ResourcePolicy',
  'AWS::SecretsManager::RotationSchedule',
  'AWS::SecretsManager::SecretTargetAttachment',
  'AWS::ECR::PullThroughCacheRule',
  'AWS::WAFv2::WebACLAssociation',
  'AWS::Cognito::UserPool',
  'AWS::Cognito::UserPoolDomain',
  'AWS::Cognito::UserPoolResourceServer',
  'AWS::ACMPCA::Certificate',
  'AWS::ACMPCA::CertificateAuthorityActivation',
  'AWS::ACMPCA::Permission',
  'Custom::VpcRestrictDefaultSG',
]);

export interface Estimate {
  readonly env: string;
  readonly region: string;
  readonly lines: readonly LineItem[];
  readonly unpriced: readonly Unpriced[];
  /** Unrounded sum of the line items, USD per month. */
  readonly total: number;
  /** The oldest date among the prices used. */
  readonly pricesAsOf: string;
}

export function estimateGraph(env: string, graph: ResourceGraph, usage: Usage, prices: PriceTable): Estimate {
  const context = new PricingContext(graph, usage, prices);
  const results = PRICERS.map((pricer) => pricer.price(context));
  const lines = results.flatMap((result) => result.lines).sort((a, b) => b.monthly - a.monthly);
  const handled = new Set(PRICERS.flatMap((pricer) => pricer.types));
  const unpricedCounts = new Map<string, number>();
  for (const resource of graph.resources) {
    if (handled.has(resource.type) || FREE_TYPES.has(resource.type)) continue;
    unpricedCounts.set(resource.type, (unpricedCounts.get(resource.type) ?? 0) + 1);
  }
  for (const entry of results.flatMap((result) => result.unpriced ?? [])) {
    unpricedCounts.set(entry.type, (unpricedCounts.get(entry.type) ?? 0) + entry.count);
  }
  const unpriced = [...unpricedCounts]
    .map(([type, count]) => ({ type, count }))
    .sort((a, b) => a.type.localeCompare(b.type));
  const dates = [...new Set(lines.map((line) => prices.prices[line.priceKey].date))].sort();
  return {
    env,
    region: graph.region(),
    lines,
    unpriced,
    total: lines.reduce((sum, line) => sum + line.monthly, 0),
    pricesAsOf: dates[0] ?? '',
  };
}

export interface EstimateOptions {
  readonly assemblyDir: string;
  readonly env: string;
  readonly usageFile?: string;
}

/** Reads the stage from the assembly, its region's price table and the usage, and prices it. */
export function estimate(options: EstimateOptions): Estimate {
  const graph = loadStage(options.assemblyDir, options.env);
  const prices = loadPriceTable(graph.region());
  return estimateGraph(options.env, graph, loadUsage(options.env, options.usageFile), prices);
}
