import { CfnOutput, Duration, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { AXON_ENV, ORBIT_ENV, SERVICE_ENV } from '../../contracts/service-env.js';
import { githubDeployRoleName } from '../config/cicd.js';
import { type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import type { CallerIdentity } from '../constructs/caller-identity.js';
import { DeploymentRollbackAlarm } from '../constructs/deployment-rollback-alarm.js';
import { GovernedFargateService } from '../constructs/governed-fargate-service.js';
import type { HopState } from '../constructs/hop-state.js';
import { ImageRepositoryAccess } from '../constructs/image-repository-access.js';
import { InternalLoadBalancer } from '../constructs/internal-load-balancer.js';
import { OrbitWaf } from '../constructs/orbit-waf.js';
import { ServiceCluster, type ServiceName } from '../constructs/service-cluster.js';
import { ServiceConnectTls } from '../constructs/service-connect-tls.js';
import { SectionedStack } from '../constructs/stack-section.js';
import { TaskPermissions } from '../constructs/task-permissions.js';

export interface ServicesStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** Axon writes the replay table and reads the decision-token public key. */
  readonly hop: HopState;
  readonly vpc: ec2.IVpc;
  /** Orbit's tasks and the internal ALB. */
  readonly privateSubnets: ec2.SubnetSelection;
  /** Axon's tasks: no route out of the VPC. */
  readonly isolatedSubnets: ec2.SubnetSelection;
  readonly orbitTaskRole: iam.IRole;
  readonly axonTaskRole: iam.IRole;
  readonly orbitKey: kms.IKey;
  readonly axonKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly orbitSigningSecret: secretsmanager.ISecret;
  readonly axonVerificationSecret: secretsmanager.ISecret;
  /** The governance decision function, the one function Orbit may invoke. */
  readonly governanceFunction: lambda.IFunction;
  /** Who may call Orbit: Orbit and the ALB verify caller tokens against it. */
  readonly callers: CallerIdentity;
}

/** Orbit waits this long for a governance decision before failing closed. */
const GOVERNANCE_TIMEOUT_MS = 1000;
/** Service Connect cuts an Orbit → Axon request after this long (Orbit's own retries sit inside it). */
const AXON_REQUEST_TIMEOUT = Duration.seconds(5);
const CPU_TARGET_PERCENT = 60;

/**
 * Axon and Orbit on one ECS cluster. Orbit runs in the private subnets behind an internal ALB; Axon
 * runs in the isolated subnets with no load balancer and is reachable only from Orbit through ECS
 * Service Connect. Both deploy with ECS native blue/green and roll back on the circuit breaker or
 * on their deployment alarms.
 */
export class ServicesStack extends SectionedStack {
  readonly cluster: ecs.Cluster;
  readonly orbitService: ecs.FargateService;
  readonly axonService: ecs.FargateService;
  readonly orbitTaskDefinition: ecs.FargateTaskDefinition;
  readonly axonTaskDefinition: ecs.FargateTaskDefinition;
  readonly orbitLogGroup: logs.ILogGroup;
  readonly axonLogGroup: logs.ILogGroup;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  /** Production traffic starts here; ECS swaps blue and green on every deployment. */
  readonly orbitTargetGroup: elbv2.ApplicationTargetGroup;
  readonly orbitAlternateTargetGroup: elbv2.ApplicationTargetGroup;
  readonly repositories: Readonly<Record<ServiceName, ecr.Repository>>;
  readonly orbitSecurityGroup: ec2.SecurityGroup;
  readonly axonSecurityGroup: ec2.SecurityGroup;
  /** Alarms that roll a deployment back, by service. */
  readonly deploymentAlarms: Readonly<Record<ServiceName, cloudwatch.Alarm>>;
  /** `http(s)://<internal ALB DNS name>`: where callers inside the VPC reach Orbit. */
  readonly orbitUrl: string;
  /** The ALB's rate backstop. */
  readonly waf: OrbitWaf;

  constructor(scope: Construct, id: string, props: ServicesStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { ports } = config;

    const platform = new ServiceCluster(this, 'ServiceCluster', { config, vpc: props.vpc });
    this.cluster = platform.cluster;
    this.repositories = platform.repositories;

    // Security groups stay direct children of the stack: their rules' ids derive from their paths.
    const https = config.deployment.certificateArn !== undefined;
    const albSecurityGroup = this.securityGroup(
      'AlbSg',
      props.vpc,
      `Internal ALB: ${https ? 'HTTPS' : 'HTTP'} from inside the VPC; to Orbit tasks`,
    );
    this.orbitSecurityGroup = this.securityGroup(
      'OrbitSg',
      props.vpc,
      'Orbit tasks: from the internal ALB; to Axon and AWS APIs',
    );
    this.axonSecurityGroup = this.securityGroup(
      'AxonSg',
      props.vpc,
      'Axon tasks: from Orbit only; to VPC endpoints',
    );

    const axonPermissions = new TaskPermissions(this, 'AxonPermissions', {
      name: 'Axon',
      role: props.axonTaskRole,
      secret: props.axonVerificationSecret,
      secretKey: props.axonKey,
      statements: props.hop.axonStatements(),
    });
    const orbitPermissions = new TaskPermissions(this, 'OrbitPermissions', {
      name: 'Orbit',
      role: props.orbitTaskRole,
      secret: props.orbitSigningSecret,
      secretKey: props.orbitKey,
      statements: [
        new iam.PolicyStatement({
          sid: 'InvokeGovernanceDecision',
          actions: ['lambda:InvokeFunction'],
          resources: [props.governanceFunction.functionArn],
        }),
      ],
    });

    const serviceDefaults = {
      config,
      cluster: platform.cluster,
      traceCollector: platform.traceCollector,
      logsKey: props.logsKey,
      capacityProviderStrategies: platform.capacityProviderStrategies,
      cpuTargetPercent: CPU_TARGET_PERCENT,
    };
    const commonEnvironment = {
      [SERVICE_ENV.region]: this.region,
      [SERVICE_ENV.logLevel]: config.name === 'dev' ? 'debug' : 'info',
      [SERVICE_ENV.shutdownDrainMs]: String(shutdownDrainMs(config.deployment.drainSeconds * 1000)),
    };
    const tls = config.deployment.serviceConnectTls
      ? new ServiceConnectTls(this, 'ServiceConnectTls', {
          prefix: config.prefix,
          commonName: config.deployment.serviceConnectNamespace,
          removalPolicy: removalPolicyOf(config),
        })
      : undefined;
    const axon = new GovernedFargateService(this, 'Axon', {
      ...serviceDefaults,
      service: 'axon',
      size: config.axon,
      port: ports.axon,
      image: platform.image('axon'),
      taskRole: axonPermissions.role,
      environment: {
        [AXON_ENV.port]: String(ports.axon),
        [AXON_ENV.verificationSecretId]: props.axonVerificationSecret.secretArn,
        [AXON_ENV.replayTableName]: props.hop.replayTable.tableName,
        [AXON_ENV.decisionTokenKeyId]: props.hop.decisionKey.keyArn,
        ...commonEnvironment,
      },
      vpcSubnets: props.isolatedSubnets,
      securityGroup: this.axonSecurityGroup,
      serviceConnect: {
        namespace: platform.namespace.namespaceArn,
        services: [
          {
            portMappingName: 'axon',
            discoveryName: 'axon',
            dnsName: 'axon',
            port: ports.axon,
            perRequestTimeout: AXON_REQUEST_TIMEOUT,
            idleTimeout: Duration.seconds(60),
            // Server side only: Orbit's Service Connect proxy then originates TLS to Axon by itself.
            ...(tls ? { tls: tls.configuration } : {}),
          },
        ],
      },
    });
    const orbit = new GovernedFargateService(this, 'Orbit', {
      ...serviceDefaults,
      service: 'orbit',
      size: config.orbit,
      port: ports.orbit,
      image: platform.image('orbit'),
      taskRole: orbitPermissions.role,
      environment: {
        [ORBIT_ENV.port]: String(ports.orbit),
        [ORBIT_ENV.axonUrl]: `http://axon:${ports.axon}`,
        [ORBIT_ENV.governanceFunctionName]: props.governanceFunction.functionName,
        [ORBIT_ENV.governanceTimeoutMs]: String(GOVERNANCE_TIMEOUT_MS),
        [ORBIT_ENV.signingSecretId]: props.orbitSigningSecret.secretArn,
        ...props.callers.orbitEnvironment(),
        ...commonEnvironment,
      },
      vpcSubnets: props.privateSubnets,
      securityGroup: this.orbitSecurityGroup,
      serviceConnect: { namespace: platform.namespace.namespaceArn },
      healthCheckGracePeriod: Duration.seconds(60),
    });
    // Orbit resolves `axon` through Service Connect: let Axon register first, and let both
    // task roles hold their permissions before a task starts.
    orbit.service.node.addDependency(axon.service, orbitPermissions.policy);
    axon.service.node.addDependency(axonPermissions.policy);
    tls?.secure(axon.service);
    platform.startAfterPrerequisites(axon.service);
    platform.startAfterPrerequisites(orbit.service);

    new ImageRepositoryAccess(this, 'ImageRepositoryAccess', {
      // The collector mirror too: CI's deploy role pushes it, the same execution roles pull it.
      repositories: [...Object.values(platform.repositories), platform.traceCollector.repository],
      pushRoleArn: this.formatArn({
        service: 'iam',
        region: '',
        resource: 'role',
        resourceName: githubDeployRoleName(config.prefix),
      }),
      pullRoles: [axon.executionRole, orbit.executionRole],
    });

    const lb = new InternalLoadBalancer(this, 'InternalLoadBalancer', {
      config,
      vpc: props.vpc,
      subnets: props.privateSubnets,
      securityGroup: albSecurityGroup,
      tokenVerification: {
        issuer: props.callers.issuer,
        jwksEndpoint: props.callers.jwksUrl,
        additionalClaims: props.callers.albClaims,
      },
    });
    lb.serveBlueGreen(orbit, ports.orbit);
    this.waf = new OrbitWaf(this, 'OrbitWaf', {
      config,
      loadBalancer: lb.loadBalancer,
      logsKey: props.logsKey,
    });
    this.allowTraffic(lb, albSecurityGroup, config);
    this.loadBalancer = lb.loadBalancer;
    this.listener = lb.listener;
    this.orbitTargetGroup = lb.blue;
    this.orbitAlternateTargetGroup = lb.green;
    this.orbitUrl = lb.url;

    this.deploymentAlarms = {
      orbit: new DeploymentRollbackAlarm(this, 'OrbitRollback', {
        name: 'Orbit',
        service: orbit,
        errors: fiveXxPerMinute('AWS/ApplicationELB', { LoadBalancer: lb.loadBalancer.loadBalancerFullName }),
      }).alarm,
      axon: new DeploymentRollbackAlarm(this, 'AxonRollback', {
        name: 'Axon',
        service: axon,
        errors: fiveXxPerMinute('AWS/ECS', {
          ClusterName: config.prefix,
          ServiceName: axon.serviceName,
          DiscoveryName: 'axon',
        }),
      }).alarm,
    };

    this.orbitService = orbit.service;
    this.axonService = axon.service;
    this.orbitTaskDefinition = orbit.taskDefinition;
    this.axonTaskDefinition = axon.taskDefinition;
    this.orbitLogGroup = orbit.logGroup;
    this.axonLogGroup = axon.logGroup;

    const output = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description });
    output('OrbitUrl', this.orbitUrl, 'Orbit through the internal ALB (reachable from inside the VPC)');
    output('AlbDnsName', this.loadBalancer.loadBalancerDnsName, 'DNS name of the internal ALB');
    output('ClusterName', this.cluster.clusterName, 'ECS cluster');
    output('OrbitServiceName', orbit.service.serviceName, 'ECS service of Orbit');
    output('AxonServiceName', axon.service.serviceName, 'ECS service of Axon');
    output(
      'GovernanceFunctionName',
      props.governanceFunction.functionName,
      'Function Orbit asks for decisions',
    );
    output(
      'OrbitRepositoryUri',
      this.repositories.orbit.repositoryUri,
      'ECR repository of CI-pushed Orbit images',
    );
    output(
      'AxonRepositoryUri',
      this.repositories.axon.repositoryUri,
      'ECR repository of CI-pushed Axon images',
    );
    output('ImageSource', imageSourceLabel(config), 'Where this synth takes the service images from');
  }

  private securityGroup(id: string, vpc: ec2.IVpc, description: string): ec2.SecurityGroup {
    return new ec2.SecurityGroup(this, id, { vpc, description, allowAllOutbound: false });
  }

  /** Who may talk to whom: callers → ALB → Orbit → Axon, and both tiers → AWS APIs on 443. */
  private allowTraffic(lb: InternalLoadBalancer, alb: ec2.SecurityGroup, config: EnvironmentConfig): void {
    alb.addIngressRule(ec2.Peer.ipv4(config.network.cidr), ec2.Port.tcp(lb.port), 'Callers inside the VPC');
    if (lb.verifiesTokens) {
      alb.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), "Token issuer's JWKS (public) through NAT");
    }
    this.orbitSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'AWS APIs (Lambda, Secrets Manager, ECR, Logs) through endpoints or NAT',
    );
    this.axonSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'VPC endpoints and the S3 gateway; the isolated route table has no other way out',
    );
    this.orbitSecurityGroup.connections.allowTo(
      this.axonSecurityGroup,
      ec2.Port.tcp(config.ports.axon),
      'Orbit to Axon through Service Connect',
    );
    // The CI smoke test runs a one-off task with Orbit's task definition and security group
    // (scripts/ci/smoke-ecs.sh) that calls this ALB; 443 is already open, dev's HTTP port is not.
    this.orbitSecurityGroup.connections.allowTo(alb, ec2.Port.tcp(lb.port), 'Smoke-test task to the ALB');
  }
}

/** 5xx responses per minute, as the rollback alarms count them. */
function fiveXxPerMinute(namespace: string, dimensionsMap: Record<string, string>): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace,
    metricName: 'HTTPCode_Target_5XX_Count',
    dimensionsMap,
    statistic: cloudwatch.Stats.SUM,
    period: Duration.minutes(1),
  });
}

/** The service's own drain on SIGTERM ends 2 s before ECS's stop timeout would SIGKILL it. */
function shutdownDrainMs(drainMs: number): number {
  return Math.max(drainMs - 2000, 1000);
}

function imageSourceLabel(config: EnvironmentConfig): string {
  const source = config.deployment.imageSource;
  return source.kind === 'ecr' ? `ecr:${source.tag}` : 'asset:services/Dockerfile';
}
