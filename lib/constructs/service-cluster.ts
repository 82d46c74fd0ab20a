import { fileURLToPath } from 'node:url';
import { Duration, IgnoreMode } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as cloudmap from 'aws-cdk-lib/aws-servicediscovery';
import type { Construct } from 'constructs';
import { type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import { StackSection } from './stack-section.js';
import { TraceCollectorImage } from './trace-collector.js';

export type ServiceName = 'orbit' | 'axon';

export interface ServiceClusterProps {
  readonly config: EnvironmentConfig;
  readonly vpc: ec2.IVpc;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Never part of an image build context (the root .dockerignore adds the rest). */
const BUILD_CONTEXT_EXCLUDES = ['**/node_modules', '**/cdk.out', '.git', 'coverage', '.local', '**/*.log'];

/**
 * The ECS cluster with its Fargate capacity providers and Service Connect namespace, and where the
 * services' images come from: the ECR repositories CI pushes to (or a build from source) and the
 * trace collector's image.
 */
export class ServiceCluster extends StackSection {
  readonly cluster: ecs.Cluster;
  readonly namespace: cloudmap.INamespace;
  readonly repositories: Readonly<Record<ServiceName, ecr.Repository>>;
  readonly traceCollector: TraceCollectorImage;
  /** Where the services' tasks run: Fargate, and Spot beyond the first task where config allows. */
  readonly capacityProviderStrategies: ecs.CapacityProviderStrategy[];
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: ServiceClusterProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      clusterName: config.prefix,
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENHANCED,
      enableFargateCapacityProviders: true,
    });
    this.namespace = this.cluster.addDefaultCloudMapNamespace({
      name: config.deployment.serviceConnectNamespace,
      type: cloudmap.NamespaceType.HTTP,
      useForServiceConnect: true,
    });
    this.capacityProviderStrategies = config.deployment.fargateSpot
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
    this.traceCollector = new TraceCollectorImage(this, 'TraceCollector', {
      repositoryPrefix: `${config.prefix}-public`,
    });
  }

  /**
   * The service image: built from `services/Dockerfile` (`SERVICE=<service>`) with the repository root as
   * context (synth only stages the files; Docker runs at deploy time), or the CI-pushed ECR tag.
   */
  image(service: ServiceName): ecs.ContainerImage {
    const source = this.config.deployment.imageSource;
    if (source.kind === 'ecr')
      return ecs.ContainerImage.fromEcrRepository(this.repositories[service], source.tag);
    return ecs.ContainerImage.fromAsset(REPO_ROOT, {
      file: 'services/Dockerfile',
      buildArgs: { SERVICE: service, PORT: String(this.config.ports[service]) },
      platform: Platform.LINUX_ARM64,
      exclude: BUILD_CONTEXT_EXCLUDES,
      ignoreMode: IgnoreMode.DOCKER,
      assetName: `${service}-image`,
    });
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
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
