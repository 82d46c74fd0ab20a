import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

export interface TierNetworkAclsProps {
  readonly vpc: ec2.IVpc;
  /** The VPC's IPv4 CIDR as a literal (not a token), so rules are reviewable in the template. */
  readonly vpcCidr: string;
  readonly publicSubnets: ec2.SubnetSelection;
  readonly privateSubnets: ec2.SubnetSelection;
  readonly isolatedSubnets: ec2.SubnetSelection;
  /** Port Orbit listens on (ALB → Orbit). */
  readonly orbitPort: number;
  /** Port Axon listens on (Orbit → Axon). */
  readonly axonPort: number;
  /** Port the internal ALB (private tier) listens on: 443, or 80 where dev serves HTTP. */
  readonly albPort: number;
}

const ANYWHERE = ec2.AclCidr.anyIpv4();
const EPHEMERAL = ec2.AclTraffic.tcpPortRange(1024, 65535);
/**
 * Return traffic from anywhere, on the ephemeral range minus RDP (3389): Control Tower's CT.EC2.PR.5
 * refuses a NACL that admits 22 or 3389 from 0.0.0.0/0, and no reply ever targets 3389 here.
 */
const EPHEMERAL_FROM_ANYWHERE: readonly Rule[] = [
  { cidr: ec2.AclCidr.anyIpv4(), traffic: ec2.AclTraffic.tcpPortRange(1024, 3388) },
  { cidr: ec2.AclCidr.anyIpv4(), traffic: ec2.AclTraffic.tcpPortRange(3390, 65535) },
];
const HTTPS = ec2.AclTraffic.tcpPort(443);

interface Rule {
  readonly cidr: ec2.AclCidr;
  readonly traffic: ec2.AclTraffic;
}

/**
 * One network ACL per subnet tier, deny by default. NACLs are stateless, so every allowed flow
 * needs its ephemeral-port return rule. Ingress from 0.0.0.0/0 is allowed only on ephemeral ports
 * (return traffic of connections the tier opened: NAT for the private tier, the S3 gateway endpoint
 * for the isolated tier, whose route table has no other way out).
 */
export class TierNetworkAcls extends Construct {
  readonly publicAcl: ec2.NetworkAcl;
  readonly privateAcl: ec2.NetworkAcl;
  readonly isolatedAcl: ec2.NetworkAcl;

  private readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: TierNetworkAclsProps) {
    super(scope, id);
    this.vpc = props.vpc;
    acknowledge(
      this,
      'AwsSolutions-VPC3',
      'Tier NACLs are deliberate defence in depth under the security groups: a mis-scoped security group still cannot open a tier.',
    );
    const vpc = ec2.AclCidr.ipv4(props.vpcCidr);
    const privateCidrs = props.vpc.selectSubnets(props.privateSubnets).subnets.map((s) => s.ipv4CidrBlock);
    const isolatedCidrs = props.vpc.selectSubnets(props.isolatedSubnets).subnets.map((s) => s.ipv4CidrBlock);

    this.publicAcl = this.acl('Public', props.publicSubnets, {
      ingress: [
        // private tier to NAT gateways

        { cidr: vpc, traffic: HTTPS },
        // internet replies to NAT-ed connections
        ...EPHEMERAL_FROM_ANYWHERE,
      ],
      egress: [
        // NAT gateways to AWS APIs and registries

        { cidr: ANYWHERE, traffic: HTTPS },
        // replies back to the private tier

        { cidr: vpc, traffic: EPHEMERAL },
      ],
    });

    this.privateAcl = this.acl('Private', props.privateSubnets, {
      ingress: [
        // callers inside the VPC to the internal ALB

        { cidr: vpc, traffic: ec2.AclTraffic.tcpPort(props.albPort) },
        // ALB to Orbit tasks

        { cidr: vpc, traffic: ec2.AclTraffic.tcpPort(props.orbitPort) },
        // replies to connections this tier opened
        ...EPHEMERAL_FROM_ANYWHERE,
      ],
      egress: [
        // AWS APIs through NAT or endpoints

        { cidr: ANYWHERE, traffic: HTTPS },
        // callers in this tier (the deploy smoke test task) to the ALB in another of its subnets;
        // 443 is already open above, dev's HTTP listener needs its own rule
        ...(props.albPort === 443 ? [] : [{ cidr: vpc, traffic: ec2.AclTraffic.tcpPort(props.albPort) }]),
        // ALB to Orbit tasks

        { cidr: vpc, traffic: ec2.AclTraffic.tcpPort(props.orbitPort) },
        // Orbit to Axon
        ...isolatedCidrs.map((c) => ({
          cidr: ec2.AclCidr.ipv4(c),
          traffic: ec2.AclTraffic.tcpPort(props.axonPort),
        })),
        // replies to callers inside the VPC

        { cidr: vpc, traffic: EPHEMERAL },
      ],
    });

    this.isolatedAcl = this.acl('Isolated', props.isolatedSubnets, {
      ingress: [
        // Orbit to Axon
        ...privateCidrs.map((c) => ({
          cidr: ec2.AclCidr.ipv4(c),
          traffic: ec2.AclTraffic.tcpPort(props.axonPort),
        })),
        // VPC interface endpoints hosted in this tier

        { cidr: vpc, traffic: HTTPS },
        // S3 gateway endpoint replies (no internet route exists)
        ...EPHEMERAL_FROM_ANYWHERE,
      ],
      egress: [
        // S3 gateway endpoint (public S3 ranges; the route table allows nothing else)

        { cidr: ANYWHERE, traffic: HTTPS },
        // replies to Orbit and to endpoint clients

        { cidr: vpc, traffic: EPHEMERAL },
      ],
    });
  }

  private acl(
    name: string,
    subnets: ec2.SubnetSelection,
    rules: { ingress: readonly Rule[]; egress: readonly Rule[] },
  ): ec2.NetworkAcl {
    const acl = new ec2.NetworkAcl(this, `${name}Acl`, { vpc: this.vpc, subnetSelection: subnets });
    const add = (direction: ec2.TrafficDirection, list: readonly Rule[], label: string) => {
      list.forEach((rule, index) => {
        acl.addEntry(`${label}${index}`, {
          ruleNumber: 100 + index * 10,
          cidr: rule.cidr,
          traffic: rule.traffic,
          direction,
          ruleAction: ec2.Action.ALLOW,
        });
      });
    };
    add(ec2.TrafficDirection.INGRESS, rules.ingress, 'In');
    add(ec2.TrafficDirection.EGRESS, rules.egress, 'Out');
    return acl;
  }
}
