/**
 * Fixtures for the operator commands' tests: recorded-shape AWS responses of a deployed dev
 * environment (account 123456789012, eu-west-1) and a clock that never waits.
 */
import {
  type CloudFormationClient,
  ListStackResourcesCommand,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { AwsClients } from './aws.js';
import type { CliDeps } from './cli.js';
import type { Clock } from './poll.js';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const PREFIX = 'axon-orbit-dev';
export const CALLER = {
  UserId: 'AROA3XFRBF535PLBIFPI4:operator',
  Account: ACCOUNT,
  Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/platform-operator/operator`,
  $metadata: { httpStatusCode: 200, requestId: '4a1e5b2c-0000-4000-8000-000000000001' },
};

const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;

/** Physical ids as CloudFormation reports them for each type (name, id or ARN). */
export const PHYSICAL = {
  orbitTaskRole: `${PREFIX}-security-OrbitTaskRole10DCE701-Xk2PqR7sT9vW`,
  axonTaskRole: `${PREFIX}-security-AxonTaskRoleE9ABEDD9-Lm4NoP5qR6sT`,
  orbitKey: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  axonKey: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a',
  orbitSecret: arn('secretsmanager', `secret:${PREFIX}/orbit/signing-key-AbCdEf`),
  axonSecret: arn('secretsmanager', `secret:${PREFIX}/axon/verification-keys-GhIjKl`),
  internetGateway: 'igw-0a1b2c3d4e5f67890',
  axonSecurityGroup: 'sg-0123456789abcdef0',
  loadBalancer: arn('elasticloadbalancing', `loadbalancer/app/${PREFIX}-orbit/50dc6c495c0c9188`),
  productionRule: arn(
    'elasticloadbalancing',
    `listener-rule/app/${PREFIX}-orbit/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
  ),
  blueTargetGroup: arn('elasticloadbalancing', 'targetgroup/devSer-Orbit-BLUE1234/73e2d6bc24d8a067'),
  greenTargetGroup: arn('elasticloadbalancing', 'targetgroup/devSer-Orbit-GREEN567/2453ed029918f21f'),
  cluster: PREFIX,
  orbitService: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${PREFIX}/${PREFIX}-orbit`,
  decisionFunction: `${PREFIX}-governance-decide`,
  policyTable: `${PREFIX}-governance-policies`,
  criticalTopic: arn('sns', `${PREFIX}-alarms-critical`),
  warningTopic: arn('sns', `${PREFIX}-alarms-warning`),
  undeliveredQueue: arn('sqs', `${PREFIX}-observability-UndeliveredAlarms78D632A2-a1B2c3D4e5F6`),
} as const;

export const ALARMS = {
  errorRate: `${PREFIX}-critical-orbit-error-rate`,
  composite: `${PREFIX}-critical-platform-unhealthy`,
  cpu: `${PREFIX}-warning-orbit-cpu-high`,
  rollback: `${PREFIX}-orbit-deployment-5xx`,
} as const;

const summary = (LogicalResourceId: string, ResourceType: string, PhysicalResourceId: string) => ({
  LogicalResourceId,
  PhysicalResourceId,
  ResourceType,
  LastUpdatedTimestamp: new Date('2026-11-30T09:12:44.120Z'),
  ResourceStatus: 'CREATE_COMPLETE' as const,
  DriftInformation: { StackResourceDriftStatus: 'NOT_CHECKED' as const },
});

/** ListStackResources pages per stack, logical ids as the dev synth names them. */
export const STACK_RESOURCES: Readonly<Record<string, StackResourceSummary[]>> = {
  [`${PREFIX}-security`]: [
    summary('OrbitTaskRole10DCE701', 'AWS::IAM::Role', PHYSICAL.orbitTaskRole),
    summary('AxonTaskRoleE9ABEDD9', 'AWS::IAM::Role', PHYSICAL.axonTaskRole),
    summary('OrbitKey3D50368A', 'AWS::KMS::Key', PHYSICAL.orbitKey),
    summary('OrbitKeyAlias861707FA', 'AWS::KMS::Alias', `alias/${PREFIX}/orbit`),
    summary('AxonKey3DD0C209', 'AWS::KMS::Key', PHYSICAL.axonKey),
  ],
  [`${PREFIX}-signing`]: [
    summary('OrbitSigningKey82B3B5FD', 'AWS::SecretsManager::Secret', PHYSICAL.orbitSecret),
    summary('AxonVerificationKeys2D71694F', 'AWS::SecretsManager::Secret', PHYSICAL.axonSecret),
    summary('RotationLogsE1CE7F9C', 'AWS::Logs::LogGroup', `/aws/lambda/${PREFIX}-secret-rotation`),
  ],
  [`${PREFIX}-network`]: [summary('VpcIGWD7BA715C', 'AWS::EC2::InternetGateway', PHYSICAL.internetGateway)],
  [`${PREFIX}-services`]: [
    summary('AxonSgC2D0342F', 'AWS::EC2::SecurityGroup', PHYSICAL.axonSecurityGroup),
    summary('AlbSg1155C1BE', 'AWS::EC2::SecurityGroup', 'sg-0fedcba9876543210'),
    summary('Alb16C2F182', 'AWS::ElasticLoadBalancingV2::LoadBalancer', PHYSICAL.loadBalancer),
    summary('OrbitRule258F41DC', 'AWS::ElasticLoadBalancingV2::ListenerRule', PHYSICAL.productionRule),
    summary('ClusterEB0386A7', 'AWS::ECS::Cluster', PHYSICAL.cluster),
    summary('OrbitService6FB684E0', 'AWS::ECS::Service', PHYSICAL.orbitService),
    summary('OrbitRollbackAlarmA416C99C', 'AWS::CloudWatch::Alarm', ALARMS.rollback),
  ],
  [`${PREFIX}-governance`]: [
    summary('DecideFunctionE25E2FA0', 'AWS::Lambda::Function', PHYSICAL.decisionFunction),
  ],
  [`${PREFIX}-policy-store`]: [summary('PolicyTableE50BDB2B', 'AWS::DynamoDB::Table', PHYSICAL.policyTable)],
  [`${PREFIX}-observability`]: [
    summary('CriticalTopic48D98EE4', 'AWS::SNS::Topic', PHYSICAL.criticalTopic),
    summary('WarningTopicE070F32B', 'AWS::SNS::Topic', PHYSICAL.warningTopic),
    summary('Alarmsorbiterrorrate339A0B90', 'AWS::CloudWatch::Alarm', ALARMS.errorRate),
    summary('AlarmsorbitcpuhighEB9BDAEF', 'AWS::CloudWatch::Alarm', ALARMS.cpu),
    summary('Alarmsplatformunhealthy832AC08A', 'AWS::CloudWatch::CompositeAlarm', ALARMS.composite),
  ],
};

/** CloudFormation's answer for a stack that was never created. */
export function missingStack(name: string): Error {
  return Object.assign(new Error(`Stack with id ${name} does not exist`), {
    name: 'ValidationError',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

/** An access denial as IAM-style services word it: the action is in the message. */
export function accessDenied(action: string, resource = '*', name = 'AccessDenied'): Error {
  return Object.assign(
    new Error(
      `User: ${CALLER.Arn} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`,
    ),
    { name, $fault: 'client', $metadata: { httpStatusCode: 403 } },
  );
}

export function mockDeployedStacks(cloudFormation: AwsClientStub<CloudFormationClient>): void {
  cloudFormation.on(ListStackResourcesCommand).callsFake((input: { StackName: string }) => {
    const resources = STACK_RESOURCES[input.StackName];
    if (!resources) throw missingStack(input.StackName);
    return { StackResourceSummaries: resources, $metadata: { httpStatusCode: 200 } };
  });
}

export function mockCaller(sts: AwsClientStub<STSClient>): void {
  sts.on(GetCallerIdentityCommand).resolves(CALLER);
}

/** A clock that advances by the time asked to sleep, so bounded polls finish at once. */
export function fakeClock(start = new Date('2026-12-02T12:00:00Z')): Clock & { slept: number } {
  let now = start.getTime();
  const clock = {
    slept: 0,
    now: () => new Date(now),
    sleep: async (ms: number) => {
      now += ms;
      clock.slept += ms;
    },
  };
  return clock;
}

export interface Captured {
  readonly deps: CliDeps;
  readonly out: string[];
  readonly err: string[];
}

export function cliDeps(env: Record<string, string> = {}, clock: Clock = fakeClock()): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    deps: {
      env,
      clients: (region) => new AwsClients({ region }),
      clock,
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    },
  };
}

/** The IAM actions of every call the mocked clients received, as `<prefix>:<Operation>`. */
export function actionsCalled(
  stubs: ReadonlyArray<readonly [string, { calls(): { args: unknown[] }[] }]>,
): string[] {
  const actions = stubs.flatMap(([prefix, stub]) =>
    stub
      .calls()
      .map((call) => `${prefix}:${(call.args[0] as object).constructor.name.replace(/Command$/, '')}`),
  );
  return [...new Set(actions)].sort();
}
