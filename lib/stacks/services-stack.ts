import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, IgnoreMode, Stack, type StackProps } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cloudmap from 'aws-cdk-lib/aws-servicediscovery';
import type { Construct } from 'constructs';
import { type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import { GovernedFargateService } from '../constructs/governed-fargate-service.js';
import { TraceCollectorImage } from '../constructs/trace-collector.js';
import { acknowledge } from '../nag.js';

export type ServiceName = 'orbit' | 'axon';

export interface ServicesStackProps extends StackProps {
  readonly config: EnvironmentConfig;
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
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Never part of an image build context (the root .dockerignore adds the rest). */
const BUILD_CONTEXT_EXCLUDES = ['**/node_modules', '**/cdk.out', '.git', 'coverage', '.local', '**/*.log'];
/** Orbit waits this long for a governance decision before failing closed. */
const GOVERNANCE_TIMEOUT_MS = 1000;
/** Service Connect cuts an Orbit → Axon request after this long (Orbit's own retries sit inside it). */
const AXON_REQUEST_TIMEOUT = Duration.seconds(5);
const CPU_TARGET_PERCENT = 60;
/** ALB requests per Orbit task per minute that autoscaling steers to. */
const REQUESTS_PER_TASK_PER_MINUTE = 1000;
/** 5xx responses per minute that, sustained for two minutes during a deployment, roll it back. */
const ROLLBACK_5XX_PER_MINUTE = 5;

/**
 * Axon and Orbit on one ECS cluster. Orbit runs in the private subnets behind an internal ALB; Axon
 * runs in the isolated subnets with no load balancer and is reachable only from Orbit through ECS
 * Service Connect. Both deploy with ECS native blue/green and roll back on the circuit breaker or
 * on their deployment alarms.
 */
export class ServicesStack extends Stack {
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

  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: ServicesStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    const { ports, deployment } = config;
    const https = deployment.certificateArn !== undefined;
    const drainMs = deployment.drainSeconds * 1000;

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: config.prefix,
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
      enableFargateCapacityProviders: true,
    });
    const namespace = this.cluster.addDefaultCloudMapNamespace({
      name: deployment.serviceConnectNamespace,
      type: cloudmap.NamespaceType.HTTP,
      useForServiceConnect: true,
    });
    const capacityProviderStrategies: ecs.CapacityProviderStrategy[] = deployment.fargateSpot
      ? [
          // One on-demand task always; the rest may run on (interruptible, cheaper) Spot.
          { capacityProvider: 'FARGATE', base: 1, weight: 1 },
          { capacityProvider: 'FARGATE_SPOT', weight: 3 },
        ]
      : [{ capacityProvider: 'FARGATE', weight: 1 }];

    this.repositories = {
      orbit: this.repository('orbit'),
      axon: this.repository('axon'),
    };

    this.orbitSecurityGroup = new ec2.SecurityGroup(this, 'OrbitSg', {
      vpc: props.vpc,
      description: 'Orbit tasks: from the internal ALB; to Axon and AWS APIs',
      allowAllOutbound: false,
    });
    this.orbitSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'AWS APIs (Lambda, Secrets Manager, ECR, Logs) through endpoints or NAT',
    );
    this.axonSecurityGroup = new ec2.SecurityGroup(this, 'AxonSg', {
      vpc: props.vpc,
      description: 'Axon tasks: from Orbit only; to VPC endpoints',
      allowAllOutbound: false,
    });
    this.axonSecurityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'VPC endpoints and the S3 gateway; the isolated route table has no other way out',
    );
    this.orbitSecurityGroup.connections.allowTo(
      this.axonSecurityGroup,
      ec2.Port.tcp(ports.axon),
      'Orbit to Axon through Service Connect',
    );

    // Imported immutable: nothing may add statements to the stateful roles implicitly; every
    // permission is in the managed policies below, created here and attached to the roles.
    const axonRole = iam.Role.fromRoleArn(this, 'AxonTaskRole', props.axonTaskRole.roleArn, {
      mutable: false,
    });
    const orbitRole = iam.Role.fromRoleArn(this, 'OrbitTaskRole', props.orbitTaskRole.roleArn, {
      mutable: false,
    });
    const execChannels = config.enableExecuteCommand ? [executeCommandChannels()] : [];
    const axonPolicy = this.taskPolicy('Axon', axonRole, [
      readSecret(props.axonVerificationSecret, props.axonKey, this.region),
      [traceSubmission()],
      execChannels,
    ]);
    const orbitPolicy = this.taskPolicy('Orbit', orbitRole, [
      readSecret(props.orbitSigningSecret, props.orbitKey, this.region),
      [
        new iam.PolicyStatement({
          sid: 'InvokeGovernanceDecision',
          actions: ['lambda:InvokeFunction'],
          resources: [props.governanceFunction.functionArn],
        }),
        traceSubmission(),
      ],
      execChannels,
    ]);

    const traceCollector = new TraceCollectorImage(this, 'TraceCollector', {
      repositoryPrefix: `${config.prefix}-public`,
    });
    const axon = new GovernedFargateService(this, 'Axon', {
      config,
      service: 'axon',
      cluster: this.cluster,
      size: config.axon,
      port: ports.axon,
      image: this.image('axon'),
      traceCollector,
      taskRole: axonRole,
      logsKey: props.logsKey,
      environment: {
        PORT: String(ports.axon),
        VERIFICATION_SECRET_ID: props.axonVerificationSecret.secretArn,
        AWS_REGION: this.region,
        LOG_LEVEL: config.name === 'dev' ? 'debug' : 'info',
        SHUTDOWN_DRAIN_MS: String(shutdownDrainMs(drainMs)),
      },
      vpcSubnets: props.isolatedSubnets,
      securityGroup: this.axonSecurityGroup,
      capacityProviderStrategies,
      cpuTargetPercent: CPU_TARGET_PERCENT,
      serviceConnect: {
        namespace: namespace.namespaceArn,
        services: [
          {
            portMappingName: 'axon',
            discoveryName: 'axon',
            dnsName: 'axon',
            port: ports.axon,
            perRequestTimeout: AXON_REQUEST_TIMEOUT,
            idleTimeout: Duration.seconds(60),
          },
        ],
      },
    });

    const orbit = new GovernedFargateService(this, 'Orbit', {
      config,
      service: 'orbit',
      cluster: this.cluster,
      size: config.orbit,
      port: ports.orbit,
      image: this.image('orbit'),
      traceCollector,
      taskRole: orbitRole,
      logsKey: props.logsKey,
      environment: {
        PORT: String(ports.orbit),
        AXON_URL: `http://axon:${ports.axon}`,
        GOVERNANCE_FUNCTION_NAME: props.governanceFunction.functionName,
        GOVERNANCE_TIMEOUT_MS: String(GOVERNANCE_TIMEOUT_MS),
        SIGNING_SECRET_ID: props.orbitSigningSecret.secretArn,
        AWS_REGION: this.region,
        LOG_LEVEL: config.name === 'dev' ? 'debug' : 'info',
        SHUTDOWN_DRAIN_MS: String(shutdownDrainMs(drainMs)),
      },
      vpcSubnets: props.privateSubnets,
      securityGroup: this.orbitSecurityGroup,
      capacityProviderStrategies,
      serviceConnect: { namespace: namespace.namespaceArn },
      cpuTargetPercent: CPU_TARGET_PERCENT,
      healthCheckGracePeriod: Duration.seconds(60),
    });
    // Orbit resolves `axon` through Service Connect: let Axon register first, and let both
    // task roles hold their permissions before a task starts.
    orbit.service.node.addDependency(axon.service, orbitPolicy);
    axon.service.node.addDependency(axonPolicy);
    for (const policy of [axonPolicy, orbitPolicy]) {
      acknowledge(
        policy,
        'AwsSolutions-IAM5[Resource::*]',
        `X-Ray trace submission${config.enableExecuteCommand ? ` and ECS Exec's ssmmessages channels (${config.name} only)` : ''} have no resource-level permissions.`,
      );
    }

    const lb = this.internalLoadBalancer(props, https);
    this.loadBalancer = lb.loadBalancer;
    this.listener = lb.listener;
    this.orbitTargetGroup = lb.blue;
    this.orbitAlternateTargetGroup = lb.green;
    orbit.service
      .loadBalancerTarget({
        containerName: 'orbit',
        containerPort: ports.orbit,
        alternateTarget: new ecs.AlternateTarget('BlueGreen', {
          alternateTargetGroup: lb.green,
          productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(lb.productionRule),
        }),
      })
      .attachToApplicationTargetGroup(lb.blue);
    this.scaleOnRequestsPerTask(orbit);
    for (const service of [axon, orbit]) {
      const role = service.service.node.tryFindChild('BlueGreenRole');
      if (role) {
        acknowledge(
          role,
          'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]',
          'The AWS-maintained policy ECS blue/green needs to swap target groups on the listener rule; AWS keeps it in step with the feature.',
        );
      }
    }

    this.deploymentAlarms = {
      orbit: this.rollbackAlarm(
        'orbit',
        new cloudwatch.Metric({
          namespace: 'AWS/ApplicationELB',
          metricName: 'HTTPCode_Target_5XX_Count',
          dimensionsMap: { LoadBalancer: this.loadBalancer.loadBalancerFullName },
          statistic: cloudwatch.Stats.SUM,
          period: Duration.minutes(1),
        }),
      ),
      axon: this.rollbackAlarm(
        'axon',
        new cloudwatch.Metric({
          namespace: 'AWS/ECS',
          metricName: 'HTTPCode_Target_5XX_Count',
          dimensionsMap: {
            ClusterName: config.prefix,
            ServiceName: `${config.prefix}-axon`,
            DiscoveryName: 'axon',
          },
          statistic: cloudwatch.Stats.SUM,
          period: Duration.minutes(1),
        }),
      ),
    };
    orbit.service.enableDeploymentAlarms([this.deploymentAlarms.orbit.alarmName], {
      behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
    });
    axon.service.enableDeploymentAlarms([this.deploymentAlarms.axon.alarmName], {
      behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
    });

    this.orbitService = orbit.service;
    this.axonService = axon.service;
    this.orbitTaskDefinition = orbit.taskDefinition;
    this.axonTaskDefinition = axon.taskDefinition;
    this.orbitLogGroup = orbit.logGroup;
    this.axonLogGroup = axon.logGroup;
    this.orbitUrl = `${https ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;

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

  /** ECR repository `<prefix>/<service>` for images CI builds, signs and pushes. */
  private repository(service: ServiceName): ecr.Repository {
    return new ecr.Repository(this, `${capitalize(service)}Repository`, {
      repositoryName: `${this.config.prefix}/${service}`,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.KMS,
      removalPolicy: removalPolicyOf(this.config),
      lifecycleRules: [
        {
          rulePriority: 1,
          description: 'Drop untagged images after a week',
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: Duration.days(7),
        },
        {
          rulePriority: 2,
          description: 'Keep the 50 newest images: the rollback depth',
          tagStatus: ecr.TagStatus.ANY,
          maxImageCount: 50,
        },
      ],
    });
  }

  /**
   * The service image: built from `services/<service>/Dockerfile` with the repository root as
   * context (synth only stages the files; Docker runs at deploy time), or the CI-pushed ECR tag.
   */
  private image(service: ServiceName): ecs.ContainerImage {
    const source = this.config.deployment.imageSource;
    if (source.kind === 'ecr')
      return ecs.ContainerImage.fromEcrRepository(this.repositories[service], source.tag);
    return ecs.ContainerImage.fromAsset(REPO_ROOT, {
      file: `services/${service}/Dockerfile`,
      platform: Platform.LINUX_ARM64,
      exclude: BUILD_CONTEXT_EXCLUDES,
      ignoreMode: IgnoreMode.DOCKER,
      assetName: `${service}-image`,
    });
  }

  /** The service's runtime permissions, created here and attached to the SecurityStack role. */
  private taskPolicy(name: string, role: iam.IRole, statements: iam.PolicyStatement[][]): iam.ManagedPolicy {
    return new iam.ManagedPolicy(this, `${name}TaskPolicy`, {
      description: `What the ${name} containers may do at runtime (under the role's permission boundary)`,
      roles: [role],
      statements: statements.flat(),
    });
  }

  private internalLoadBalancer(props: ServicesStackProps, https: boolean) {
    const { config } = this;
    const port = https ? 443 : 80;
    const securityGroup = new ec2.SecurityGroup(this, 'AlbSg', {
      vpc: props.vpc,
      description: `Internal ALB: ${https ? 'HTTPS' : 'HTTP'} from inside the VPC; to Orbit tasks`,
      allowAllOutbound: false,
    });
    securityGroup.addIngressRule(
      ec2.Peer.ipv4(config.network.cidr),
      ec2.Port.tcp(port),
      'Callers inside the VPC',
    );
    const accessLogs = new s3.Bucket(this, 'AlbAccessLogs', {
      // ALB access-log delivery writes only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: removalPolicyOf(config),
      lifecycleRules: [
        {
          expiration: Duration.days(config.logRetention),
          noncurrentVersionExpiration: Duration.days(7),
        },
      ],
    });
    for (const [rule, reason] of [
      [
        'AwsSolutions-S1',
        'This bucket receives the ALB access logs; its own reads and writes are in CloudTrail.',
      ],
      [
        'NIST.800.53.R5-S3BucketLoggingEnabled',
        'This bucket receives the ALB access logs; its own reads and writes are in CloudTrail.',
      ],
      ['NIST.800.53.R5-S3DefaultEncryptionKMS', 'ALB access-log delivery supports only SSE-S3 encryption.'],
      [
        'NIST.800.53.R5-S3BucketReplicationEnabled',
        'Access logs are diagnostic and expire with the log retention; a cross-region copy adds cost, not recovery.',
      ],
    ] as const) {
      acknowledge(accessLogs, rule, reason);
    }
    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      loadBalancerName: `${config.prefix}-orbit`,
      vpc: props.vpc,
      vpcSubnets: props.privateSubnets,
      internetFacing: false,
      securityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: config.name === 'prod',
    });
    loadBalancer.logAccessLogs(accessLogs, 'alb');
    acknowledge(
      loadBalancer,
      'NIST.800.53.R5-ALBWAFEnabled',
      'Internal ALB, reachable only from inside the VPC; every request is schema-validated by Orbit and authorised by governance. WAF managed rules target internet-facing threats.',
    );
    if (config.name !== 'prod') {
      acknowledge(
        loadBalancer,
        'NIST.800.53.R5-ELBDeletionProtectionEnabled',
        `${config.name} is torn down and rebuilt freely; prod has deletion protection on.`,
      );
    }
    const notFound = elbv2.ListenerAction.fixedResponse(404, {
      contentType: 'application/problem+json',
      messageBody: JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404 }),
    });
    const listener = https
      ? loadBalancer.addListener('Https', {
          port,
          protocol: elbv2.ApplicationProtocol.HTTPS,
          certificates: [elbv2.ListenerCertificate.fromArn(config.deployment.certificateArn ?? '')],
          sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          open: false,
          defaultAction: notFound,
        })
      : loadBalancer.addListener('Http', {
          port,
          protocol: elbv2.ApplicationProtocol.HTTP,
          open: false,
          defaultAction: notFound,
        });
    if (!https) {
      const reason =
        'Dev only, by config (deployment.requireHttps=false, no certificate): the ALB is internal, reachable only from inside the VPC, and the dev account has no ACM certificate. Staging and prod refuse to synth without one.';
      for (const rule of [
        'NIST.800.53.R5-ALBHttpToHttpsRedirection',
        'NIST.800.53.R5-ELBTlsHttpsListenersOnly',
      ]) {
        acknowledge(loadBalancer, rule, reason);
      }
      acknowledge(listener, 'NIST.800.53.R5-ELBv2ACMCertificateRequired', reason);
    }

    const targetGroup = (id: string) =>
      new elbv2.ApplicationTargetGroup(this, id, {
        vpc: props.vpc,
        port: config.ports.orbit,
        protocol: elbv2.ApplicationProtocol.HTTP,
        targetType: elbv2.TargetType.IP,
        deregistrationDelay: Duration.seconds(config.deployment.drainSeconds),
        healthCheck: {
          path: '/health',
          healthyHttpCodes: '200',
          interval: Duration.seconds(10),
          timeout: Duration.seconds(5),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 3,
        },
      });
    const blue = targetGroup('OrbitBlue');
    const green = targetGroup('OrbitGreen');
    // ECS blue/green shifts the weights of this rule; everything not matching falls to the 404.
    const productionRule = new elbv2.ApplicationListenerRule(this, 'OrbitRule', {
      listener,
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
      action: elbv2.ListenerAction.weightedForward([
        { targetGroup: blue, weight: 100 },
        { targetGroup: green, weight: 0 },
      ]),
    });
    // The CI smoke test runs a one-off task with Orbit's task definition and security group
    // (scripts/ci/smoke-ecs.sh) that calls this ALB; 443 is already open, dev's HTTP port is not.
    this.orbitSecurityGroup.connections.allowTo(
      securityGroup,
      ec2.Port.tcp(port),
      'Smoke-test task to the ALB',
    );
    return { loadBalancer, listener, blue, green, productionRule };
  }

  /**
   * Target tracking on ALB requests per running Orbit task. The predefined ALBRequestCountPerTarget
   * metric is tied to one target group, and blue/green moves traffic between two; this divides the
   * load balancer's requests by Container Insights' running-task count instead.
   */
  private scaleOnRequestsPerTask(orbit: GovernedFargateService): void {
    orbit.scaling.scaleToTrackCustomMetric('RequestsPerTask', {
      metric: this.loadBalancer.metrics.requestCount({ period: Duration.minutes(1) }),
      targetValue: REQUESTS_PER_TASK_PER_MINUTE,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });
    const policy = orbit.scaling.node
      .findAll()
      .find((c) => c instanceof appscaling.TargetTrackingScalingPolicy && c.node.id === 'RequestsPerTask');
    const cfn = policy?.node.defaultChild;
    if (!(cfn instanceof appscaling.CfnScalingPolicy)) throw new Error('request scaling policy not found');
    const spec = 'TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification';
    for (const key of ['MetricName', 'Namespace', 'Dimensions', 'Statistic']) {
      cfn.addPropertyDeletionOverride(`${spec}.${key}`);
    }
    cfn.addPropertyOverride(`${spec}.Metrics`, [
      {
        Id: 'requests',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/ApplicationELB',
            MetricName: 'RequestCount',
            Dimensions: [{ Name: 'LoadBalancer', Value: this.loadBalancer.loadBalancerFullName }],
          },
          Stat: 'Sum',
        },
        ReturnData: false,
      },
      {
        Id: 'tasks',
        MetricStat: {
          Metric: {
            Namespace: 'ECS/ContainerInsights',
            MetricName: 'RunningTaskCount',
            Dimensions: [
              { Name: 'ClusterName', Value: this.config.prefix },
              { Name: 'ServiceName', Value: `${this.config.prefix}-orbit` },
            ],
          },
          Stat: 'Average',
        },
        ReturnData: false,
      },
      {
        Id: 'perTask',
        Expression: 'requests / tasks',
        Label: 'ALB requests per Orbit task',
        ReturnData: true,
      },
    ]);
  }

  /**
   * 5xx responses sustained for two minutes: ECS watches this during a deployment (and its bake
   * time) and rolls back. Named literally, so it need not reference the service it guards.
   */
  private rollbackAlarm(service: ServiceName, metric: cloudwatch.Metric): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, `${capitalize(service)}RollbackAlarm`, {
      alarmName: `${this.config.prefix}-${service}-deployment-5xx`,
      alarmDescription: `Rolls back a ${service} deployment: ${ROLLBACK_5XX_PER_MINUTE}+ 5xx per minute for 2 minutes`,
      metric,
      threshold: ROLLBACK_5XX_PER_MINUTE,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    acknowledge(
      alarm,
      'NIST.800.53.R5-CloudWatchAlarmAction',
      'Its consumer is the ECS deployment (automatic rollback), not a person; paging alarms live in the observability stack.',
    );
    return alarm;
  }
}

/** Read one secret and decrypt it through Secrets Manager with its key; nothing else. */
function readSecret(secret: secretsmanager.ISecret, key: kms.IKey, region: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ReadOwnSecret',
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resources: [secret.secretArn],
    }),
    new iam.PolicyStatement({
      sid: 'DecryptOwnSecret',
      actions: ['kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
    }),
  ];
}

/** The SSM channels ECS Exec opens into a container. */
/** What the trace collector sidecar needs to send the task's spans to X-Ray. */
function traceSubmission(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'SendTraces',
    actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    resources: ['*'],
  });
}

function executeCommandChannels(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'EcsExecChannels',
    actions: [
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel',
    ],
    resources: ['*'],
  });
}

/** The service's own drain on SIGTERM ends 2 s before ECS's stop timeout would SIGKILL it. */
function shutdownDrainMs(drainMs: number): number {
  return Math.max(drainMs - 2000, 1000);
}

function imageSourceLabel(config: EnvironmentConfig): string {
  const source = config.deployment.imageSource;
  return source.kind === 'ecr' ? `ecr:${source.tag}` : 'asset:services/<service>/Dockerfile';
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
