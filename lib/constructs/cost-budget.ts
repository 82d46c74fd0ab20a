import * as budgets from 'aws-cdk-lib/aws-budgets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/index.js';
import { StackSection } from './stack-section.js';

export interface CostBudgetProps {
  readonly config: EnvironmentConfig;
  /** Receives the actual and forecast alerts. */
  readonly topic: sns.ITopic;
}

/**
 * The environment's monthly cost budget, filtered on the `environment` tag: actual spend alerts
 * at the configured percentages, forecast spend at 100 %. The tag must be activated as a cost
 * allocation tag in the payer account, or the budget sees no spend (docs/setup.md).
 */
export class CostBudget extends StackSection {
  constructor(scope: Construct, id: string, props: CostBudgetProps) {
    super(scope, id);
    const { config, topic } = props;
    const { budget } = config.observability;
    const subscribers = [{ subscriptionType: 'SNS', address: topic.topicArn }];
    new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetName: `${config.prefix}-monthly`,
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: budget.monthlyUsd, unit: 'USD' },
        costFilters: { TagKeyValue: [`user:environment$${config.name}`] },
      },
      notificationsWithSubscribers: [
        ...budget.alertAtPercent.map((threshold) => ({
          notification: {
            notificationType: 'ACTUAL',
            comparisonOperator: 'GREATER_THAN',
            threshold,
            thresholdType: 'PERCENTAGE',
          },
          subscribers,
        })),
        {
          notification: {
            notificationType: 'FORECASTED',
            comparisonOperator: 'GREATER_THAN',
            threshold: 100,
            thresholdType: 'PERCENTAGE',
          },
          subscribers,
        },
      ],
    });
  }
}
