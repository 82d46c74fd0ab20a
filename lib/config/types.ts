import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { EnvironmentName } from '../../contracts/environments.js';
import type { CallersConfig } from './callers.js';
import type { GovernanceConfig } from './governance.js';
import type { GovernanceAdminConfig } from './governance-admin.js';
import type { ObservabilityConfig } from './observability.js';

export { ENVIRONMENT_NAMES, type EnvironmentName } from '../../contracts/environments.js';

/** Fargate task size; the allowed CPU/memory pairs are checked by `validateConfig`. */
export interface TaskSize {
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly minTasks: number;
  readonly maxTasks: number;
}

export interface NetworkConfig {
  /** IPv4 CIDR of the VPC, /16 to /20. */
  readonly cidr: string;
  /** NAT gateways: 1 is cheaper, one per AZ survives an AZ outage. At most the AZ count (3; lib/config/regions.ts). */
  readonly natGateways: number;
}

/** Where the service images come from: built from source at deploy time, or a CI-pushed ECR tag. */
export type ImageSource = { readonly kind: 'asset' } | { readonly kind: 'ecr'; readonly tag: string };

/** How the platform is deployed and reached: TLS, draining, service discovery, key rotation. */
export interface DeploymentConfig {
  /**
   * The internal ALB must serve HTTPS. When true, `certificateArn` is required; when false and no
   * certificate is configured, the ALB listens on HTTP inside the VPC (dev only).
   */
  readonly requireHttps: boolean;
  /** ACM certificate of the internal ALB, from `<ENV>_CERTIFICATE_ARN`; same account and region. */
  readonly certificateArn: string | undefined;
  /**
   * Seconds an instance gets to finish in-flight requests: the ALB deregistration delay and the
   * container stop timeout (Fargate allows at most 120).
   */
  readonly drainSeconds: number;
  /** Minutes the new (green) revision carries all traffic before blue is released. */
  readonly bakeMinutes: number;
  /** Cloud Map namespace Service Connect registers Axon in, e.g. `axon-orbit-dev.internal`. */
  readonly serviceConnectNamespace: string;
  /**
   * Encrypt Orbit → Axon with Service Connect TLS (TLS 1.3, certificates from an AWS Private CA in
   * short-lived certificate mode, ~USD 50 a month per environment). On in staging and prod; dev's
   * hop is signed but not encrypted.
   */
  readonly serviceConnectTls: boolean;
  /** Let tasks beyond the first run on FARGATE_SPOT (interruptible, cheaper): dev only. */
  readonly fargateSpot: boolean;
  /** Days between automatic rotations of Orbit's signing key. */
  readonly signingKeyRotationDays: number;
  readonly imageSource: ImageSource;
}

export interface PortsConfig {
  readonly orbit: number;
  readonly axon: number;
}

/**
 * Everything that differs between environments. Stacks read only this object: no context lookups,
 * no environment variables, so a synth is deterministic for a given config.
 */
export interface EnvironmentConfig {
  readonly name: EnvironmentName;
  /** Undefined outside prod when no account is configured: the stacks are then environment-agnostic. */
  readonly account: string | undefined;
  readonly region: string;
  /** Prefix of every physical name (stacks, functions, aliases) in this environment. */
  readonly prefix: string;
  readonly network: NetworkConfig;
  readonly ports: PortsConfig;
  readonly logRetention: RetentionDays;
  /** `retain` keeps stateful resources (keys, tables, log groups) when a stack is deleted. */
  readonly removalPolicy: 'retain' | 'destroy';
  readonly alarmEmail: string;
  readonly orbit: TaskSize;
  readonly axon: TaskSize;
  readonly deployment: DeploymentConfig;
  readonly observability: ObservabilityConfig;
  readonly governance: GovernanceConfig;
  /** The policy admin function's role mapping until an admin stores one. */
  readonly governanceAdmin: GovernanceAdminConfig;
  /** Who may call Orbit (token issuer, callers, scopes) and the rate limits in Orbit and WAF. */
  readonly callers: CallersConfig;
}
