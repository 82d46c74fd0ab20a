import { ACMClient } from '@aws-sdk/client-acm';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';

/** Cost Explorer has one endpoint, in us-east-1, whatever the environment's region. */
export const COST_EXPLORER_REGION = 'us-east-1';

/**
 * Adaptive retry: the SDK's standard exponential backoff with jitter on throttling and transient
 * errors, plus a client-side rate limiter that slows down after throttling. Ten checks against the
 * same API at once is exactly when that matters.
 */
export const RETRY = { retryMode: 'adaptive', maxAttempts: 6 } as const;

/** IAM service prefixes of the SDK clients' service ids, for naming a denied action. */
const IAM_PREFIX: Readonly<Record<string, string>> = {
  ACM: 'acm',
  CloudFormation: 'cloudformation',
  CloudWatch: 'cloudwatch',
  'Cost Explorer': 'ce',
  DynamoDB: 'dynamodb',
  EC2: 'ec2',
  ECS: 'ecs',
  'Elastic Load Balancing v2': 'elasticloadbalancing',
  IAM: 'iam',
  Lambda: 'lambda',
  'Secrets Manager': 'secretsmanager',
  'Service Quotas': 'servicequotas',
  SNS: 'sns',
  SQS: 'sqs',
  STS: 'sts',
};

interface ClientOptions {
  readonly region: string;
  /** Test seam: a transport that answers instead of AWS (e.g. a throttling error, then success). */
  readonly requestHandler?: unknown;
}

interface MiddlewareClient {
  readonly middlewareStack: {
    add(
      middleware: (
        next: (args: unknown) => Promise<unknown>,
        context: { commandName?: string },
      ) => (args: unknown) => Promise<unknown>,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

/**
 * Tags every error with the IAM action of the failed call (`iam:SimulatePrincipalPolicy`), so an
 * access denial names the missing permission even when the service's message does not.
 */
function nameDeniedActions<C>(client: C, serviceId: string): C {
  const prefix = IAM_PREFIX[serviceId] ?? serviceId.toLowerCase();
  (client as unknown as MiddlewareClient).middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (thrown) {
        if (typeof thrown === 'object' && thrown !== null && context.commandName) {
          const action = context.commandName.replace(/Command$/, '');
          Object.assign(thrown, { awsAction: `${prefix}:${action}` });
        }
        throw thrown;
      }
    },
    { step: 'initialize', name: 'nameDeniedAction' },
  );
  return client;
}

type ClientClass<C> = new (config: Record<string, unknown>) => C;

/**
 * The SDK clients the operator commands use, created on first use in the environment's region
 * with adaptive retry. Credentials come from the SDK's default chain (env, profile/SSO, web identity).
 */
export class AwsClients {
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly options: ClientOptions) {}

  get region(): string {
    return this.options.region;
  }

  private client<C>(Type: ClientClass<C>, serviceId: string, region = this.options.region): C {
    const key = `${serviceId}@${region}`;
    let client = this.cache.get(key) as C | undefined;
    if (!client) {
      client = nameDeniedActions(
        new Type({
          region,
          ...RETRY,
          ...(this.options.requestHandler ? { requestHandler: this.options.requestHandler } : {}),
        }),
        serviceId,
      );
      this.cache.set(key, client);
    }
    return client;
  }

  get acm(): ACMClient {
    return this.client(ACMClient, 'ACM');
  }
  get cloudFormation(): CloudFormationClient {
    return this.client(CloudFormationClient, 'CloudFormation');
  }
  get cloudWatch(): CloudWatchClient {
    return this.client(CloudWatchClient, 'CloudWatch');
  }
  get costExplorer(): CostExplorerClient {
    return this.client(CostExplorerClient, 'Cost Explorer', COST_EXPLORER_REGION);
  }
  get dynamoDb(): DynamoDBClient {
    return this.client(DynamoDBClient, 'DynamoDB');
  }
  get ec2(): EC2Client {
    return this.client(EC2Client, 'EC2');
  }
  get ecs(): ECSClient {
    return this.client(ECSClient, 'ECS');
  }
  get elbv2(): ElasticLoadBalancingV2Client {
    return this.client(ElasticLoadBalancingV2Client, 'Elastic Load Balancing v2');
  }
  get iam(): IAMClient {
    return this.client(IAMClient, 'IAM');
  }
  get lambda(): LambdaClient {
    return this.client(LambdaClient, 'Lambda');
  }
  get secretsManager(): SecretsManagerClient {
    return this.client(SecretsManagerClient, 'Secrets Manager');
  }
  get serviceQuotas(): ServiceQuotasClient {
    return this.client(ServiceQuotasClient, 'Service Quotas');
  }
  get sns(): SNSClient {
    return this.client(SNSClient, 'SNS');
  }
  get sqs(): SQSClient {
    return this.client(SQSClient, 'SQS');
  }
  get sts(): STSClient {
    return this.client(STSClient, 'STS');
  }
}
