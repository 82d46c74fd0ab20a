import { Stage, type StageProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config/index.js';
import { CallersStack } from './stacks/callers-stack.js';
import { GovernanceStack } from './stacks/governance-stack.js';
import { NetworkStack } from './stacks/network-stack.js';
import { ObservabilityStack } from './stacks/observability-stack.js';
import { PolicyAdminStack } from './stacks/policy-admin-stack.js';
import { PolicyStoreStack } from './stacks/policy-store-stack.js';
import { SecurityStack } from './stacks/security-stack.js';
import { ServicesStack } from './stacks/services-stack.js';
import { SigningStack } from './stacks/signing-stack.js';

export interface PlatformStageProps extends StageProps {
  readonly config: EnvironmentConfig;
}

/**
 * One environment of the platform. Stateful stacks (keys, network) come first; stateless stacks
 * receive their constructs as props, so references only ever point from stateless to stateful.
 */
export class PlatformStage extends Stage {
  readonly security: SecurityStack;
  readonly network: NetworkStack;
  readonly policyStore: PolicyStoreStack;
  readonly governance: GovernanceStack;
  readonly policyAdmin: PolicyAdminStack;
  readonly signing: SigningStack;
  readonly callers: CallersStack;
  readonly services: ServicesStack;
  readonly observability: ObservabilityStack;

  constructor(scope: Construct, id: string, props: PlatformStageProps) {
    const { config } = props;
    super(scope, id, { ...props, env: { account: config.account, region: config.region } });

    // Every stack another one reads from is protected in every environment: deleting or replacing it
    // would pull values from under its consumers. Observability only reads, so prod alone protects it.
    const stackProps = (name: string, readByOthers = true) => ({
      config,
      stackName: `${config.prefix}-${name}`,
      terminationProtection: readByOthers || config.name === 'prod',
    });

    this.security = new SecurityStack(this, 'Security', {
      ...stackProps('security'),
      description: `Axon/Orbit ${config.name}: KMS keys, task roles and permission boundaries (stateful)`,
    });
    this.network = new NetworkStack(this, 'Network', {
      ...stackProps('network'),
      description: `Axon/Orbit ${config.name}: three-tier VPC, NACLs, endpoints, flow logs (stateful)`,
      logsKey: this.security.logsKey,
    });
    this.signing = new SigningStack(this, 'Signing', {
      ...stackProps('signing'),
      description: `Axon/Orbit ${config.name}: Orbit signing key, Axon verification keys and their rotation (stateful)`,
      orbitKey: this.security.orbitKey,
      axonKey: this.security.axonKey,
      logsKey: this.security.logsKey,
      vpc: this.network.vpc,
      functionSubnets: this.network.privateSubnets,
    });

    this.callers = new CallersStack(this, 'Callers', {
      ...stackProps('callers'),
      description: `Axon/Orbit ${config.name}: who may call Orbit, the callers' user pool and app clients (stateful)`,
    });

    this.policyStore = new PolicyStoreStack(this, 'PolicyStore', {
      ...stackProps('policy-store'),
      description: `Axon/Orbit ${config.name}: governance policy table (stateful)`,
      governanceKey: this.security.governanceKey,
    });
    this.governance = new GovernanceStack(this, 'Governance', {
      hop: this.signing.hop,
      ...stackProps('governance'),
      description: `Axon/Orbit ${config.name}: governance decision Lambda (stateless)`,
      policyTable: this.policyStore.policyTable,
      governanceKey: this.security.governanceKey,
      logsKey: this.security.logsKey,
      vpc: this.network.vpc,
      functionSubnets: this.network.privateSubnets,
    });
    this.policyAdmin = new PolicyAdminStack(this, 'PolicyAdmin', {
      ...stackProps('policy-admin'),
      description: `Axon/Orbit ${config.name}: governance policy administration Lambda and its IAM function URL (stateless)`,
      policyTable: this.policyStore.policyTable,
      governanceKey: this.security.governanceKey,
      logsKey: this.security.logsKey,
      vpc: this.network.vpc,
      functionSubnets: this.network.privateSubnets,
    });

    this.services = new ServicesStack(this, 'Services', {
      hop: this.signing.hop,
      ...stackProps('services'),
      description: `Axon/Orbit ${config.name}: ECS cluster, Axon and Orbit services, internal ALB, ECR (stateless)`,
      vpc: this.network.vpc,
      privateSubnets: this.network.privateSubnets,
      isolatedSubnets: this.network.isolatedSubnets,
      orbitTaskRole: this.security.orbitTaskRole,
      axonTaskRole: this.security.axonTaskRole,
      orbitKey: this.security.orbitKey,
      axonKey: this.security.axonKey,
      logsKey: this.security.logsKey,
      orbitSigningSecret: this.signing.orbitSigningSecret,
      axonVerificationSecret: this.signing.axonVerificationSecret,
      governanceFunction: this.governance.decisionFunction,
      callers: this.callers.identity,
    });

    this.observability = new ObservabilityStack(this, 'Observability', {
      ...stackProps('observability', false),
      description: `Axon/Orbit ${config.name}: alarms, dashboard, saved queries, log archive, budget, weekly SLO report (stateless)`,
      alarmsKey: this.security.alarmsKey,
      logsKey: this.security.logsKey,
      vpc: this.network.vpc,
      functionSubnets: this.network.privateSubnets,
      orbit: {
        service: this.services.orbitService,
        logGroup: this.services.orbitLogGroup,
        loadBalancer: this.services.loadBalancer,
        targetGroups: [this.services.orbitTargetGroup, this.services.orbitAlternateTargetGroup],
        waf: this.services.waf,
      },
      axon: { service: this.services.axonService, logGroup: this.services.axonLogGroup },
      governance: {
        decisionFunction: this.governance.decisionFunction,
        decisionLogGroup: this.governance.decisionLogGroup,
        reservedConcurrency: this.governance.reservedConcurrency,
        adminFunction: this.policyAdmin.adminFunction,
        table: this.policyStore.policyTable,
      },
      rotationFunction: this.signing.rotationFunction,
      rotationLogGroup: this.signing.rotationLogGroup,
    });

    Tags.of(this).add('project', 'axon-orbit');
    Tags.of(this).add('environment', config.name);
  }
}
