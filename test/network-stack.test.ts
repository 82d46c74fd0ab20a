import { describe, expect, it } from '@jest/globals';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { ENVIRONMENT_NAMES } from '../contracts/environments.js';
import { sharedAssembly, stackTemplate } from './support/assembly.js';

const templates = {
  dev: stackTemplate('dev', 'Network'),
  staging: stackTemplate('staging', 'Network'),
  prod: stackTemplate('prod', 'Network'),
};

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = (t: Template, type: string) =>
  Object.entries(t.findResources(type)) as [string, Resource][];

function aclIdOfTier(t: Template, tier: 'Public' | 'Private' | 'Isolated'): string {
  const ids = Object.keys(t.findResources('AWS::EC2::NetworkAcl')).filter((id) =>
    id.startsWith(`Acls${tier}Acl`),
  );
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

function entriesOf(t: Template, aclId: string, egress: boolean) {
  return resources(t, 'AWS::EC2::NetworkAclEntry')
    .map(([, r]) => r.Properties)
    .filter((p) => (p.NetworkAclId as { Ref: string }).Ref === aclId && p.Egress === egress);
}

describe('NetworkStack', () => {
  it.each(Object.entries(templates))('%s spans three AZs with three subnets per tier', (_env, t) => {
    const subnets = resources(t, 'AWS::EC2::Subnet').map(([, r]) => r.Properties);
    expect(new Set(subnets.map((s) => s.AvailabilityZone))).toEqual(
      new Set(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']),
    );
    const tiers = subnets.map(
      (s) =>
        (s.Tags as { Key: string; Value: string }[]).find((tag) => tag.Key === 'aws-cdk:subnet-name')?.Value,
    );
    for (const tier of ['public', 'private', 'axon']) expect(tiers.filter((x) => x === tier)).toHaveLength(3);
    expect(subnets.every((s) => s.MapPublicIpOnLaunch !== true)).toBe(true);
  });

  it('runs one NAT gateway in dev and staging, one per AZ in prod', () => {
    templates.dev.resourceCountIs('AWS::EC2::NatGateway', 1);
    templates.staging.resourceCountIs('AWS::EC2::NatGateway', 1);
    templates.prod.resourceCountIs('AWS::EC2::NatGateway', 3);
  });

  it('gives each environment its own CIDR', () => {
    templates.dev.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.10.0.0/16' });
    templates.prod.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.30.0.0/16' });
  });

  it('gives the isolated tier no route to the internet, only to gateway endpoints', () => {
    const t = templates.prod;
    const isolatedTables = resources(t, 'AWS::EC2::RouteTable')
      .filter(([id]) => id.startsWith('Vpcaxon'))
      .map(([id]) => id);
    expect(isolatedTables).toHaveLength(3);
    const routes = resources(t, 'AWS::EC2::Route').map(([, r]) => r.Properties);
    const isolatedRoutes = routes.filter((r) =>
      isolatedTables.includes((r.RouteTableId as { Ref: string }).Ref),
    );
    expect(isolatedRoutes).toEqual([]);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      RouteTableIds: Match.arrayWith(isolatedTables.map((id) => ({ Ref: id }))),
    });
  });

  it('reaches ECR, Logs, Secrets Manager, KMS and S3 from the isolated tier without internet', () => {
    const t = templates.dev;
    const services = resources(t, 'AWS::EC2::VPCEndpoint').map(([, r]) =>
      JSON.stringify(r.Properties.ServiceName),
    );
    for (const service of ['ecr.api', 'ecr.dkr', '.logs', 'secretsmanager', '.kms', '.s3', '.dynamodb']) {
      expect(services.some((s) => s.includes(service))).toBe(true);
    }
    for (const [, endpoint] of resources(t, 'AWS::EC2::VPCEndpoint')) {
      if (endpoint.Properties.VpcEndpointType !== 'Interface') continue;
      expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
      expect(JSON.stringify(endpoint.Properties.SubnetIds)).toMatch(/VpcaxonSubnet/);
    }
  });

  it('lets no security group accept traffic from 0.0.0.0/0', () => {
    for (const t of Object.values(templates)) {
      for (const [, sg] of resources(t, 'AWS::EC2::SecurityGroup')) {
        const ingress = (sg.Properties.SecurityGroupIngress ?? []) as {
          CidrIp?: string;
          CidrIpv6?: string;
        }[];
        expect(ingress.filter((r) => r.CidrIp === '0.0.0.0/0' || r.CidrIpv6 === '::/0')).toEqual([]);
      }
      expect(
        resources(t, 'AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.Properties.CidrIp === '0.0.0.0/0'),
      ).toEqual([]);
    }
  });

  it.each(['Public', 'Private', 'Isolated'] as const)(
    'admits nothing from 0.0.0.0/0 into the %s tier but return traffic on ephemeral ports, never SSH or RDP',
    (tier) => {
      const t = templates.prod;
      const fromAnywhere = entriesOf(t, aclIdOfTier(t, tier), false).filter(
        (e) => e.CidrBlock === '0.0.0.0/0',
      );
      expect(fromAnywhere.map((e) => [e.RuleAction, e.Protocol, e.PortRange])).toEqual([
        ['allow', 6, { From: 1024, To: 3388 }],
        ['allow', 6, { From: 3390, To: 65535 }],
      ]);
    },
  );

  it("opens the private tier to the ALB's listener port only: 80 in and out in dev (HTTP), 443 in prod", () => {
    const ports = (env: 'dev' | 'prod', egress: boolean) =>
      entriesOf(templates[env], aclIdOfTier(templates[env], 'Private'), egress)
        .filter((e) => String(e.CidrBlock).endsWith('.0.0/16'))
        .map((e) => (e.PortRange as { From: number }).From);
    expect(ports('dev', false)).toContain(80);
    expect(ports('dev', false)).not.toContain(443);
    // the deploy smoke test runs in the private tier and calls the HTTP ALB in another of its subnets
    expect(ports('dev', true)).toContain(80);
    expect(ports('prod', false)).toContain(443);
    expect(ports('prod', false)).not.toContain(80);
    expect(ports('prod', true)).not.toContain(80);
  });

  it('admits the Axon port into the isolated tier only from the private tier subnets', () => {
    const t = templates.prod;
    const axonIngress = entriesOf(t, aclIdOfTier(t, 'Isolated'), false).filter(
      (e) => (e.PortRange as { From: number }).From === 8081,
    );
    const privateCidrs = resources(t, 'AWS::EC2::Subnet')
      .filter(([id]) => id.startsWith('VpcprivateSubnet'))
      .map(([, r]) => r.Properties.CidrBlock as string);
    expect(privateCidrs).toHaveLength(3);
    expect(axonIngress.map((e) => e.CidrBlock).sort()).toEqual(privateCidrs.sort());
  });

  it('associates every subnet with its tier ACL', () => {
    const t = templates.dev;
    const associations = resources(t, 'AWS::EC2::SubnetNetworkAclAssociation').map(([, r]) => r.Properties);
    expect(associations).toHaveLength(9);
    for (const tier of ['Public', 'Private', 'Isolated'] as const) {
      const acl = aclIdOfTier(t, tier);
      expect(associations.filter((a) => (a.NetworkAclId as { Ref: string }).Ref === acl)).toHaveLength(3);
    }
  });

  it('only allows HTTPS out of the public tier', () => {
    const t = templates.dev;
    const egress = entriesOf(t, aclIdOfTier(t, 'Public'), true).filter((e) => e.CidrBlock === '0.0.0.0/0');
    expect(egress).toEqual([expect.objectContaining({ PortRange: { From: 443, To: 443 } })]);
  });

  it('logs all VPC traffic to a KMS-encrypted log group with the environment retention', () => {
    templates.prod.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', ResourceType: 'VPC' });
    templates.prod.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: Match.anyValue(),
      RetentionInDays: 365,
    });
    templates.dev.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    templates.prod.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
  });
});

describe('offline synth', () => {
  it('leaves no context to look up in any stage, so no synth needs AWS credentials', () => {
    const { assembly } = sharedAssembly();
    const missing = [assembly, ...assembly.nestedAssemblies.map((n) => n.nestedAssembly)].flatMap(
      (a) => a.manifest.missing ?? [],
    );
    expect(missing.map((m) => m.key)).toEqual([]);
  });

  it('spans the zones on record for the region, not letters assumed from it', () => {
    const zones = (t: Template) =>
      [...new Set(resources(t, 'AWS::EC2::Subnet').map(([, s]) => s.Properties.AvailabilityZone))].sort();
    expect(zones(templates.prod)).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
  });
});

describe('termination protection', () => {
  it('protects every stack another stack reads from, in every environment', () => {
    for (const env of ENVIRONMENT_NAMES) {
      const stacks = sharedAssembly().stacks(env);
      const producers = new Set(
        stacks.flatMap((s) => s.dependencies.filter((d) => d instanceof CloudFormationStackArtifact)),
      );
      expect(producers.size).toBeGreaterThan(0);
      for (const producer of producers) {
        expect([producer.stackName, producer.terminationProtection]).toEqual([producer.stackName, true]);
      }
    }
  });
});
