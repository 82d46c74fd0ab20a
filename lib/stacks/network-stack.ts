import { Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { availabilityZonesOf, type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import { albListenerPort } from '../constructs/internal-load-balancer.js';
import { TierNetworkAcls } from '../constructs/tier-network-acls.js';
import { acknowledge } from '../nag.js';

export interface NetworkStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** Encrypts the flow-log group. */
  readonly logsKey: kms.IKey;
}

/** Subnet group names; other stacks select subnets through these, never by index. */
export const SUBNET_GROUPS = { public: 'public', private: 'private', isolated: 'axon' } as const;

/** Interface endpoints hosted in the isolated tier: what Axon needs without any internet route. */
const INTERFACE_ENDPOINTS: Readonly<Record<string, ec2.InterfaceVpcEndpointAwsService>> = {
  EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
  Lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA,
};

/**
 * A three-AZ VPC with three tiers: public (NAT gateways, any future public entry), private (internal
 * ALB, Orbit, Lambdas; egress through NAT), isolated (Axon; no route out except VPC endpoints).
 */
export class NetworkStack extends Stack {
  readonly vpc: ec2.IVpc;
  readonly privateSubnets: ec2.SubnetSelection = { subnetGroupName: SUBNET_GROUPS.private };
  readonly isolatedSubnets: ec2.SubnetSelection = { subnetGroupName: SUBNET_GROUPS.isolated };
  readonly publicSubnets: ec2.SubnetSelection = { subnetGroupName: SUBNET_GROUPS.public };
  private readonly zones: string[];

  /**
   * The zones on record for the region (lib/config/regions.ts). CDK would otherwise look them up
   * for a stack with an explicit account, which an offline synth cannot do.
   */
  override get availabilityZones(): string[] {
    return this.zones;
  }

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.zones = availabilityZonesOf(`${config.name}.region`, config.region);
    acknowledge(
      this,
      'CloudFormation-Validate::W3010',
      'The zone names are literal on purpose: they come from lib/config/regions.ts so an offline synth needs no AZ lookup, and a region missing from that list is refused at synth.',
    );

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: props.logsKey,
      retention: config.logRetention,
      removalPolicy: removalPolicyOf(config),
    });

    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(config.network.cidr),
      availabilityZones: this.zones,
      natGateways: config.network.natGateways,
      natGatewaySubnets: this.publicSubnets,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        {
          name: SUBNET_GROUPS.public,
          subnetType: ec2.SubnetType.PUBLIC,
          cidrMask: 24,
          mapPublicIpOnLaunch: false,
        },
        { name: SUBNET_GROUPS.private, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: SUBNET_GROUPS.isolated, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
      ],
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });

    const endpointsSg = new ec2.SecurityGroup(this, 'EndpointsSg', {
      vpc,
      description: 'VPC interface endpoints: HTTPS from inside the VPC only',
      allowAllOutbound: false,
    });
    endpointsSg.addIngressRule(ec2.Peer.ipv4(config.network.cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      vpc.addInterfaceEndpoint(name, {
        service,
        subnets: this.isolatedSubnets,
        privateDnsEnabled: true,
        open: false,
        securityGroups: [endpointsSg],
      });
    }
    for (const subnet of vpc.publicSubnets) {
      acknowledge(
        subnet,
        'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
        'Public subnets hold only the NAT gateways, which need a default route to the internet gateway; no workload runs there.',
      );
    }
    acknowledge(
      vpc.node.findChild('all'),
      'NIST.800.53.R5-IAMNoInlinePolicy',
      'CDK-generated flow-log delivery role; its only policy is the write grant on the one flow-log group.',
    );

    new TierNetworkAcls(this, 'Acls', {
      vpc,
      vpcCidr: config.network.cidr,
      publicSubnets: this.publicSubnets,
      privateSubnets: this.privateSubnets,
      isolatedSubnets: this.isolatedSubnets,
      orbitPort: config.ports.orbit,
      axonPort: config.ports.axon,
      albPort: albListenerPort(config),
    });

    this.vpc = vpc;
  }
}
