import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateNetworkInsightsPathCommand,
  DeleteNetworkInsightsAnalysisCommand,
  DeleteNetworkInsightsPathCommand,
  DescribeNetworkInsightsAnalysesCommand,
  DescribeNetworkInterfacesCommand,
  EC2Client,
  StartNetworkInsightsAnalysisCommand,
} from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { DECISION_FUNCTION_ENV } from '../../contracts/service-env.js';
import type { CheckResult } from './checks.js';
import { runCommand } from './cli.js';
import type { CommandReport } from './report.js';
import {
  ACCOUNT,
  ALARMS,
  accessDenied,
  actionsCalled,
  cliDeps,
  fakeClock,
  mockCaller,
  mockDeployedStacks,
  PHYSICAL,
  PREFIX,
  REGION,
} from './test-support.js';
import { REACHABILITY_POLL, verifyCommand } from './verify-checks.js';

const sts = mockClient(STSClient);
const cloudFormation = mockClient(CloudFormationClient);
const iam = mockClient(IAMClient);
const ec2 = mockClient(EC2Client);
const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const ecs = mockClient(ECSClient);
const cloudWatch = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);
const lambda = mockClient(LambdaClient);
const dynamo = mockClient(DynamoDBClient);
const ALL = [sts, cloudFormation, iam, ec2, elbv2, ecs, cloudWatch, sns, secrets, lambda, dynamo];

const NOW = new Date('2026-12-02T12:00:00Z');
const PATH_ID = 'nip-0a1b2c3d4e5f67890';
const ANALYSIS_ID = 'nia-0f1e2d3c4b5a69788';

function simulate(allowed: (action: string, resource: string, role: string) => boolean) {
  iam.on(SimulatePrincipalPolicyCommand).callsFake((input) => {
    const action = input.ActionNames[0];
    const resource = input.ResourceArns[0];
    const decision = allowed(action, resource, input.PolicySourceArn) ? 'allowed' : 'implicitDeny';
    return {
      EvaluationResults: [
        {
          EvalActionName: action,
          EvalResourceName: resource,
          EvalDecision: decision,
          MatchedStatements: [],
          MissingContextValues: [],
          PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: decision === 'allowed' },
        },
      ],
      IsTruncated: false,
    };
  });
}

/** Each role may use only its own secret and key. */
const isolated = (action: string, resource: string, role: string) => {
  const service = role.includes('OrbitTaskRole') ? 'orbit' : 'axon';
  const own =
    service === 'orbit' ? [PHYSICAL.orbitSecret, PHYSICAL.orbitKey] : [PHYSICAL.axonSecret, PHYSICAL.axonKey];
  return own.some((id) => resource.endsWith(id)) && /GetSecretValue|Decrypt/.test(action);
};

function analysis(status: 'running' | 'succeeded', pathFound?: boolean) {
  return {
    NetworkInsightsAnalyses: [
      {
        NetworkInsightsAnalysisId: ANALYSIS_ID,
        NetworkInsightsPathId: PATH_ID,
        StartDate: NOW,
        Status: status,
        ...(pathFound === undefined ? {} : { NetworkPathFound: pathFound }),
        ...(pathFound === false
          ? { Explanations: [{ ExplanationCode: 'NO_ROUTE_TO_DESTINATION', Direction: 'egress' }] }
          : {}),
      },
    ],
  };
}

function targetHealth(count: number) {
  return {
    TargetHealthDescriptions: Array.from({ length: count }, (_, i) => ({
      Target: { Id: `10.10.${32 + i}.17`, Port: 8080, AvailabilityZone: `${REGION}a` },
      HealthCheckPort: '8080',
      TargetHealth: { State: 'healthy' as const },
    })),
  };
}

function healthyEnvironment(): void {
  mockCaller(sts);
  mockDeployedStacks(cloudFormation);
  simulate(isolated);
  ec2.on(DescribeNetworkInterfacesCommand).resolves({
    NetworkInterfaces: [
      {
        NetworkInterfaceId: 'eni-0c1d2e3f4a5b6c7d8',
        InterfaceType: 'interface',
        Description: 'arn:aws:ecs:eu-west-1:123456789012:attachment/9f3a',
        Status: 'in-use',
        SubnetId: 'subnet-0aa11bb22cc33dd44',
        PrivateIpAddress: '10.10.96.23',
        Groups: [{ GroupId: PHYSICAL.axonSecurityGroup, GroupName: 'devServices-AxonSg' }],
      },
    ],
  });
  ec2.on(CreateNetworkInsightsPathCommand).resolves({
    NetworkInsightsPath: {
      NetworkInsightsPathId: PATH_ID,
      Source: 'eni-0c1d2e3f4a5b6c7d8',
      Destination: PHYSICAL.internetGateway,
      Protocol: 'tcp',
      CreatedDate: NOW,
    },
  });
  ec2.on(StartNetworkInsightsAnalysisCommand).resolves({
    NetworkInsightsAnalysis: analysis('running').NetworkInsightsAnalyses[0],
  });
  ec2
    .on(DescribeNetworkInsightsAnalysesCommand)
    .resolvesOnce(analysis('running'))
    .resolves(analysis('succeeded', false));
  ec2.on(DeleteNetworkInsightsAnalysisCommand).resolves({ NetworkInsightsAnalysisId: ANALYSIS_ID });
  ec2.on(DeleteNetworkInsightsPathCommand).resolves({ NetworkInsightsPathId: PATH_ID });
  elbv2.on(DescribeLoadBalancersCommand).resolves({
    LoadBalancers: [
      {
        LoadBalancerArn: PHYSICAL.loadBalancer,
        LoadBalancerName: `${PREFIX}-orbit`,
        DNSName: `internal-${PREFIX}-orbit-1234567890.${REGION}.elb.amazonaws.com`,
        Scheme: 'internal',
        Type: 'application',
        State: { Code: 'active' },
      },
    ],
  });
  // After one blue/green deployment ECS has moved production to green.
  elbv2.on(DescribeRulesCommand).resolves({
    Rules: [
      {
        RuleArn: PHYSICAL.productionRule,
        Priority: '10',
        Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
        Actions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: PHYSICAL.blueTargetGroup, Weight: 0 },
                { TargetGroupArn: PHYSICAL.greenTargetGroup, Weight: 100 },
              ],
              TargetGroupStickinessConfig: { Enabled: false },
            },
          },
        ],
        IsDefault: false,
      },
    ],
  });
  elbv2
    .on(DescribeTargetHealthCommand, { TargetGroupArn: PHYSICAL.blueTargetGroup })
    .resolves(targetHealth(0))
    .on(DescribeTargetHealthCommand, { TargetGroupArn: PHYSICAL.greenTargetGroup })
    .resolves(targetHealth(2));
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceArn: PHYSICAL.orbitService,
        serviceName: `${PREFIX}-orbit`,
        status: 'ACTIVE',
        desiredCount: 2,
        runningCount: 2,
        deployments: [
          {
            id: 'ecs-svc/4511264928719012345',
            status: 'PRIMARY',
            rolloutState: 'COMPLETED',
            runningCount: 2,
          },
        ],
      },
    ],
    failures: [],
  });
  cloudWatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [ALARMS.errorRate, ALARMS.cpu, ALARMS.rollback].map((name) => ({
      AlarmName: name,
      AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`,
      StateValue: name === ALARMS.cpu ? ('INSUFFICIENT_DATA' as const) : ('OK' as const),
      AlarmActions: name === ALARMS.rollback ? [] : [PHYSICAL.criticalTopic],
    })),
    CompositeAlarms: [
      {
        AlarmName: ALARMS.composite,
        StateValue: 'OK',
        AlarmActions: [PHYSICAL.criticalTopic],
        AlarmRule: `ALARM("${ALARMS.errorRate}")`,
      },
    ],
  });
  sns.on(ListSubscriptionsByTopicCommand).callsFake((input) => ({
    Subscriptions: [
      {
        SubscriptionArn: `${input.TopicArn}:7f3b2c1a-0d4e-4f5a-8b6c-9d0e1f2a3b4c`,
        Owner: ACCOUNT,
        Protocol: 'email',
        Endpoint: 'platform-dev-alerts@example.com',
        TopicArn: input.TopicArn,
      },
    ],
  }));
  secrets.on(DescribeSecretCommand).resolves({
    ARN: PHYSICAL.orbitSecret,
    Name: `${PREFIX}/orbit/signing-key`,
    RotationEnabled: true,
    RotationLambdaARN: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${PREFIX}-secret-rotation`,
    RotationRules: { AutomaticallyAfterDays: 7 },
    LastRotatedDate: new Date('2026-11-28T03:14:00Z'),
    NextRotationDate: new Date('2026-12-05T23:59:59Z'),
    VersionIdsToStages: {
      'a1b2c3d4-0000-4000-8000-000000000001': ['AWSCURRENT'],
      'a1b2c3d4-0000-4000-8000-000000000000': ['AWSPREVIOUS'],
    },
  });
  lambda.on(GetFunctionConfigurationCommand).resolves({
    FunctionName: PHYSICAL.decisionFunction,
    Runtime: 'nodejs22.x',
    Environment: {
      Variables: {
        [DECISION_FUNCTION_ENV.tableName]: PHYSICAL.policyTable,
        [DECISION_FUNCTION_ENV.policySet]: 'default',
        [DECISION_FUNCTION_ENV.cacheTtlMs]: '5000',
        [DECISION_FUNCTION_ENV.environment]: 'dev',
      },
    },
  });
  dynamo.on(QueryCommand).resolves({
    Items: [
      {
        PK: { S: 'POLICYSET#default' },
        SK: { S: 'REV#0000000003' },
        revision: { N: '3' },
        actor: { S: `arn:aws:sts::${ACCOUNT}:assumed-role/${PREFIX}-policy-editor/alice` },
      },
    ],
    Count: 1,
    ScannedCount: 1,
    LastEvaluatedKey: { PK: { S: 'POLICYSET#default' }, SK: { S: 'REV#0000000003' } },
  });
}

async function runVerify(): Promise<{ code: number; checks: Record<string, CheckResult> }> {
  const { deps, out } = cliDeps({}, fakeClock(NOW));
  const code = await runCommand(verifyCommand, ['--env', 'dev', '--json'], deps);
  const report = JSON.parse(out.join('\n')) as CommandReport;
  return { code, checks: Object.fromEntries(report.checks.map((c) => [c.id, c])) };
}

beforeEach(() => {
  for (const m of ALL) m.reset();
  healthyEnvironment();
});

describe('npm run verify', () => {
  it('passes a healthy deployment (exit 0)', async () => {
    const { code, checks } = await runVerify();
    expect(Object.values(checks).map((c) => [c.id, c.status, c.detail])).toEqual([
      [
        'iam-isolation-orbit',
        'pass',
        "own secret allowed, own key allowed, axon's secret implicitDeny, axon's key implicitDeny",
      ],
      [
        'iam-isolation-axon',
        'pass',
        "own secret allowed, own key allowed, orbit's secret implicitDeny, orbit's key implicitDeny",
      ],
      [
        'axon-no-internet-path',
        'pass',
        `eni-0c1d2e3f4a5b6c7d8 (Axon) → ${PHYSICAL.internetGateway}: no path`,
      ],
      ['alb-internal', 'pass', `${PREFIX}-orbit is internal`],
      [
        'listener-weights',
        'pass',
        'devSer-Orbit-BLUE1234 weight 0, 0 healthy; devSer-Orbit-GREEN567 weight 100, 2 healthy',
      ],
      ['alarms', 'pass', '4 alarms (3 metric, 1 composite), none in ALARM'],
      [
        'alarm-subscriptions',
        'pass',
        `${PREFIX}-alarms-critical: 1 confirmed (email); ${PREFIX}-alarms-warning: 1 confirmed (email)`,
      ],
      [
        'secret-rotation',
        'pass',
        `${PREFIX}/orbit/signing-key: last rotated 2026-11-28T03:14:00.000Z (4.4 days ago, every 7 days)`,
      ],
      ['governance-head', 'pass', `policy set "default" head REV#0000000003 in ${PHYSICAL.policyTable}`],
    ]);
    expect(code).toBe(0);
    const called = actionsCalled([
      ['sts', sts],
      ['cloudformation', cloudFormation],
      ['iam', iam],
      ['ec2', ec2],
      ['elasticloadbalancing', elbv2],
      ['ecs', ecs],
      ['cloudwatch', cloudWatch],
      ['sns', sns],
      ['secretsmanager', secrets],
      ['lambda', lambda],
      ['dynamodb', dynamo],
    ]);
    expect(called.filter((a) => !verifyCommand.permissions.includes(a))).toEqual([]);
  });

  it('simulates the role ARN built from the deployed role name, through Secrets Manager', async () => {
    await runVerify();
    const first = iam.commandCalls(SimulatePrincipalPolicyCommand)[0]?.args[0].input;
    expect(first?.PolicySourceArn).toBe(`arn:aws:iam::${ACCOUNT}:role/${PHYSICAL.orbitTaskRole}`);
    expect(first?.ContextEntries?.[0]?.ContextKeyValues).toEqual([`secretsmanager.${REGION}.amazonaws.com`]);
  });

  it('fails when Orbit may read Axon’s secret', async () => {
    simulate(
      (action, resource, role) => isolated(action, resource, role) || resource === PHYSICAL.axonSecret,
    );
    const { code, checks } = await runVerify();
    expect(checks['iam-isolation-orbit']).toMatchObject({
      status: 'fail',
      detail: "secretsmanager:GetSecretValue on axon's secret is allowed, expected denied",
    });
    expect(checks['iam-isolation-axon']?.status).toBe('pass');
    expect(code).toBe(1);
  });

  it('fails when the Axon tier reaches the internet gateway, and still deletes the analysis and the path', async () => {
    ec2.on(DescribeNetworkInsightsAnalysesCommand).resolves(analysis('succeeded', true));
    const { checks } = await runVerify();
    expect(checks['axon-no-internet-path']?.status).toBe('fail');
    expect(ec2.commandCalls(DeleteNetworkInsightsAnalysisCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DeleteNetworkInsightsPathCommand)[0]?.args[0].input).toEqual({
      NetworkInsightsPathId: PATH_ID,
    });
  });

  it('gives up on an analysis that never finishes, within its bound, and cleans up', async () => {
    ec2.on(DescribeNetworkInsightsAnalysesCommand).resolves(analysis('running'));
    const { checks } = await runVerify();
    expect(checks['axon-no-internet-path']).toMatchObject({
      status: 'error',
      detail: `analysis ${ANALYSIS_ID} still running after ${REACHABILITY_POLL.timeoutMs / 1000} s`,
    });
    expect(ec2.commandCalls(DescribeNetworkInsightsAnalysesCommand).length).toBeLessThanOrEqual(
      REACHABILITY_POLL.timeoutMs / REACHABILITY_POLL.intervalMs + 1,
    );
    expect(ec2.commandCalls(DeleteNetworkInsightsPathCommand)).toHaveLength(1);
  });

  it('fails the listener drift of aws/aws-cdk#36649 and prints the modify-rule that fixes it', async () => {
    // A stack update reset the rule to the template's blue=100 while the tasks sit in green.
    elbv2.on(DescribeRulesCommand).resolves({
      Rules: [
        {
          RuleArn: PHYSICAL.productionRule,
          Actions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: PHYSICAL.blueTargetGroup, Weight: 100 },
                  { TargetGroupArn: PHYSICAL.greenTargetGroup, Weight: 0 },
                ],
              },
            },
          ],
        },
      ],
    });
    const { checks } = await runVerify();
    expect(checks['listener-weights']?.status).toBe('fail');
    expect(checks['listener-weights']?.detail).toContain('aws/aws-cdk#36649');
    expect(checks['listener-weights']?.fix).toBe(
      `aws elbv2 modify-rule --rule-arn ${PHYSICAL.productionRule} --actions 'Type=forward,ForwardConfig={TargetGroups=[{TargetGroupArn=${PHYSICAL.blueTargetGroup},Weight=0},{TargetGroupArn=${PHYSICAL.greenTargetGroup},Weight=100}]}'`,
    );
  });

  it('keeps the JWT verification in the modify-rule it prints: ModifyRule replaces every action', async () => {
    const verifyTokens = {
      Type: 'jwt-validation' as const,
      Order: 1,
      JwtValidationConfig: {
        Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
        JwksEndpoint: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example/.well-known/jwks.json',
      },
    };
    elbv2.on(DescribeRulesCommand).resolves({
      Rules: [
        {
          RuleArn: PHYSICAL.productionRule,
          Actions: [
            verifyTokens,
            {
              Type: 'forward',
              Order: 2,
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: PHYSICAL.blueTargetGroup, Weight: 100 },
                  { TargetGroupArn: PHYSICAL.greenTargetGroup, Weight: 0 },
                ],
              },
            },
          ],
        },
      ],
    });
    const { checks } = await runVerify();
    const fix = checks['listener-weights']?.fix ?? '';
    const actions = JSON.parse(fix.slice(fix.indexOf("'") + 1, fix.lastIndexOf("'")));
    expect(actions).toEqual([
      verifyTokens,
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: PHYSICAL.blueTargetGroup, Weight: 0 },
            { TargetGroupArn: PHYSICAL.greenTargetGroup, Weight: 100 },
          ],
        },
      },
    ]);
  });

  it('fails an alarm in ALARM and an unconfirmed subscription', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [ALARMS.errorRate, ALARMS.cpu, ALARMS.rollback].map((name) => ({
        AlarmName: name,
        StateValue: name === ALARMS.errorRate ? ('ALARM' as const) : ('OK' as const),
      })),
      CompositeAlarms: [{ AlarmName: ALARMS.composite, StateValue: 'ALARM' }],
    });
    sns.on(ListSubscriptionsByTopicCommand).resolves({
      Subscriptions: [
        {
          SubscriptionArn: 'PendingConfirmation',
          Owner: ACCOUNT,
          Protocol: 'email',
          Endpoint: 'platform-dev-alerts@example.com',
          TopicArn: PHYSICAL.criticalTopic,
        },
      ],
    });
    const { checks } = await runVerify();
    expect(checks.alarms).toMatchObject({
      status: 'fail',
      detail: `2 of 4 in ALARM: ${ALARMS.errorRate}, ${ALARMS.composite}`,
    });
    expect(checks['alarm-subscriptions']?.status).toBe('fail');
    expect(checks['alarm-subscriptions']?.detail).toContain('1 of 1 subscriptions pending confirmation');
  });

  it('asks for both metric and composite alarms', async () => {
    await runVerify();
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmTypes).toEqual([
      'MetricAlarm',
      'CompositeAlarm',
    ]);
  });

  it('fails a rotation stuck in AWSPENDING', async () => {
    secrets.on(DescribeSecretCommand).resolves({
      Name: `${PREFIX}/orbit/signing-key`,
      RotationEnabled: true,
      RotationRules: { AutomaticallyAfterDays: 7 },
      LastRotatedDate: new Date('2026-11-28T03:14:00Z'),
      VersionIdsToStages: {
        'a1b2c3d4-0000-4000-8000-000000000002': ['AWSPENDING'],
        'a1b2c3d4-0000-4000-8000-000000000001': ['AWSCURRENT'],
      },
    });
    const { checks } = await runVerify();
    expect(checks['secret-rotation']?.status).toBe('fail');
    expect(checks['secret-rotation']?.detail).toContain('stuck in AWSPENDING');
    expect(checks['secret-rotation']?.fix).toBe(
      `read the rotation function's log group /aws/lambda/${PREFIX}-secret-rotation, fix the cause, then: aws secretsmanager rotate-secret --secret-id ${PREFIX}/orbit/signing-key`,
    );
  });

  it('reads the head with a descending query of one item', async () => {
    await runVerify();
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      TableName: PHYSICAL.policyTable,
      ExpressionAttributeValues: { ':pk': { S: 'POLICYSET#default' } },
      ScanIndexForward: false,
      Limit: 1,
    });
  });

  it('says which grant reads the governance head when the governance key denies kms:Decrypt', async () => {
    dynamo
      .on(QueryCommand)
      .rejects(
        accessDenied('kms:Decrypt', `arn:aws:kms:${REGION}:${ACCOUNT}:key/0000`, 'AccessDeniedException'),
      );
    const { checks } = await runVerify();
    expect(checks['governance-head']).toMatchObject({
      status: 'error',
      detail: `access denied: missing permission kms:Decrypt on the governance key (${PREFIX}/governance) through DynamoDB`,
      fix: `run verify as ${PREFIX}-github-deploy (its OperatorChecksPolicy has it), or grant the identity kms:Decrypt on alias/${PREFIX}/governance with kms:ViaService dynamodb.${REGION}.amazonaws.com`,
    });
  });

  it('names the missing permission of a denied simulation and runs every other check', async () => {
    iam
      .on(SimulatePrincipalPolicyCommand)
      .rejects(
        accessDenied('iam:SimulatePrincipalPolicy', `arn:aws:iam::${ACCOUNT}:role/${PHYSICAL.orbitTaskRole}`),
      );
    const { code, checks } = await runVerify();
    for (const id of ['iam-isolation-orbit', 'iam-isolation-axon']) {
      expect(checks[id]).toMatchObject({
        status: 'error',
        permission: 'iam:SimulatePrincipalPolicy',
        fix: 'grant iam:SimulatePrincipalPolicy to the identity running this command',
      });
    }
    expect(Object.values(checks).filter((c) => c.status === 'pass')).toHaveLength(7);
    expect(code).toBe(1);
  });

  it('reports stacks that are not deployed as errors with the deploy command', async () => {
    cloudFormation.reset();
    mockCaller(sts);
    cloudFormation.rejects(
      Object.assign(new Error(`Stack with id ${PREFIX}-security does not exist`), {
        name: 'ValidationError',
      }),
    );
    const { code, checks } = await runVerify();
    expect(checks['iam-isolation-orbit']).toMatchObject({
      status: 'error',
      fix: "deploy the environment first: npx cdk deploy 'dev/*'",
    });
    expect(code).toBe(1);
  });
});
