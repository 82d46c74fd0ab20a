/**
 * The IAM actions each operator command calls (`npm run doctor | verify | drill`): the commands
 * print them in `--help`, and a role that runs them (the CI deploy role for verify and drill) is
 * granted exactly these. A command that lacks one reports the missing action on the check that
 * needed it. All are read-only except the Reachability Analyzer path/analysis that verify creates
 * and deletes, and the alarm states drill forces and resets.
 */
export const OPERATOR_PERMISSIONS = {
  doctor: [
    'sts:GetCallerIdentity',
    'cloudformation:DescribeStacks',
    'cloudformation:ListStackResources',
    'lambda:GetAccountSettings',
    'lambda:GetFunctionConcurrency',
    'ce:ListCostAllocationTags',
    'iam:ListOpenIDConnectProviders',
    'iam:GetOpenIDConnectProvider',
    'acm:DescribeCertificate',
    'servicequotas:GetServiceQuota',
    'servicequotas:GetAWSDefaultServiceQuota',
    'ec2:DescribeAddresses',
    'ec2:DescribeAvailabilityZones',
  ],
  verify: [
    'sts:GetCallerIdentity',
    'cloudformation:ListStackResources',
    'iam:SimulatePrincipalPolicy',
    'ec2:DescribeNetworkInterfaces',
    'ec2:CreateNetworkInsightsPath',
    'ec2:StartNetworkInsightsAnalysis',
    'ec2:DescribeNetworkInsightsAnalyses',
    'ec2:DeleteNetworkInsightsAnalysis',
    'ec2:DeleteNetworkInsightsPath',
    'tiros:CreateQuery',
    'tiros:GetQueryAnswer',
    'tiros:GetQueryExplanation',
    'elasticloadbalancing:DescribeLoadBalancers',
    'elasticloadbalancing:DescribeRules',
    'elasticloadbalancing:DescribeTargetHealth',
    'ecs:DescribeServices',
    'cloudwatch:DescribeAlarms',
    'sns:ListSubscriptionsByTopic',
    'secretsmanager:DescribeSecret',
    'lambda:GetFunctionConfiguration',
    'dynamodb:Query',
    'kms:Decrypt',
  ],
  drill: [
    'sts:GetCallerIdentity',
    'cloudformation:ListStackResources',
    'cloudwatch:DescribeAlarms',
    'cloudwatch:SetAlarmState',
    'cloudwatch:DescribeAlarmHistory',
    'cloudwatch:GetMetricData',
    'sns:ListSubscriptionsByTopic',
    'sns:GetSubscriptionAttributes',
    'sqs:GetQueueUrl',
    'sqs:GetQueueAttributes',
  ],
} as const;

export type OperatorCommandName = keyof typeof OPERATOR_PERMISSIONS;
