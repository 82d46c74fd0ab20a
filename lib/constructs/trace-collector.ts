import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { CORRELATION_ATTRIBUTE } from '../../contracts/correlation.js';

/** ADOT collector release the sidecar runs: CI mirrors public.ecr.aws/aws-observability/aws-otel-collector at this tag. */
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
  /**
   * The project's repository CI mirrors the pinned collector release into (by digest, before any
   * deploy: docs/setup.md "Trace collector image"). Tags there are immutable.
   */
  readonly repository: ecr.IRepository;
}

/**
 * The collector image, from a repository this project owns: task start never depends on an
 * upstream registry (Axon's isolated subnets could not reach one anyway), and the immutable tag
 * always names the digest CI verified when it mirrored the release.
 */
export class TraceCollectorImage extends Construct {
  readonly image: ecs.ContainerImage;
  readonly repository: ecr.IRepository;

  constructor(scope: Construct, id: string, props: TraceCollectorImageProps) {
    super(scope, id);
    this.repository = props.repository;
    this.image = ecs.ContainerImage.fromEcrRepository(props.repository, COLLECTOR_VERSION);
  }

  /**
   * Adds the collector as a non-essential sidecar (a collector failure must never stop the
   * service); the image reference grants the execution role the pull.
   */
  addTo(taskDefinition: ecs.FargateTaskDefinition, logDriver: ecs.LogDriver): ecs.ContainerDefinition {
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
