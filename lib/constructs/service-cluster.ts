import { fileURLToPath } from 'node:url';
import { Duration, IgnoreMode, RemovalPolicy } from 'aws-cdk-lib';
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
/** Images kept per repository: how far back a rollback can go. */
const ROLLBACK_DEPTH = 50;
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
      repository: this.imageRepository('TraceCollectorRepository', `${config.prefix}/aws-otel-collector`),
    });
  }

  /**
   * Makes a service wait for what its tasks need at start: the cluster's capacity providers (or
   * create, and `cdk destroy`, race the association: "capacity provider is in use") and the
   * collector's repository.
   */
  startAfterPrerequisites(service: ecs.FargateService): void {
    // The whole cluster: CDK adds the capacity provider association to it only at synth.
    service.node.addDependency(this.cluster, this.traceCollector.repository);
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
    return this.imageRepository(`${capitalize(service)}Repository`, `${this.config.prefix}/${service}`);
  }

  private imageRepository(id: string, repositoryName: string): ecr.Repository {
    const removalPolicy = removalPolicyOf(this.config);
    return new ecr.Repository(this, id, {
      repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.KMS,
      removalPolicy,
      // A repository that still holds images cannot be deleted: a torn-down environment empties it.
      emptyOnDelete: removalPolicy === RemovalPolicy.DESTROY,
      lifecycleRules: [
        {
          rulePriority: 1,
          description: 'Drop untagged images after a week',
          tagStatus: ecr.TagStatus.UNTAGGED,
          maxImageAge: Duration.days(7),
        },
        {
          // cosign stores each image's signature and SBOM attestation under `sha256-<digest>.sig|.att`;
          // matched here, they do not count against the images kept below.
          rulePriority: 2,
          description: 'Keep the signatures and attestations of the 50 newest images',
          tagStatus: ecr.TagStatus.TAGGED,
          tagPatternList: ['sha256-*'],
          maxImageCount: 2 * ROLLBACK_DEPTH,
        },
        {
          rulePriority: 3,
          description: 'Keep the 50 newest images: the rollback depth',
          tagStatus: ecr.TagStatus.ANY,
          maxImageCount: ROLLBACK_DEPTH,
        },
      ],
    });
  }
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
