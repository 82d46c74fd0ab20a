import { DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListCostAllocationTagsCommand } from '@aws-sdk/client-cost-explorer';
import { DescribeAddressesCommand, DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { GetOpenIDConnectProviderCommand, ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import { GetAccountSettingsCommand, GetFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  type ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { OPERATOR_PERMISSIONS } from '../../contracts/operator-permissions.js';
import { GITHUB_OIDC_HOST, loadGithubConfig } from '../../lib/config/cicd.js';
import { isMissingStack, isNotFound } from './aws-errors.js';
import { type Check, type CheckOutcome, fail, pass, warn } from './checks.js';
import type { CommandContext, OperatorCommand } from './cli.js';
import { type DeployPlan, planOf } from './plan.js';

/** The name `cdk bootstrap` gives its stack unless told otherwise. */
const TOOLKIT_STACK = 'CDKToolkit';
/** Lambda refuses a reservation that leaves fewer unreserved concurrent executions than this. */
const MIN_UNRESERVED = 100;
const MIN_AZS = 3;
/** An ALB certificate this close to expiry is renewed by ACM only when it is DNS-validated and in use. */
const CERTIFICATE_WARN_DAYS = 30;

/** Quotas a first deploy runs into, by Service Quotas' codes. */
export const QUOTAS = {
  fargateOnDemandVcpu: {
    service: 'fargate',
    code: 'L-3032A538',
    name: 'Fargate On-Demand vCPU resource count',
  },
  elasticIps: { service: 'ec2', code: 'L-0263D0A3', name: 'EC2-VPC Elastic IPs' },
  interfaceEndpointsPerVpc: { service: 'vpc', code: 'L-29B6F2EB', name: 'Interface VPC endpoints per VPC' },
  lambdaConcurrency: { service: 'lambda', code: 'L-B99A9384', name: 'Concurrent executions' },
} as const;

type Quota = (typeof QUOTAS)[keyof typeof QUOTAS];

/** The account's applied value, or AWS's default where the account never changed it. */
async function quotaValue(client: ServiceQuotasClient, quota: Quota): Promise<number> {
  const input = { ServiceCode: quota.service, QuotaCode: quota.code };
  try {
    const applied = await client.send(new GetServiceQuotaCommand(input));
    if (applied.Quota?.Value !== undefined) return applied.Quota.Value;
  } catch (thrown) {
    if (!isNotFound(thrown)) throw thrown;
  }
  const fallback = await client.send(new GetAWSDefaultServiceQuotaCommand(input));
  return fallback.Quota?.Value ?? 0;
}

const increase = (quota: Quota, region: string, value: number) =>
  `request more: aws service-quotas request-service-quota-increase --service-code ${quota.service} --quota-code ${quota.code} --desired-value ${value} --region ${region}`;

function bootstrap(ctx: CommandContext, plan: DeployPlan): Check {
  return {
    id: 'cdk-bootstrap',
    title: `CDK bootstrap stack ${TOOLKIT_STACK}, version ${plan.bootstrapVersion} or later`,
    async run() {
      const bootstrapCommand = `npx cdk bootstrap aws://${ctx.account}/${ctx.config.region}`;
      let stack:
        | { StackStatus?: string; Outputs?: { OutputKey?: string; OutputValue?: string }[] }
        | undefined;
      try {
        const described = await ctx.aws.cloudFormation.send(
          new DescribeStacksCommand({ StackName: TOOLKIT_STACK }),
        );
        stack = described.Stacks?.[0];
      } catch (thrown) {
        if (!isMissingStack(thrown)) throw thrown;
      }
      if (!stack) return fail(`${TOOLKIT_STACK} is not deployed in ${ctx.config.region}`, bootstrapCommand);
      const status = stack.StackStatus ?? 'UNKNOWN';
      if (!/_COMPLETE$/.test(status) || /ROLLBACK|DELETE/.test(status)) {
        return fail(`${TOOLKIT_STACK} is ${status}`, `fix or delete the stack, then ${bootstrapCommand}`);
      }
      const output = stack.Outputs?.find((o) => o.OutputKey === 'BootstrapVersion')?.OutputValue;
      const version = Number(output);
      if (!Number.isInteger(version)) {
        return fail(`${TOOLKIT_STACK} has no BootstrapVersion output`, bootstrapCommand);
      }
      return version >= plan.bootstrapVersion
        ? pass(`version ${version} (templates need ${plan.bootstrapVersion})`)
        : fail(
            `version ${version}, templates need ${plan.bootstrapVersion}`,
            `upgrade it: ${bootstrapCommand}`,
          );
    },
  };
}

function lambdaConcurrency(ctx: CommandContext, plan: DeployPlan): Check {
  return {
    id: 'lambda-concurrency',
    title: `Lambda unreserved concurrency stays >= ${MIN_UNRESERVED} after this environment's reservations`,
    async run() {
      const settings = await ctx.aws.lambda.send(new GetAccountSettingsCommand({}));
      const limit = settings.AccountLimit?.ConcurrentExecutions ?? 0;
      const unreserved = settings.AccountLimit?.UnreservedConcurrentExecutions ?? 0;
      // Functions already deployed hold their reservation: only the difference is new.
      const existing = await Promise.all(
        plan.reservedConcurrency.map(async ({ functionName }) => {
          try {
            const current = await ctx.aws.lambda.send(
              new GetFunctionConcurrencyCommand({ FunctionName: functionName }),
            );
            return current.ReservedConcurrentExecutions ?? 0;
          } catch (thrown) {
            if (isNotFound(thrown)) return 0;
            throw thrown;
          }
        }),
      );
      const planned = plan.reservedConcurrency.reduce((sum, f) => sum + f.reserved, 0);
      const added = plan.reservedConcurrency.reduce((sum, f, i) => sum + f.reserved - (existing[i] ?? 0), 0);
      const after = unreserved - added;
      const detail = `account limit ${limit}, unreserved now ${unreserved}, this environment reserves ${planned} (${added} new) → ${after} left`;
      if (after >= MIN_UNRESERVED) return pass(detail);
      return fail(
        detail,
        increase(QUOTAS.lambdaConcurrency, ctx.config.region, limit + MIN_UNRESERVED - after),
      );
    },
  };
}

function costAllocationTags(ctx: CommandContext, plan: DeployPlan): Check {
  return {
    id: 'cost-allocation-tag',
    title: `cost allocation tag ${plan.costAllocationTags.join(', ')} active (the budget filters on it)`,
    async run() {
      if (plan.costAllocationTags.length === 0) return pass('no budget filters on a tag');
      const listed = await ctx.aws.costExplorer.send(
        new ListCostAllocationTagsCommand({ TagKeys: [...plan.costAllocationTags], Type: 'UserDefined' }),
      );
      const tags = listed.CostAllocationTags ?? [];
      const missing = plan.costAllocationTags.filter((key) => !tags.some((t) => t.TagKey === key));
      const inactive = tags.filter((t) => t.Status !== 'Active').map((t) => t.TagKey ?? '');
      const activate = (keys: readonly string[]) =>
        `aws ce update-cost-allocation-tags-status --cost-allocation-tags-status ${keys.map((k) => `TagKey=${k},Status=Active`).join(' ')}`;
      // Not a deploy blocker: the deploy succeeds, but the budget sees $0 and never alerts.
      if (inactive.length > 0)
        return warn(`inactive: ${inactive.join(', ')}; the budget never alerts`, activate(inactive));
      if (missing.length > 0) {
        return warn(
          `not yet known to Billing: ${missing.join(', ')} (appears up to 24 h after the first tagged resource)`,
          `after the first deploy: ${activate(missing)}`,
        );
      }
      return pass(`active: ${plan.costAllocationTags.join(', ')}`);
    },
  };
}

function githubOidc(ctx: CommandContext): Check {
  return {
    id: 'github-oidc-provider',
    title: 'GitHub OIDC provider present or absent as the CI/CD config expects',
    async run() {
      const github = loadGithubConfig(ctx.config.name, ctx.env);
      if (!github) return pass('GITHUB_REPOSITORY is not set: no cicd stage is deployed from here');
      if (github.oidcProviderArn !== undefined) return importedProvider(ctx, github.oidcProviderArn);
      const listed = await ctx.aws.iam.send(new ListOpenIDConnectProvidersCommand({}));
      const existing = (listed.OpenIDConnectProviderList ?? [])
        .map((p) => p.Arn ?? '')
        .find((arn) => arn.endsWith(`:oidc-provider/${GITHUB_OIDC_HOST}`));
      if (existing === undefined) return pass('absent: the cicd stack will create it');
      if (await ownedByCicdStack(ctx, existing)) return pass(`created by ${ctx.stacks.stackName('cicd')}`);
      return fail(
        `the account already has ${existing}; creating another fails with EntityAlreadyExists`,
        `import it: export ${ctx.config.name.toUpperCase()}_GITHUB_OIDC_PROVIDER_ARN=${existing}`,
      );
    },
  };
}

async function importedProvider(ctx: CommandContext, arn: string): Promise<CheckOutcome> {
  try {
    await ctx.aws.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    return pass(`imports the existing provider ${arn}`);
  } catch (thrown) {
    if (!isNotFound(thrown)) throw thrown;
    return fail(
      `the configured provider ${arn} does not exist`,
      'unset the provider ARN so the cicd stack creates it, or name the account’s real provider',
    );
  }
}

async function ownedByCicdStack(ctx: CommandContext, providerArn: string): Promise<boolean> {
  try {
    const providers = await ctx.stacks.ofTypes(['cicd'], ['AWS::IAM::OIDCProvider']);
    return providers.some((p) => p.physicalId === providerArn);
  } catch {
    // No cicd stack of this environment: the provider belongs to something else.
    return false;
  }
}

function albCertificate(ctx: CommandContext): Check {
  return {
    id: 'alb-certificate',
    title: 'ALB certificate exists, is ISSUED and is in the region',
    async run() {
      const arn = ctx.config.deployment.certificateArn;
      if (arn === undefined) return pass(`none configured: ${ctx.config.name} serves HTTP inside the VPC`);
      const region = arn.split(':')[3];
      if (region !== ctx.config.region) {
        return fail(
          `${arn} is in ${region}, the ALB in ${ctx.config.region}`,
          `request or import a certificate in ${ctx.config.region}`,
        );
      }
      const certificate = await describeCertificate(ctx, arn);
      if (!certificate) {
        return fail(`${arn} does not exist`, `request it in ACM (${ctx.config.region}) or fix the ARN`);
      }
      if (certificate.Status !== 'ISSUED') {
        return fail(
          `${certificate.DomainName ?? arn} is ${certificate.Status}`,
          certificate.Status === 'PENDING_VALIDATION'
            ? 'create the DNS validation records ACM lists for it'
            : 'request a new certificate',
        );
      }
      return expiryOutcome(ctx, certificate, region ?? ctx.config.region);
    },
  };
}

interface Certificate {
  readonly Status?: string;
  readonly NotAfter?: Date;
  readonly DomainName?: string;
}

async function describeCertificate(ctx: CommandContext, arn: string): Promise<Certificate | undefined> {
  try {
    return (await ctx.aws.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate;
  } catch (thrown) {
    if (isNotFound(thrown)) return undefined;
    throw thrown;
  }
}

function expiryOutcome(ctx: CommandContext, certificate: Certificate, region: string): CheckOutcome {
  const daysLeft = certificate.NotAfter
    ? Math.floor((certificate.NotAfter.getTime() - ctx.clock.now().getTime()) / 86_400_000)
    : Number.POSITIVE_INFINITY;
  const detail = `${certificate.DomainName} ISSUED in ${region}, expires in ${daysLeft} days`;
  if (daysLeft < 0) return fail(detail, 'request a new certificate');
  if (daysLeft < CERTIFICATE_WARN_DAYS)
    return warn(detail, 'check ACM renewal (DNS validation records present)');
  return pass(detail);
}

function fargateQuota(ctx: CommandContext, plan: DeployPlan): Check {
  return {
    id: 'fargate-vcpu-quota',
    title: 'Fargate On-Demand vCPU quota covers both services at their deployment peak',
    async run() {
      const quota = await quotaValue(ctx.aws.serviceQuotas, QUOTAS.fargateOnDemandVcpu);
      const needed = plan.fargateServices.reduce((sum, s) => sum + s.vcpuPerTask * s.peakTasks, 0);
      const parts = plan.fargateServices.map((s) => `${s.serviceName} ${s.peakTasks}×${s.vcpuPerTask}`);
      const detail = `needs ${needed} vCPU (${parts.join(' + ')}) of quota ${quota}`;
      return needed <= quota
        ? pass(detail)
        : fail(detail, increase(QUOTAS.fargateOnDemandVcpu, ctx.config.region, Math.ceil(needed)));
    },
  };
}

function elasticIpQuota(ctx: CommandContext, plan: DeployPlan): Check {
  return {
    id: 'elastic-ip-quota',
    title: 'Elastic IP quota has room for one per NAT gateway',
    async run() {
      const [quota, addresses] = await Promise.all([
        quotaValue(ctx.aws.serviceQuotas, QUOTAS.elasticIps),
        ctx.aws.ec2.send(new DescribeAddressesCommand({})),
      ]);
      const all = addresses.Addresses ?? [];
      const network = ctx.stacks.stackName('network');
      const own = all.filter((a) =>
        a.Tags?.some((t) => t.Key === 'aws:cloudformation:stack-name' && t.Value === network),
      ).length;
      const needed = Math.max(0, plan.natGateways - own);
      const detail = `${plan.natGateways} NAT gateways need ${needed} more; ${all.length} of ${quota} allocated`;
      return all.length + needed <= quota
        ? pass(detail)
        : fail(detail, increase(QUOTAS.elasticIps, ctx.config.region, all.length + needed));
    },
  };
}

function interfaceEndpointQuota(ctx: CommandContext, plan: DeployPlan): Check {
  return {
    id: 'interface-endpoint-quota',
    title: 'interface VPC endpoints per VPC quota covers the network stack',
    async run() {
      const quota = await quotaValue(ctx.aws.serviceQuotas, QUOTAS.interfaceEndpointsPerVpc);
      const detail = `the VPC gets ${plan.interfaceEndpoints} interface endpoints; quota ${quota} per VPC`;
      return plan.interfaceEndpoints <= quota
        ? pass(detail)
        : fail(detail, increase(QUOTAS.interfaceEndpointsPerVpc, ctx.config.region, plan.interfaceEndpoints));
    },
  };
}

function availabilityZones(ctx: CommandContext, plan: DeployPlan): Check {
  return {
    id: 'availability-zones',
    title: `at least ${MIN_AZS} availability zones, including the ones the subnets name`,
    async run() {
      const described = await ctx.aws.ec2.send(
        new DescribeAvailabilityZonesCommand({
          Filters: [{ Name: 'zone-type', Values: ['availability-zone'] }],
        }),
      );
      const available = (described.AvailabilityZones ?? [])
        .filter((z) => z.State === 'available')
        .map((z) => z.ZoneName ?? '');
      const unavailable = plan.availabilityZones.filter((z) => !available.includes(z));
      const detail = `${available.length} available in ${ctx.config.region} (${available.join(', ')})`;
      if (available.length < MIN_AZS)
        return fail(detail, `deploy to a region with at least ${MIN_AZS} availability zones`);
      if (unavailable.length > 0) {
        return fail(
          `${detail}; the subnets name ${unavailable.join(', ')}`,
          'pick availability zones this account has (AZ names differ between accounts)',
        );
      }
      return pass(detail);
    },
  };
}

/** Doctor's checks, given the plan synthesized from this checkout. */
export function doctorChecks(ctx: CommandContext, plan: DeployPlan): Check[] {
  return [
    bootstrap(ctx, plan),
    lambdaConcurrency(ctx, plan),
    costAllocationTags(ctx, plan),
    githubOidc(ctx),
    albCertificate(ctx),
    fargateQuota(ctx, plan),
    elasticIpQuota(ctx, plan),
    interfaceEndpointQuota(ctx, plan),
    availabilityZones(ctx, plan),
  ];
}

export const doctorCommand: OperatorCommand = {
  name: 'doctor',
  summary:
    'Preflight: checks that the account and region can take a first deploy of the environment (bootstrap, quotas, concurrency, certificate, OIDC, AZs, cost tag).',
  permissions: OPERATOR_PERMISSIONS.doctor,
  async checks(ctx): Promise<Check[]> {
    return doctorChecks(ctx, planOf(ctx.config));
  },
};
