import { Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CORRELATION_ATTRIBUTE } from '../../contracts/correlation.js';

/** ADOT collector release the sidecar runs (public.ecr.aws/aws-observability/aws-otel-collector). */
export const COLLECTOR_VERSION = 'v0.43.3';
/** Where the services send spans: the sidecar shares the task's network namespace. */
export const TRACES_ENDPOINT = 'http://127.0.0.1:4318/v1/traces';

/**
 * Collector config: OTLP/HTTP in on loopback only, X-Ray out. The correlation id attribute is
 * indexed, so it becomes an X-Ray annotation that traces can be filtered by.
 */
const COLLECTOR_CONFIG = `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:4318
processors:
  batch:
    timeout: 5s
exporters:
  awsxray:
    indexed_attributes: [${CORRELATION_ATTRIBUTE}]
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [awsxray]
`;

export interface TraceCollectorImageProps {
  /** Repository prefix of the pull-through cache rule, unique per environment (e.g. `axon-orbit-prod-public`). */
  readonly repositoryPrefix: string;
}

/**
 * The collector image, served from this account's ECR through a pull-through cache of ECR Public:
 * Axon's isolated subnets reach ECR through VPC endpoints but have no route to public.ecr.aws.
 */
export class TraceCollectorImage extends Construct {
  readonly image: ecs.ContainerImage;
  private readonly repositoryArn: string;

  constructor(scope: Construct, id: string, props: TraceCollectorImageProps) {
    super(scope, id);
    const stack = Stack.of(this);
    new ecr.CfnPullThroughCacheRule(this, 'PullThroughCache', {
      ecrRepositoryPrefix: props.repositoryPrefix,
      upstreamRegistryUrl: 'public.ecr.aws',
    });
    const repositoryName = `${props.repositoryPrefix}/aws-observability/aws-otel-collector`;
    this.repositoryArn = stack.formatArn({
      service: 'ecr',
      resource: 'repository',
      resourceName: repositoryName,
    });
    this.image = ecs.ContainerImage.fromRegistry(
      `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}/${repositoryName}:${COLLECTOR_VERSION}`,
    );
  }

  /**
   * Adds the collector as a non-essential sidecar (a collector failure must never stop the service)
   * and lets the task pull it; the first pull creates the cached repository.
   */
  addTo(taskDefinition: ecs.FargateTaskDefinition, logDriver: ecs.LogDriver): ecs.ContainerDefinition {
    taskDefinition.executionRole?.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PullCollectorThroughCache',
        actions: [
          'ecr:BatchGetImage',
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchImportUpstreamImage',
          'ecr:CreateRepository',
        ],
        resources: [this.repositoryArn],
      }),
    );
    return taskDefinition.addContainer('TraceCollector', {
      containerName: 'trace-collector',
      image: this.image,
      essential: false,
      memoryReservationMiB: 64,
      readonlyRootFilesystem: true,
      privileged: false,
      user: '10001',
      environment: { AOT_CONFIG_CONTENT: COLLECTOR_CONFIG },
      logging: logDriver,
    });
  }
}
