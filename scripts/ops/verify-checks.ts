import { QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateNetworkInsightsPathCommand,
  DeleteNetworkInsightsAnalysisCommand,
  DeleteNetworkInsightsPathCommand,
  DescribeNetworkInsightsAnalysesCommand,
  DescribeNetworkInterfacesCommand,
  type NetworkInsightsAnalysis,
  StartNetworkInsightsAnalysisCommand,
} from '@aws-sdk/client-ec2';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import {
  type Action,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { OPERATOR_PERMISSIONS } from '../../contracts/operator-permissions.js';
import { PARTITION_KEY, policySetKey, SORT_KEY } from '../../contracts/policy-table.js';
import { DECISION_FUNCTION_ENV } from '../../contracts/service-env.js';
import { deployedAlarmNames, describeAlarms } from './alarms.js';
import { deniedAction, isAccessDenied } from './aws-errors.js';
import { type Check, CheckAbort, type CheckOutcome, error, fail, pass, warn } from './checks.js';
import type { CommandContext, OperatorCommand } from './cli.js';
import { pollUntil } from './poll.js';
import { TOPIC_TYPE } from './resources.js';
import { subscriptionOutcome, subscriptionsOf } from './subscriptions.js';

/** Reachability Analyzer usually answers within a minute; give it five before calling it an error. */
export const REACHABILITY_POLL = { intervalMs: 5_000, timeoutMs: 300_000 } as const;
/** A rotation may run a day late before it counts as overdue (the schedule window is a day wide). */
const ROTATION_GRACE_DAYS = 1;
/** The decision function's environment variable naming the policy set it reads. */
const POLICY_SET_VARIABLE = DECISION_FUNCTION_ENV.policySet;

type Service = 'orbit' | 'axon';
const OTHER: Readonly<Record<Service, Service>> = { orbit: 'axon', axon: 'orbit' };

interface Expectation {
  readonly action: string;
  readonly resource: string;
  readonly allowed: boolean;
  readonly label: string;
}

/**
 * Simulates the task role's identity policies under its permission boundary: its own secret and key
 * must be usable, the other service's must not. (Key policies are KMS's own evaluation and are
 * checked at synth; the simulator does not model them.)
 */
function iamIsolation(ctx: CommandContext, service: Service): Check {
  const other = OTHER[service];
  return {
    id: `iam-isolation-${service}`,
    title: `${service}'s task role uses its own secret and key, not ${other}'s`,
    async run() {
      const [role, ownSecret, otherSecret, ownKey, otherKey] = await Promise.all([
        ctx.stacks.physicalId(`${service}TaskRole`),
        ctx.stacks.physicalId(`${service}Secret`),
        ctx.stacks.physicalId(`${other}Secret`),
        ctx.stacks.physicalId(`${service}Key`),
        ctx.stacks.physicalId(`${other}Key`),
      ]);
      const roleArn = `arn:${ctx.partition}:iam::${ctx.account}:role/${role}`;
      const keyArn = (id: string) => `arn:${ctx.partition}:kms:${ctx.config.region}:${ctx.account}:key/${id}`;
      const expectations: Expectation[] = [
        { action: 'secretsmanager:GetSecretValue', resource: ownSecret, allowed: true, label: `own secret` },
        { action: 'kms:Decrypt', resource: keyArn(ownKey), allowed: true, label: 'own key' },
        {
          action: 'secretsmanager:GetSecretValue',
          resource: otherSecret,
          allowed: false,
          label: `${other}'s secret`,
        },
        { action: 'kms:Decrypt', resource: keyArn(otherKey), allowed: false, label: `${other}'s key` },
      ];
      const decisions = await Promise.all(
        expectations.map(async (e) => {
          const simulated = await ctx.aws.iam.send(
            new SimulatePrincipalPolicyCommand({
              PolicySourceArn: roleArn,
              ActionNames: [e.action],
              ResourceArns: [e.resource],
              // The task policies allow KMS only through Secrets Manager; simulate that path.
              ContextEntries: [
                {
                  ContextKeyName: 'kms:ViaService',
                  ContextKeyType: 'string',
                  ContextKeyValues: [`secretsmanager.${ctx.config.region}.amazonaws.com`],
                },
              ],
            }),
          );
          return simulated.EvaluationResults?.[0]?.EvalDecision ?? 'unknown';
        }),
      );
      const wrong = expectations
        .map((e, i) => ({ ...e, decision: decisions[i] ?? 'unknown' }))
        .filter((e) => (e.decision === 'allowed') !== e.allowed);
      const summary = expectations.map((e, i) => `${e.label} ${decisions[i]}`).join(', ');
      if (wrong.length === 0) return pass(summary);
      return fail(
        wrong
          .map(
            (w) => `${w.action} on ${w.label} is ${w.decision}, expected ${w.allowed ? 'allowed' : 'denied'}`,
          )
          .join('; '),
        `compare ${role}'s policies with lib/stacks (security and services stacks) and redeploy`,
      );
    },
  };
}

function noInternetFromAxon(ctx: CommandContext): Check {
  return {
    id: 'axon-no-internet-path',
    title: 'Reachability Analyzer finds no path from the Axon tier to the internet gateway',
    async run() {
      const [securityGroup, internetGateway] = await Promise.all([
        ctx.stacks.physicalId('axonSecurityGroup'),
        ctx.stacks.physicalId('internetGateway'),
      ]);
      const interfaces = await ctx.aws.ec2.send(
        new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'group-id', Values: [securityGroup] }] }),
      );
      const source = interfaces.NetworkInterfaces?.[0]?.NetworkInterfaceId;
      if (!source) {
        return error(
          `no network interface in ${securityGroup}: no Axon task is running to analyse from`,
          'start the Axon service (desired count >= 1) and rerun',
        );
      }
      const path = await ctx.aws.ec2.send(
        new CreateNetworkInsightsPathCommand({
          Source: source,
          Destination: internetGateway,
          Protocol: 'tcp',
        }),
      );
      const pathId = path.NetworkInsightsPath?.NetworkInsightsPathId;
      if (!pathId) throw new CheckAbort('CreateNetworkInsightsPath returned no path id', 'rerun');
      const started: { analysisId?: string } = {};
      try {
        const analysis = await analyse(ctx, pathId, started);
        return reachabilityOutcome(analysis, started.analysisId, `${source} (Axon) → ${internetGateway}`);
      } finally {
        // Analyses belong to their path; delete them first, then the path.
        if (started.analysisId) {
          await ctx.aws.ec2.send(
            new DeleteNetworkInsightsAnalysisCommand({ NetworkInsightsAnalysisId: started.analysisId }),
          );
        }
        await ctx.aws.ec2.send(new DeleteNetworkInsightsPathCommand({ NetworkInsightsPathId: pathId }));
      }
    },
  };
}

/** Starts the analysis of the path (recording its id for cleanup) and waits, bounded, for its end. */
async function analyse(
  ctx: CommandContext,
  pathId: string,
  started: { analysisId?: string },
): Promise<NetworkInsightsAnalysis | undefined> {
  const start = await ctx.aws.ec2.send(
    new StartNetworkInsightsAnalysisCommand({ NetworkInsightsPathId: pathId }),
  );
  const id = start.NetworkInsightsAnalysis?.NetworkInsightsAnalysisId;
  if (!id) throw new CheckAbort('StartNetworkInsightsAnalysis returned no analysis id', 'rerun verify');
  started.analysisId = id;
  return pollUntil<NetworkInsightsAnalysis>(
    async () => {
      const described = await ctx.aws.ec2.send(
        new DescribeNetworkInsightsAnalysesCommand({ NetworkInsightsAnalysisIds: [id] }),
      );
      const current = described.NetworkInsightsAnalyses?.[0];
      return current && current.Status !== 'running' ? current : undefined;
    },
    { clock: ctx.clock, ...REACHABILITY_POLL },
  );
}

function reachabilityOutcome(
  analysis: NetworkInsightsAnalysis | undefined,
  analysisId: string | undefined,
  route: string,
): CheckOutcome {
  if (!analysis) {
    return error(
      `analysis ${analysisId} still running after ${REACHABILITY_POLL.timeoutMs / 1000} s`,
      'rerun verify',
    );
  }
  if (analysis.Status !== 'succeeded') {
    return error(
      `analysis ${analysisId} ${analysis.Status}: ${analysis.StatusMessage ?? ''}`,
      'rerun verify',
    );
  }
  return analysis.NetworkPathFound
    ? fail(
        `${route}: a path exists`,
        "the isolated subnets must have no route to a NAT or internet gateway: compare the network stack's route tables with lib/stacks/network-stack.ts",
      )
    : pass(`${route}: no path`);
}

function albInternal(ctx: CommandContext): Check {
  return {
    id: 'alb-internal',
    title: 'the ALB is internal (not internet-facing)',
    async run() {
      const arn = await ctx.stacks.physicalId('loadBalancer');
      const described = await ctx.aws.elbv2.send(
        new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }),
      );
      const lb = described.LoadBalancers?.[0];
      return lb?.Scheme === 'internal'
        ? pass(`${lb.LoadBalancerName} is internal`)
        : fail(
            `${lb?.LoadBalancerName ?? arn} is ${lb?.Scheme}`,
            'the ALB must be created internal: redeploy from lib/stacks/services-stack.ts',
          );
    },
  };
}

/**
 * The production rule's weights must send traffic to the target group the service's tasks are in.
 * A stack update can reset ECS-managed weights to the template's (aws/aws-cdk#36649), pointing all
 * traffic at a target group without targets.
 */
function listenerWeights(ctx: CommandContext): Check {
  return {
    id: 'listener-weights',
    title: "Orbit's listener rule forwards to the target group holding its tasks",
    async run() {
      const [ruleArn, cluster, service] = await Promise.all([
        ctx.stacks.physicalId('productionRule'),
        ctx.stacks.physicalId('cluster'),
        ctx.stacks.physicalId('orbitService'),
      ]);
      const [rules, services] = await Promise.all([
        ctx.aws.elbv2.send(new DescribeRulesCommand({ RuleArns: [ruleArn] })),
        ctx.aws.ecs.send(new DescribeServicesCommand({ cluster, services: [service] })),
      ]);
      const actions = rules.Rules?.[0]?.Actions ?? [];
      const weighted = forwardWeights(actions.find((a) => a.Type === 'forward'));
      if (weighted.length === 0)
        return fail(`rule ${ruleArn} has no forward action`, 'redeploy the services stack');
      const deployments = services.services?.[0]?.deployments ?? [];
      if (deployments.some((d) => d.rolloutState === 'IN_PROGRESS')) {
        return warn(
          'a deployment is in progress: weights are shifting',
          'rerun verify when the deployment completes',
        );
      }
      const healthy = await Promise.all(
        weighted.map(async (t) => {
          const health = await ctx.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: t.arn }));
          return (health.TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'healthy')
            .length;
        }),
      );
      const groups = weighted.map((t, i) => ({
        ...t,
        name: t.arn.split('/')[1] ?? t.arn,
        healthy: healthy[i] ?? 0,
      }));
      const summary = groups.map((g) => `${g.name} weight ${g.weight}, ${g.healthy} healthy`).join('; ');
      const live = groups.filter((g) => g.weight > 0);
      const active = groups.filter((g) => g.healthy > 0);
      const starved = live.filter((g) => g.healthy === 0);
      if (starved.length > 0) {
        const target = active[0];
        return fail(
          `${summary}: traffic goes to a target group without healthy targets (aws/aws-cdk#36649 drift)`,
          target
            ? modifyRuleCommand(ruleArn, actions, groups, target.arn)
            : 'no target group has healthy Orbit tasks: check the service events (aws ecs describe-services)',
        );
      }
      if (live.length !== 1) {
        return fail(
          `${summary}: traffic split outside a deployment`,
          'send 100 to the target group holding the tasks (aws elbv2 modify-rule)',
        );
      }
      return pass(summary);
    },
  };
}

/** The target groups a forward action sends to, with their weights (a plain forward weighs 1). */
function forwardWeights(forward: Action | undefined): { arn: string; weight: number }[] {
  return (
    forward?.ForwardConfig?.TargetGroups?.map((t) => ({
      arn: t.TargetGroupArn ?? '',
      weight: t.Weight ?? 1,
    })) ?? (forward?.TargetGroupArn ? [{ arn: forward.TargetGroupArn, weight: 1 }] : [])
  );
}

/**
 * The `modify-rule` that sends all traffic to `targetArn`. ModifyRule replaces every action of the
 * rule, so a rule that verifies tokens before forwarding keeps that action in the command.
 */
function modifyRuleCommand(
  ruleArn: string,
  actions: readonly Action[],
  groups: readonly { readonly arn: string }[],
  targetArn: string,
): string {
  const weights = groups.map((g) => ({ TargetGroupArn: g.arn, Weight: g.arn === targetArn ? 100 : 0 }));
  if (actions.length <= 1) {
    const shorthand = weights.map((w) => `{TargetGroupArn=${w.TargetGroupArn},Weight=${w.Weight}}`).join(',');
    return `aws elbv2 modify-rule --rule-arn ${ruleArn} --actions 'Type=forward,ForwardConfig={TargetGroups=[${shorthand}]}'`;
  }
  const kept = actions.map((a) =>
    a.Type === 'forward' ? { Type: 'forward', Order: a.Order, ForwardConfig: { TargetGroups: weights } } : a,
  );
  return `aws elbv2 modify-rule --rule-arn ${ruleArn} --actions '${JSON.stringify(kept)}'`;
}

function alarmsQuiet(ctx: CommandContext): Check {
  return {
    id: 'alarms',
    title: 'every alarm the stacks define exists and none is in ALARM',
    async run() {
      const expected = await deployedAlarmNames(ctx.stacks);
      const live = await describeAlarms(ctx.aws.cloudWatch, expected);
      const missing = expected.filter((name) => !live.some((a) => a.name === name));
      const firing = live.filter((a) => a.state === 'ALARM').map((a) => a.name);
      if (missing.length > 0)
        return fail(`missing: ${missing.join(', ')}`, 'redeploy the observability and services stacks');
      if (firing.length > 0) {
        return fail(
          `${firing.length} of ${live.length} in ALARM: ${firing.join(', ')}`,
          'follow each alarm’s runbook section (docs/runbook.md#<alarm>)',
        );
      }
      const metric = live.filter((a) => a.type === 'MetricAlarm').length;
      return pass(
        `${live.length} alarms (${metric} metric, ${live.length - metric} composite), none in ALARM`,
      );
    },
  };
}

function topicsSubscribed(ctx: CommandContext): Check[] {
  return [
    {
      id: 'alarm-subscriptions',
      title: 'every alarm topic has confirmed subscriptions only',
      async run() {
        const topics = await ctx.stacks.ofTypes(['observability'], [TOPIC_TYPE]);
        if (topics.length === 0)
          return fail('the observability stack has no topics', 'redeploy the observability stack');
        const outcomes = await Promise.all(
          topics.map(async (t) =>
            subscriptionOutcome(t.physicalId, await subscriptionsOf(ctx.aws.sns, t.physicalId)),
          ),
        );
        const failed = outcomes.filter((o) => o.status !== 'pass');
        const detail = outcomes.map((o) => o.detail).join('; ');
        return failed[0] ? { ...failed[0], detail } : pass(detail);
      },
    },
  ];
}

function secretRotation(ctx: CommandContext): Check {
  return {
    id: 'secret-rotation',
    title: "Orbit's signing key rotated on schedule, no rotation stuck",
    async run() {
      const [arn, logGroup] = await Promise.all([
        ctx.stacks.physicalId('orbitSecret'),
        ctx.stacks.physicalId('rotationLogGroup'),
      ]);
      const secret = await ctx.aws.secretsManager.send(new DescribeSecretCommand({ SecretId: arn }));
      const logs = `the rotation function's log group ${logGroup}`;
      if (!secret.RotationEnabled)
        return fail(`${secret.Name}: rotation is not enabled`, 'redeploy the signing stack');
      const stuck = Object.entries(secret.VersionIdsToStages ?? {}).filter(
        ([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'),
      );
      if (stuck.length > 0) {
        return fail(
          `${secret.Name}: version ${stuck.map(([v]) => v).join(', ')} stuck in AWSPENDING (a rotation failed)`,
          `read ${logs}, fix the cause, then: aws secretsmanager rotate-secret --secret-id ${secret.Name}`,
        );
      }
      if (!secret.LastRotatedDate) {
        return fail(
          `${secret.Name}: never rotated`,
          `aws secretsmanager rotate-secret --secret-id ${secret.Name}; read ${logs} if it fails`,
        );
      }
      const days =
        secret.RotationRules?.AutomaticallyAfterDays ?? ctx.config.deployment.signingKeyRotationDays;
      const ageDays = (ctx.clock.now().getTime() - secret.LastRotatedDate.getTime()) / 86_400_000;
      const detail = `${secret.Name}: last rotated ${secret.LastRotatedDate.toISOString()} (${ageDays.toFixed(1)} days ago, every ${days} days)`;
      return ageDays <= days + ROTATION_GRACE_DAYS
        ? pass(detail)
        : fail(
            `${detail}: overdue`,
            `read ${logs}, then: aws secretsmanager rotate-secret --secret-id ${secret.Name}`,
          );
    },
  };
}

function governanceHead(ctx: CommandContext): Check {
  return {
    id: 'governance-head',
    title: "the decision function's policy set has a readable head revision",
    async run() {
      const [functionName, table] = await Promise.all([
        ctx.stacks.physicalId('decisionFunction'),
        ctx.stacks.physicalId('policyTable'),
      ]);
      const fn = await ctx.aws.lambda.send(
        new GetFunctionConfigurationCommand({ FunctionName: functionName }),
      );
      const policySet = fn.Environment?.Variables?.[POLICY_SET_VARIABLE];
      if (!policySet)
        return fail(`${functionName} has no ${POLICY_SET_VARIABLE}`, 'redeploy the governance stack');
      const head = await ctx.aws.dynamoDb
        .send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': PARTITION_KEY },
            ExpressionAttributeValues: { ':pk': { S: policySetKey(policySet) } },
            ScanIndexForward: false,
            Limit: 1,
          }),
        )
        .catch((thrown: unknown) => {
          throw governanceKeyDenial(thrown, ctx) ?? thrown;
        });
      const item = head.Items?.[0];
      if (!item) {
        return fail(
          `${table} has no revision of policy set "${policySet}": every decision is a deny`,
          `publish one: npx governance push governance/policies/default.json --set ${policySet} --table ${table}`,
        );
      }
      return pass(`policy set "${policySet}" head ${item[SORT_KEY]?.S ?? '?'} in ${table}`);
    },
  };
}

/**
 * The table is encrypted with the governance key, whose policy lets IAM principals of the account
 * use it only through DynamoDB: a caller with `dynamodb:Query` but no IAM grant on the key is
 * denied `kms:Decrypt`. Says which grant is missing instead of a bare access denial.
 */
function governanceKeyDenial(thrown: unknown, ctx: CommandContext): CheckAbort | undefined {
  if (!isAccessDenied(thrown) || !deniedAction(thrown)?.startsWith('kms:')) return undefined;
  return new CheckAbort(
    `access denied: missing permission kms:Decrypt on the governance key (${ctx.config.prefix}/governance) through DynamoDB`,
    `run verify as ${ctx.config.prefix}-github-deploy (its OperatorChecksPolicy has it), or grant the identity kms:Decrypt on alias/${ctx.config.prefix}/governance with kms:ViaService dynamodb.${ctx.config.region}.amazonaws.com`,
  );
}

export function verifyChecks(ctx: CommandContext): Check[] {
  return [
    iamIsolation(ctx, 'orbit'),
    iamIsolation(ctx, 'axon'),
    noInternetFromAxon(ctx),
    albInternal(ctx),
    listenerWeights(ctx),
    alarmsQuiet(ctx),
    ...topicsSubscribed(ctx),
    secretRotation(ctx),
    governanceHead(ctx),
  ];
}

export const verifyCommand: OperatorCommand = {
  name: 'verify',
  summary:
    'Postflight: proves a deployed environment behaves as designed (IAM isolation, no internet path from Axon, internal ALB, listener weights, alarms, subscriptions, rotation, governance head).',
  permissions: OPERATOR_PERMISSIONS.verify,
  async checks(ctx) {
    return verifyChecks(ctx);
  },
};
