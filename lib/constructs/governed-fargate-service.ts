import { Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SERVICE_ENV } from '../../contracts/service-env.js';
import { type EnvironmentConfig, removalPolicyOf, type TaskSize } from '../config/index.js';
import { acknowledge } from '../nag.js';
import { TRACES_ENDPOINT, type TraceCollectorImage } from './trace-collector.js';

export interface GovernedFargateServiceProps {
  readonly config: EnvironmentConfig;
  /** Short service name (`orbit`, `axon`): names the service, task family, log group and port mapping. */
  readonly service: string;
  readonly cluster: ecs.ICluster;
  readonly size: TaskSize;
  readonly port: number;
  readonly image: ecs.ContainerImage;
  /**
   * The runtime identity (from SecurityStack), imported immutable: every permission of the
   * containers is in the service's task policy (TaskPermissions), none is added implicitly.
   */
  readonly taskRole: iam.IRole;
  readonly logsKey: kms.IKey;
  readonly environment: Record<string, string>;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Service Connect namespace and (for a server) the endpoints; the proxy logs to the service's group. */
  readonly serviceConnect: Omit<ecs.ServiceConnectProps, 'logDriver'>;
  readonly capacityProviderStrategies: ecs.CapacityProviderStrategy[];
  /** Average CPU that target tracking steers to (default 60). */
  readonly cpuTargetPercent?: number;
  /** Collector sidecar that forwards the service's spans to X-Ray. */
  readonly traceCollector: TraceCollectorImage;
  /** Grace period for load balancer health checks; only for services behind a load balancer. */
  readonly healthCheckGracePeriod?: Duration;
}

/** The image's health probe: GET http://127.0.0.1:$PORT/health must answer 2xx within 2 s. */
export const HEALTH_CHECK_COMMAND = ['CMD', '/nodejs/bin/node', '/app/healthcheck.mjs'];

/** The non-root user the service images run as (distroless `nonroot`). */
export const CONTAINER_USER = '65532:65532';

/**
 * One platform service on Fargate with the controls every service gets: arm64, read-only root
 * filesystem with a scratch `/tmp`, non-root, not privileged, a container health check equal to the
 * image's, logs to a KMS-encrypted `/${prefix}/<service>` group, stop timeout = drain time, separate
 * execution role (image pull, logs) and task role (the service's own AWS calls), ECS native
 * blue/green deployments with circuit-breaker rollback, CPU target tracking between min and max.
 */
export class GovernedFargateService extends Construct {
  /** Short service name (`orbit`, `axon`). */
  readonly name: string;
  /** `<prefix>-<service>`, literal: metrics and alarms can name the service without referencing it. */
  readonly serviceName: string;
  readonly service: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly logGroup: logs.LogGroup;
  readonly executionRole: iam.Role;
  readonly scaling: ecs.ScalableTaskCount;

  constructor(scope: Construct, id: string, props: GovernedFargateServiceProps) {
    super(scope, id);
    const { config, service } = props;
    const drain = Duration.seconds(config.deployment.drainSeconds);
    this.name = service;
    this.serviceName = `${config.prefix}-${service}`;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/${config.prefix}/${service}`,
      encryptionKey: props.logsKey,
      retention: config.logRetention,
      removalPolicy: removalPolicyOf(config),
    });

    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: `ECS agent identity of ${service}: pulls the image and writes the log stream, nothing else`,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      family: `${config.prefix}-${service}`,
      cpu: props.size.cpu,
      memoryLimitMiB: props.size.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      taskRole: props.taskRole,
      executionRole: this.executionRole,
      volumes: [{ name: 'tmp' }],
    });

    this.container = this.taskDefinition.addContainer('App', {
      containerName: service,
      image: props.image,
      essential: true,
      user: CONTAINER_USER,
      privileged: false,
      readonlyRootFilesystem: true,
      // Explicit so a one-off task (the CI smoke test) can override the command; ECS cannot override an image ENTRYPOINT.
      entryPoint: ['/nodejs/bin/node'],
      command: ['/app/main.mjs'],
      environment: {
        ...props.environment,
        [SERVICE_ENV.environment]: config.name,
        [SERVICE_ENV.tracesEndpoint]: TRACES_ENDPOINT,
      },
      portMappings: [{ name: service, containerPort: props.port, appProtocol: ecs.AppProtocol.http }],
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: service }),
      healthCheck: {
        // The image's own HEALTHCHECK (services/<svc>/Dockerfile): distroless has no shell or curl.
        command: HEALTH_CHECK_COMMAND,
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(20),
      },
      stopTimeout: drain,
    });
    this.container.addMountPoints({ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false });
    props.traceCollector.addTo(
      this.taskDefinition,
      ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'trace-collector' }),
    );

    this.service = new ecs.FargateService(this, 'Service', {
      serviceName: this.serviceName,
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [props.securityGroup],
      assignPublicIp: false,
      capacityProviderStrategies: props.capacityProviderStrategies,
      // No ECS Exec: its SSM agent needs a writable root (or undocumented writable paths) and an
      // ssmmessages endpoint in the isolated tier; a one-off task with the service's task definition
      // is how to look inside (docs/runbook.md).
      enableExecuteCommand: false,
      serviceConnectConfiguration: {
        ...props.serviceConnect,
        logDriver: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: 'service-connect' }),
      },
      // Desired count is left to autoscaling (min..max), so a deploy never resets a scaled-out service.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      deploymentStrategy: ecs.DeploymentStrategy.BLUE_GREEN,
      bakeTime: Duration.minutes(config.deployment.bakeMinutes),
      circuitBreaker: { enable: true, rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
      ...(props.healthCheckGracePeriod ? { healthCheckGracePeriod: props.healthCheckGracePeriod } : {}),
    });

    this.scaling = this.service.autoScaleTaskCount({
      minCapacity: props.size.minTasks,
      maxCapacity: props.size.maxTasks,
    });
    this.scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: props.cpuTargetPercent ?? 60,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });

    acknowledge(
      this.taskDefinition,
      'AwsSolutions-ECS2',
      'The environment holds only non-secret settings (ports, names, secret ARNs); secrets are read at run time by the task role, so a rotation reaches running tasks without a restart.',
    );
    acknowledge(
      this.executionRole,
      'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are scoped to the repository.',
    );
    acknowledge(
      this.executionRole,
      'NIST.800.53.R5-IAMNoInlinePolicy',
      "The execution role's own grant policy, generated from the image pull and log group grants; attached to this role only.",
    );
  }
}
