import { Stage, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { EnvironmentName } from '../config/index.js';

/**
 * Every exception to the guard rules, with its reason. Control Tower proactive controls this
 * project does not follow anywhere are disabled (keyed by the bundled rule file, as
 * `CfnGuardValidator` takes them); controls waived in some environments are acknowledged on those
 * stages. An exception that concerns one resource is acknowledged next to that resource instead
 * (`grep -rn "cdk-validator-cfnguard::" lib`).
 */
export const DISABLED_CONTROL_TOWER_RULES: Readonly<Record<string, string>> = {
  'ct-s3-pr-4':
    'CT.S3.PR.4 (event notifications on every bucket): nothing consumes bucket events; the log buckets are written by AWS services and read by people.',
  'ct-s3-pr-9':
    'CT.S3.PR.9 (Object Lock on every bucket): non-prod environments must be torn down (autoDeleteObjects, issue 13 fix 9), which Object Lock forbids; the archive is versioned with lifecycle expiry and retained in prod.',
  'ct-ecs-pr-7':
    'CT.ECS.PR.7 (a memory hard limit per container): Fargate enforces the task-level memory; the containers share it and the sidecar is non-essential.',
  'ct-ecs-pr-2':
    'CT.ECS.PR.2 (container insights) accepts only the value "enabled"; the clusters use "enhanced", its superset (test/services-stack.test.ts).',
  'ct-elasticloadbalancing-pr-6':
    'CT.ELASTICLOADBALANCING.PR.6 (ALB access logging): cdk-validator-cfnguard 0.0.62 cannot read this rule\'s result on our templates (TypeError reading "to"); access logging is asserted by test/services-stack.test.ts and its bucket by the project rule alb_access_logs_bucket_sse_s3.',
  'ct-lambda-pr-3':
    'CT.LAMBDA.PR.3 (functions in a VPC): cdk-validator-cfnguard 0.0.62 cannot read this rule\'s result on our templates (TypeError reading "to"); the project functions run in the private subnets (governance, signing and SLO report stack tests); CDK\'s deploy-time custom-resource providers run outside by design.',
};

/** Guard rules (by rule name) waived in some environments only. */
export const ENVIRONMENT_EXCEPTIONS: readonly {
  readonly rule: string;
  readonly environments: readonly EnvironmentName[];
  readonly reason: string;
}[] = [
  {
    rule: 'cloudwatch_log_group_retention_period_check',
    environments: ['dev', 'staging'],
    reason:
      'CT.CLOUDWATCH.PR.2 (a year of log retention): dev and staging keep logs for the retention their config sets (cost); prod keeps a year.',
  },
  {
    rule: 'alb_http_to_https_redirection_check',
    environments: ['dev'],
    reason:
      'CT.ELASTICLOADBALANCING.PR.1: dev has no certificate and serves HTTP inside the VPC only (deployment.requireHttps=false); staging and prod refuse to synth without HTTPS.',
  },
  {
    rule: 'elbv2_deletion_protection_enabled_check',
    environments: ['dev', 'staging'],
    reason:
      'CT.ELASTICLOADBALANCING.PR.5: non-prod environments are torn down with their stacks; prod protects its ALB.',
  },
];

/** Acknowledges the environment exceptions on the platform stages of `app` (stage id = environment). */
export function acknowledgeEnvironmentExceptions(app: IConstruct, plugin: string): void {
  for (const child of app.node.children) {
    if (!Stage.isStage(child)) continue;
    for (const exception of ENVIRONMENT_EXCEPTIONS) {
      if ((exception.environments as readonly string[]).includes(child.node.id)) {
        Validations.of(child).acknowledge({ id: `${plugin}::${exception.rule}`, reason: exception.reason });
      }
    }
  }
}
