import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import { acknowledge, acknowledgeGuard } from '../nag.js';
import type { RequiredClaim } from './caller-identity.js';
import type { GovernedFargateService } from './governed-fargate-service.js';
import { StackSection } from './stack-section.js';

export interface InternalLoadBalancerProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** The ALB's security group; callers' and targets' rules are added to it. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Caller tokens the HTTPS listener verifies before forwarding (an HTTP listener cannot). */
  readonly tokenVerification: TokenVerification;
}

/** What the ALB's JWT verification checks: signature by the issuer's keys, `iss`, `exp`, and these claims. */
export interface TokenVerification {
  readonly issuer: string;
  /** https URL of the issuer's JWKS; the ALB fetches it through the subnets' NAT route. */
  readonly jwksEndpoint: string;
  readonly additionalClaims: readonly RequiredClaim[];
}

/** ALB requests per Orbit task per minute that autoscaling steers to. */
const REQUESTS_PER_TASK_PER_MINUTE = 1000;

/**
 * Orbit's internal ALB: access logs, one listener (HTTPS with a certificate, HTTP in dev only) whose
 * unmatched requests get a problem+json 404, and the blue and green target groups behind one
 * weighted production rule that ECS native blue/green shifts at every deployment.
 */
export class InternalLoadBalancer extends StackSection {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  /** Production traffic starts here; ECS swaps blue and green on every deployment. */
  readonly blue: elbv2.ApplicationTargetGroup;
  readonly green: elbv2.ApplicationTargetGroup;
  /** The rule whose forward weights ECS manages (its template weights must never change). */
  readonly productionRule: elbv2.ApplicationListenerRule;
  readonly https: boolean;
  /** True when the listener verifies caller tokens itself (HTTPS only); else Orbit's check stands alone. */
  readonly verifiesTokens: boolean;
  readonly port: number;
  /** `http(s)://<internal ALB DNS name>`: where callers inside the VPC reach Orbit. */
  readonly url: string;
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: InternalLoadBalancerProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    this.https = config.deployment.certificateArn !== undefined;
    this.port = albListenerPort(config);

    const accessLogs = this.accessLogBucket();
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      loadBalancerName: `${config.prefix}-orbit`,
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      internetFacing: false,
      securityGroup: props.securityGroup,
      dropInvalidHeaderFields: true,
      deletionProtection: config.name === 'prod',
    });
    this.loadBalancer.logAccessLogs(accessLogs, 'alb');
    if (config.name !== 'prod') {
      acknowledge(
        this.loadBalancer,
        'NIST.800.53.R5-ELBDeletionProtectionEnabled',
        `${config.name} is torn down and rebuilt freely; prod has deletion protection on.`,
      );
    }
    this.listener = this.addListener();

    this.blue = this.targetGroup('OrbitBlue', props.vpc);
    this.green = this.targetGroup('OrbitGreen', props.vpc);
    // ECS blue/green shifts the weights of this rule's forward; everything not matching falls to the 404.
    const forward = elbv2.ListenerAction.weightedForward([
      { targetGroup: this.blue, weight: 100 },
      { targetGroup: this.green, weight: 0 },
    ]);
    this.verifiesTokens = this.https;
    this.productionRule = new elbv2.ApplicationListenerRule(this, 'OrbitRule', {
      listener: this.listener,
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
      action: this.verifiesTokens
        ? elbv2.ListenerAction.authenticateJwt({
            issuer: props.tokenVerification.issuer,
            jwksEndpoint: props.tokenVerification.jwksEndpoint,
            next: forward,
          })
        : forward,
    });
    if (this.verifiesTokens) this.requireClaims(props.tokenVerification.additionalClaims);
    this.url = `${this.https ? 'https' : 'http'}://${this.loadBalancer.loadBalancerDnsName}`;
  }

  /**
   * Puts the service behind the production rule with ECS native blue/green (blue serves first) and
   * scales it on requests per task.
   */
  serveBlueGreen(service: GovernedFargateService, containerPort: number): void {
    service.service
      .loadBalancerTarget({
        containerName: service.name,
        containerPort,
        alternateTarget: new ecs.AlternateTarget('BlueGreen', {
          alternateTargetGroup: this.green,
          productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(this.productionRule),
        }),
      })
      .attachToApplicationTargetGroup(this.blue);
    const role = service.service.node.findChild('BlueGreenRole');
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]',
      'The AWS-maintained policy ECS blue/green needs to swap target groups on the listener rule; AWS keeps it in step with the feature.',
    );
    this.scaleOnRequestsPerTask(service);
  }

  /**
   * aws-cdk-lib's `authenticateJwt` has no `additionalClaims` (aws/aws-cdk#36099 left them out), so
   * CloudFormation's `JwtValidationConfig.AdditionalClaims` is set on the rule's first action directly.
   */
  private requireClaims(claims: readonly RequiredClaim[]): void {
    if (claims.length === 0) return;
    const rule = this.productionRule.node.defaultChild as elbv2.CfnListenerRule;
    rule.addPropertyOverride(
      'Actions.0.JwtValidationConfig.AdditionalClaims',
      claims.map((claim) => ({ Name: claim.name, Format: claim.format, Values: [...claim.values] })),
    );
  }

  private accessLogBucket(): s3.Bucket {
    const { config } = this;
    const accessLogs = new s3.Bucket(this, 'AlbAccessLogs', {
      // ALB access-log delivery writes only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: removalPolicyOf(config),
      // A bucket that still holds objects cannot be deleted: a torn-down environment empties it.
      autoDeleteObjects: removalPolicyOf(config) === RemovalPolicy.DESTROY,
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
    acknowledgeGuard(
      accessLogs,
      's3_bucket_default_encryption_kms_check',
      'CT.S3.PR.10: ALB access-log delivery supports only SSE-S3 encryption.',
    );
    acknowledgeGuard(
      accessLogs,
      's3_bucket_logging_enabled_check',
      'CT.S3.PR.2: this bucket receives the ALB access logs; its own reads and writes are in CloudTrail.',
    );
    return accessLogs;
  }

  private addListener(): elbv2.ApplicationListener {
    const { config, port } = this;
    const notFound = elbv2.ListenerAction.fixedResponse(404, {
      contentType: 'application/problem+json',
      messageBody: JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404 }),
    });
    if (this.https) {
      return this.loadBalancer.addListener('Https', {
        port,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [elbv2.ListenerCertificate.fromArn(config.deployment.certificateArn ?? '')],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultAction: notFound,
      });
    }
    const listener = this.loadBalancer.addListener('Http', {
      port,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: false,
      defaultAction: notFound,
    });
    const reason =
      'Dev only, by config (deployment.requireHttps=false, no certificate): the ALB is internal, reachable only from inside the VPC, and the dev account has no ACM certificate. Staging and prod refuse to synth without one.';
    for (const rule of [
      'NIST.800.53.R5-ALBHttpToHttpsRedirection',
      'NIST.800.53.R5-ELBTlsHttpsListenersOnly',
    ]) {
      acknowledge(this.loadBalancer, rule, reason);
    }
    acknowledge(listener, 'NIST.800.53.R5-ELBv2ACMCertificateRequired', reason);
    return listener;
  }

  private targetGroup(id: string, vpc: ec2.IVpc): elbv2.ApplicationTargetGroup {
    return new elbv2.ApplicationTargetGroup(this, id, {
      vpc,
      port: this.config.ports.orbit,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: Duration.seconds(this.config.deployment.drainSeconds),
      healthCheck: {
        path: '/health',
        healthyHttpCodes: '200',
        interval: Duration.seconds(10),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
  }

  /**
   * Target tracking on ALB requests per running task. The predefined ALBRequestCountPerTarget
   * metric is tied to one target group, and blue/green moves traffic between two; this divides the
   * load balancer's requests by Container Insights' running-task count instead.
   */
  private scaleOnRequestsPerTask(service: GovernedFargateService): void {
    service.scaling.scaleToTrackCustomMetric('RequestsPerTask', {
      metric: this.loadBalancer.metrics.requestCount({ period: Duration.minutes(1) }),
      targetValue: REQUESTS_PER_TASK_PER_MINUTE,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });
    const policy = service.scaling.node
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
              { Name: 'ServiceName', Value: service.serviceName },
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
}

/** The internal ALB's listener port: HTTPS with a certificate, else HTTP (dev only, by config). */
export function albListenerPort(config: EnvironmentConfig): number {
  return config.deployment.certificateArn !== undefined ? 443 : 80;
}
