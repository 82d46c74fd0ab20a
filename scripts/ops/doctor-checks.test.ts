import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CostExplorerClient, ListCostAllocationTagsCommand } from '@aws-sdk/client-cost-explorer';
import { DescribeAddressesCommand, DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient, ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { STSClient } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import type { CheckResult } from './checks.js';
import { type OperatorCommand, runCommand } from './cli.js';
import { doctorChecks, doctorCommand } from './doctor-checks.js';
import type { DeployPlan } from './plan.js';
import type { CommandReport } from './report.js';
import {
  ACCOUNT,
  accessDenied,
  actionsCalled,
  cliDeps,
  missingStack,
  mockCaller,
  mockDeployedStacks,
  REGION,
} from './test-support.js';

/** What planOf gives for staging today (plan.test.ts checks planOf itself). */
const PLAN: DeployPlan = {
  bootstrapVersion: 6,
  reservedConcurrency: [
    { functionName: 'axon-orbit-staging-governance-decide', reserved: 20 },
    { functionName: 'axon-orbit-staging-policy-admin', reserved: 2 },
    { functionName: 'axon-orbit-staging-secret-rotation', reserved: 2 },
  ],
  interfaceEndpoints: 7,
  natGateways: 1,
  fargateServices: [
    { serviceName: 'axon-orbit-staging-axon', vcpuPerTask: 0.5, peakTasks: 8 },
    { serviceName: 'axon-orbit-staging-orbit', vcpuPerTask: 0.5, peakTasks: 8 },
  ],
  availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
  costAllocationTags: ['environment'],
};
const CERTIFICATE = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0b5a3f2e-8c1d-4e6f-9a7b-2c3d4e5f6a7b`;
const ENV = { STAGING_ACCOUNT_ID: ACCOUNT, STAGING_CERTIFICATE_ARN: CERTIFICATE };

const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);
const lambda = mockClient(LambdaClient);
const costExplorer = mockClient(CostExplorerClient);
const iam = mockClient(IAMClient);
const acm = mockClient(ACMClient);
const quotas = mockClient(ServiceQuotasClient);
const ec2 = mockClient(EC2Client);

const doctor: OperatorCommand = { ...doctorCommand, checks: async (ctx) => doctorChecks(ctx, PLAN) };

function quota(code: string, name: string, value: number) {
  return {
    Quota: {
      ServiceCode: code.split('/')[0],
      QuotaCode: code.split('/')[1],
      QuotaName: name,
      Value: value,
      Unit: 'None',
      Adjustable: true,
      GlobalQuota: false,
    },
  };
}

/** A healthy staging account, as the APIs answer it. */
function healthyAccount(): void {
  mockCaller(sts);
  mockDeployedStacks(cloudFormation);
  cloudFormation.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).resolves({
    Stacks: [
      {
        StackName: 'CDKToolkit',
        StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/CDKToolkit/7d9a2b10-0000-11ef-9a1b-0a1b2c3d4e5f`,
        CreationTime: new Date('2026-03-02T10:00:00Z'),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [
          { OutputKey: 'BucketName', OutputValue: `cdk-hnb659fds-assets-${ACCOUNT}-${REGION}` },
          {
            OutputKey: 'BootstrapVersion',
            OutputValue: '29',
            Description: 'The version of the bootstrap resources',
          },
        ],
      },
    ],
  });
  lambda.on(GetAccountSettingsCommand).resolves({
    AccountLimit: {
      TotalCodeSize: 80530636800,
      CodeSizeUnzipped: 262144000,
      CodeSizeZipped: 52428800,
      ConcurrentExecutions: 1000,
      UnreservedConcurrentExecutions: 1000,
    },
    AccountUsage: { TotalCodeSize: 0, FunctionCount: 0 },
  });
  lambda.on(GetFunctionConcurrencyCommand).rejects(
    Object.assign(new Error('Function not found: arn:aws:lambda:eu-west-1:123456789012:function:x'), {
      name: 'ResourceNotFoundException',
    }),
  );
  costExplorer.on(ListCostAllocationTagsCommand).resolves({
    CostAllocationTags: [
      { TagKey: 'environment', Type: 'UserDefined', Status: 'Active', LastUsedDate: '2026-12-01T00:00:00Z' },
    ],
  });
  iam.on(ListOpenIDConnectProvidersCommand).resolves({ OpenIDConnectProviderList: [] });
  acm.on(DescribeCertificateCommand).resolves({
    Certificate: {
      CertificateArn: CERTIFICATE,
      DomainName: 'orbit.staging.internal.example.com',
      Status: 'ISSUED',
      Type: 'AMAZON_ISSUED',
      NotAfter: new Date('2027-10-01T23:59:59Z'),
      InUseBy: [],
    },
  });
  quotas
    .on(GetServiceQuotaCommand, { ServiceCode: 'fargate' })
    .resolves(quota('fargate/L-3032A538', 'Fargate On-Demand vCPU resource count', 16))
    .on(GetServiceQuotaCommand, { ServiceCode: 'ec2' })
    .resolves(quota('ec2/L-0263D0A3', 'EC2-VPC Elastic IPs', 5))
    .on(GetServiceQuotaCommand, { ServiceCode: 'vpc' })
    .resolves(quota('vpc/L-29B6F2EB', 'Interface VPC endpoints per VPC', 50));
  ec2.on(DescribeAddressesCommand).resolves({
    Addresses: [
      {
        AllocationId: 'eipalloc-0a1b2c3d4e5f60718',
        PublicIp: '203.0.113.25',
        Domain: 'vpc',
        Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'other-app-network' }],
      },
    ],
  });
  const zone = (suffix: string, id: string) => ({
    State: 'available' as const,
    RegionName: REGION,
    ZoneName: `${REGION}${suffix}`,
    ZoneId: `euw1-az${id}`,
    ZoneType: 'availability-zone',
    OptInStatus: 'opt-in-not-required' as const,
  });
  ec2.on(DescribeAvailabilityZonesCommand).resolves({
    AvailabilityZones: [zone('a', '3'), zone('b', '1'), zone('c', '2')],
  });
}

async function runDoctor(
  args: string[] = [],
): Promise<{ code: number; checks: Record<string, CheckResult> }> {
  const { deps, out } = cliDeps(ENV);
  const code = await runCommand(doctor, ['--env', 'staging', '--json', ...args], deps);
  const report = JSON.parse(out.join('\n')) as CommandReport;
  return { code, checks: Object.fromEntries(report.checks.map((c) => [c.id, c])) };
}

beforeEach(() => {
  for (const m of [sts, cloudFormation, lambda, costExplorer, iam, acm, quotas, ec2]) m.reset();
  healthyAccount();
});

describe('npm run doctor', () => {
  it('passes every check on an account ready for staging (exit 0)', async () => {
    const { code, checks } = await runDoctor();
    expect(Object.values(checks).map((c) => [c.id, c.status])).toEqual([
      ['cdk-bootstrap', 'pass'],
      ['lambda-concurrency', 'pass'],
      ['cost-allocation-tag', 'pass'],
      ['github-oidc-provider', 'pass'],
      ['alb-certificate', 'pass'],
      ['fargate-vcpu-quota', 'pass'],
      ['elastic-ip-quota', 'pass'],
      ['interface-endpoint-quota', 'pass'],
      ['availability-zones', 'pass'],
    ]);
    expect(checks['fargate-vcpu-quota']?.detail).toBe(
      'needs 8 vCPU (axon-orbit-staging-axon 8×0.5 + axon-orbit-staging-orbit 8×0.5) of quota 16',
    );
    expect(code).toBe(0);
    const called = actionsCalled([
      ['sts', sts],
      ['cloudformation', cloudFormation],
      ['lambda', lambda],
      ['ce', costExplorer],
      ['iam', iam],
      ['acm', acm],
      ['servicequotas', quotas],
      ['ec2', ec2],
    ]);
    expect(called.filter((a) => !doctorCommand.permissions.includes(a))).toEqual([]);
  });

  it('fails the blockers a new account has, each with its fix (exit 1)', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).rejects(missingStack('CDKToolkit'));
    lambda.on(GetAccountSettingsCommand).resolves({
      AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
    });
    quotas
      .on(GetServiceQuotaCommand, { ServiceCode: 'fargate' })
      .resolves(quota('fargate/L-3032A538', 'Fargate On-Demand vCPU resource count', 6));
    acm.on(DescribeCertificateCommand).resolves({
      Certificate: {
        CertificateArn: CERTIFICATE,
        DomainName: 'orbit.staging.internal.example.com',
        Status: 'PENDING_VALIDATION',
      },
    });
    const { code, checks } = await runDoctor();
    expect(code).toBe(1);
    expect(checks['cdk-bootstrap']).toMatchObject({
      status: 'fail',
      detail: `CDKToolkit is not deployed in ${REGION}`,
      fix: `npx cdk bootstrap aws://${ACCOUNT}/${REGION}`,
    });
    expect(checks['lambda-concurrency']).toMatchObject({
      status: 'fail',
      detail: 'account limit 10, unreserved now 10, this environment reserves 24 (24 new) → -14 left',
      fix: `request more: aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 124 --region ${REGION}`,
    });
    expect(checks['fargate-vcpu-quota']?.status).toBe('fail');
    expect(checks['fargate-vcpu-quota']?.fix).toContain('--quota-code L-3032A538 --desired-value 8');
    expect(checks['alb-certificate']).toMatchObject({
      status: 'fail',
      fix: 'create the DNS validation records ACM lists for it',
    });
    expect(checks['availability-zones']?.status).toBe('pass');
  });

  it('fails an outdated bootstrap stack', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'CDKToolkit' }).resolves({
      Stacks: [
        {
          StackName: 'CDKToolkit',
          CreationTime: new Date('2021-03-02T10:00:00Z'),
          StackStatus: 'UPDATE_COMPLETE',
          Outputs: [{ OutputKey: 'BootstrapVersion', OutputValue: '4' }],
        },
      ],
    });
    const { checks } = await runDoctor();
    expect(checks['cdk-bootstrap']).toMatchObject({ status: 'fail', detail: 'version 4, templates need 6' });
  });

  it('fails a region with fewer than three zones', async () => {
    ec2.on(DescribeAvailabilityZonesCommand).resolves({
      AvailabilityZones: [
        { State: 'available', ZoneName: 'eu-west-1a', ZoneType: 'availability-zone' },
        { State: 'available', ZoneName: 'eu-west-1b', ZoneType: 'availability-zone' },
        { State: 'impaired', ZoneName: 'eu-west-1c', ZoneType: 'availability-zone' },
      ],
    });
    const { checks } = await runDoctor();
    expect(checks['availability-zones']).toMatchObject({
      status: 'fail',
      detail: '2 available in eu-west-1 (eu-west-1a, eu-west-1b)',
    });
  });

  it('warns, without failing, while the cost allocation tag is inactive', async () => {
    costExplorer.on(ListCostAllocationTagsCommand).resolves({
      CostAllocationTags: [{ TagKey: 'environment', Type: 'UserDefined', Status: 'Inactive' }],
    });
    const { code, checks } = await runDoctor();
    expect(checks['cost-allocation-tag']).toMatchObject({
      status: 'warn',
      fix: 'aws ce update-cost-allocation-tags-status --cost-allocation-tags-status TagKey=environment,Status=Active',
    });
    expect(code).toBe(0);
  });

  it('fails when the account already has a GitHub OIDC provider the cicd stack would create again', async () => {
    const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    iam.on(ListOpenIDConnectProvidersCommand).resolves({ OpenIDConnectProviderList: [{ Arn: provider }] });
    const { deps, out } = cliDeps({ ...ENV, GITHUB_REPOSITORY: 'example-org/axon-orbit' });
    await runCommand(doctor, ['--env', 'staging', '--json'], deps);
    const report = JSON.parse(out.join('\n')) as CommandReport;
    expect(report.checks.find((c) => c.id === 'github-oidc-provider')).toMatchObject({
      status: 'fail',
      fix: `import it: export STAGING_GITHUB_OIDC_PROVIDER_ARN=${provider}`,
    });
  });

  it('names the missing permission of a denied API and still runs every other check', async () => {
    costExplorer
      .on(ListCostAllocationTagsCommand)
      .rejects(
        accessDenied(
          'ce:ListCostAllocationTags',
          `arn:aws:ce:us-east-1:${ACCOUNT}:/ListCostAllocationTags`,
          'AccessDeniedException',
        ),
      );
    const { code, checks } = await runDoctor();
    expect(checks['cost-allocation-tag']).toMatchObject({
      status: 'error',
      detail: 'access denied: missing permission ce:ListCostAllocationTags',
      permission: 'ce:ListCostAllocationTags',
    });
    expect(Object.values(checks).filter((c) => c.status === 'pass')).toHaveLength(8);
    expect(code).toBe(1);
  });

  it('prints a table for people: status, check, detail, and the fix under what did not pass', async () => {
    lambda.on(GetAccountSettingsCommand).resolves({
      AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
    });
    const { deps, out } = cliDeps(ENV);
    expect(await runCommand(doctor, ['--env', 'staging'], deps)).toBe(1);
    const lines = out.join('\n').split('\n');
    expect(lines[0]).toBe(`doctor staging (account ${ACCOUNT}, ${REGION})`);
    expect(lines[1]).toMatch(/^STATUS {2}CHECK +DETAIL$/);
    const row = lines.findIndex((l) => l.startsWith('FAIL    lambda-concurrency'));
    expect(lines[row + 1]?.trim()).toMatch(
      /^fix: request more: aws service-quotas request-service-quota-increase/,
    );
    expect(lines.at(-1)).toBe('9 checks: 8 pass, 1 fail, 0 warn, 0 error');
  });

  it('asks Cost Explorer in us-east-1 whatever the environment region', async () => {
    await runDoctor();
    const [call] = costExplorer.commandCalls(ListCostAllocationTagsCommand);
    expect(await call?.thisValue.config.region()).toBe('us-east-1');
  });
});
