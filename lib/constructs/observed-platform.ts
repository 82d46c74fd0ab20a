import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { OrbitWaf } from './orbit-waf.js';

/** An ECS service as alarms, the dashboard and saved queries need it. */
export interface ObservedService {
  readonly service: ecs.FargateService;
  readonly logGroup: logs.ILogGroup;
}

/** What the observability stack watches: the services, governance and the secret rotation. */
export interface ObservedPlatform {
  readonly orbit: ObservedService & {
    readonly loadBalancer: elbv2.ApplicationLoadBalancer;
    /** Blue and green target groups: ECS swaps them at every deployment, so alarms watch both. */
    readonly targetGroups: readonly [elbv2.ApplicationTargetGroup, elbv2.ApplicationTargetGroup];
    /** The WAF web ACL on the ALB, in environments that have one. */
    readonly waf?: Pick<OrbitWaf, 'metricRateBlocked' | 'metricAllowed'>;
  };
  readonly axon: ObservedService;
  readonly governance: {
    readonly decisionFunction: lambda.IFunction;
    readonly decisionLogGroup: logs.ILogGroup;
    readonly reservedConcurrency: number;
    readonly adminFunction?: lambda.IFunction;
    readonly table: dynamodb.ITable;
  };
  readonly rotationFunction: lambda.IFunction;
  readonly rotationLogGroup: logs.ILogGroup;
}
