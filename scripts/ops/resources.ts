/**
 * The deployed resources the operator commands look at, named the way CloudFormation knows them:
 * the stack (`<prefix>-<stack>`, see lib/platform-stage.ts), the resource type and the logical id
 * CDK gives the construct (its path plus an 8-digit hash). The one place to update when a construct
 * moves; `resources.test.ts` checks every entry against a fresh synth so a rename breaks the test,
 * not the on-call engineer.
 */
export type StackKey =
  | 'security'
  | 'network'
  | 'signing'
  | 'policy-store'
  | 'governance'
  | 'policy-admin'
  | 'services'
  | 'observability'
  | 'cicd';

export interface ResourceSpec {
  readonly stack: StackKey;
  /** CloudFormation resource type, e.g. `AWS::IAM::Role`. */
  readonly type: string;
  /** Matches exactly one logical id of that type in the stack. */
  readonly logicalId: RegExp;
  /** What it is, for messages. */
  readonly description: string;
}

/** CDK's logical id: the construct path without `Resource`, then 8 hex digits of its hash. */
const cdkId = (path: string) => new RegExp(`^${path}[0-9A-F]{8}$`);

export const RESOURCES = {
  orbitTaskRole: {
    stack: 'security',
    type: 'AWS::IAM::Role',
    logicalId: cdkId('OrbitTaskRole'),
    description: "Orbit's task role",
  },
  axonTaskRole: {
    stack: 'security',
    type: 'AWS::IAM::Role',
    logicalId: cdkId('AxonTaskRole'),
    description: "Axon's task role",
  },
  orbitKey: {
    stack: 'security',
    type: 'AWS::KMS::Key',
    logicalId: cdkId('OrbitKey'),
    description: "Orbit's KMS key",
  },
  axonKey: {
    stack: 'security',
    type: 'AWS::KMS::Key',
    logicalId: cdkId('AxonKey'),
    description: "Axon's KMS key",
  },
  orbitSecret: {
    stack: 'signing',
    type: 'AWS::SecretsManager::Secret',
    logicalId: cdkId('OrbitSigningKey'),
    description: "Orbit's signing-key secret",
  },
  axonSecret: {
    stack: 'signing',
    type: 'AWS::SecretsManager::Secret',
    logicalId: cdkId('AxonVerificationKeys'),
    description: "Axon's verification-key secret",
  },
  rotationLogGroup: {
    stack: 'signing',
    type: 'AWS::Logs::LogGroup',
    logicalId: cdkId('RotationLogs'),
    description: "the signing-key rotation function's log group",
  },
  internetGateway: {
    stack: 'network',
    type: 'AWS::EC2::InternetGateway',
    logicalId: cdkId('VpcIGW'),
    description: "the VPC's internet gateway",
  },
  axonSecurityGroup: {
    stack: 'services',
    type: 'AWS::EC2::SecurityGroup',
    logicalId: cdkId('AxonSg'),
    description: "Axon tasks' security group",
  },
  loadBalancer: {
    stack: 'services',
    type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
    logicalId: cdkId('Alb'),
    description: 'the internal ALB',
  },
  productionRule: {
    stack: 'services',
    type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
    logicalId: cdkId('OrbitRule'),
    description: "Orbit's production listener rule",
  },
  cluster: {
    stack: 'services',
    type: 'AWS::ECS::Cluster',
    logicalId: cdkId('Cluster'),
    description: 'the ECS cluster',
  },
  orbitService: {
    stack: 'services',
    type: 'AWS::ECS::Service',
    logicalId: cdkId('OrbitService'),
    description: "Orbit's ECS service",
  },
  decisionFunction: {
    stack: 'governance',
    type: 'AWS::Lambda::Function',
    logicalId: cdkId('DecideFunction'),
    description: 'the governance decision function',
  },
  policyTable: {
    stack: 'policy-store',
    type: 'AWS::DynamoDB::Table',
    logicalId: cdkId('PolicyTable'),
    description: 'the governance policy table',
  },
} as const satisfies Record<string, ResourceSpec>;

export type ResourceName = keyof typeof RESOURCES;

/** Resource types whose every instance in a stack matters (alarms, topics). */
export const ALARM_TYPES = ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm'] as const;
export const TOPIC_TYPE = 'AWS::SNS::Topic';
/** Stacks that create alarms: the paging ones and the deployment-rollback ones. */
export const ALARM_STACKS: readonly StackKey[] = ['observability', 'services'];
