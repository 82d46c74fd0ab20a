import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import { type EnvironmentConfig, removalPolicyOf } from '../config/index.js';
import { StackSection } from './stack-section.js';

export interface OrbitWafProps {
  /** Reads `config.callers.waf` (limit, window), the prefix and log retention. */
  readonly config: EnvironmentConfig;
  /** The internal ALB the web ACL guards. */
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  /** Encrypts the log group of blocked requests. */
  readonly logsKey: kms.IKey;
}

/** WAF's name of the rate-based rule; its CloudWatch metric carries the same name. */
export const RATE_RULE_NAME = 'PerClientIpRate';
/** WAF's `Rule` dimension value summing every rule and the default action of a web ACL. */
const ALL_RULES = 'ALL';
/** WAF accepts a CloudWatch Logs destination only under this name prefix. */
const WAF_LOG_GROUP_PREFIX = 'aws-waf-logs-';
const THROTTLED_BODY = 'throttled';

/**
 * The fleet-wide backstop behind Orbit's per-task token buckets: an AWS WAF web ACL on the internal
 * ALB with one rate-based rule per client IP (callers inside the VPC each reach the ALB from their
 * own address). Over the limit, WAF answers 429 problem+json itself; Orbit never sees the request.
 * Only blocked requests are logged, so the log costs nothing while nobody is over the limit.
 */
export class OrbitWaf extends StackSection {
  readonly webAcl: wafv2.CfnWebACL;
  /** The WAF metric name of the web ACL (dimension `WebACL`). */
  readonly metricName: string;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: OrbitWafProps) {
    super(scope, id);
    const { config } = props;
    const { limit, windowSeconds } = config.callers.waf;
    this.metricName = `${config.prefix}-orbit`;
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${config.prefix}-orbit`,
      // WAF descriptions allow no quotes or parentheses.
      description: `Orbit ALB rate backstop - ${limit} requests per client IP per ${windowSeconds} s`,
      // An ALB can only be associated with a REGIONAL web ACL (CLOUDFRONT is for distributions).
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(this.metricName),
      customResponseBodies: {
        [THROTTLED_BODY]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            type: 'about:blank',
            title: 'Too Many Requests',
            status: 429,
            detail: `More than ${limit} requests from this address within ${windowSeconds} seconds; slow down and retry.`,
          }),
        },
      },
      rules: [
        {
          name: RATE_RULE_NAME,
          priority: 0,
          statement: {
            rateBasedStatement: { limit, evaluationWindowSec: windowSeconds, aggregateKeyType: 'IP' },
          },
          action: { block: { customResponse: { responseCode: 429, customResponseBodyKey: THROTTLED_BODY } } },
          visibilityConfig: visibility(RATE_RULE_NAME),
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: props.loadBalancer.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });
    this.logGroup = this.blockedRequestLog(props);
  }

  /** Requests the rate-based rule blocked with 429 (AWS/WAFV2 `BlockedRequests`). */
  metricRateBlocked(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric('BlockedRequests', RATE_RULE_NAME, options);
  }

  /** Requests the web ACL let through to Orbit (AWS/WAFV2 `AllowedRequests` of all rules). */
  metricAllowed(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.metric('AllowedRequests', ALL_RULES, options);
  }

  /** A WAF metric: a regional web ACL publishes per `WebACL`, `Rule` and `Region` (its metric names, not ids). */
  private metric(metricName: string, rule: string, options: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/WAFV2',
      metricName,
      dimensionsMap: { WebACL: this.metricName, Rule: rule, Region: Stack.of(this).region },
      statistic: 'Sum',
      period: Duration.minutes(1),
      ...options,
    });
  }

  private blockedRequestLog(props: OrbitWafProps): logs.LogGroup {
    const { config } = props;
    const logGroupName = `${WAF_LOG_GROUP_PREFIX}${config.prefix}-orbit`;
    const logGroup = new logs.LogGroup(this, 'WafLogs', {
      logGroupName,
      retention: config.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: removalPolicyOf(config),
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: this.webAcl.attrArn,
      // The log group's ARN without the `:*` that its GetAtt carries.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }],
          },
        ],
      },
    });
    logging.node.addDependency(logGroup);
    return logGroup;
  }
}
