import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { acknowledge, acknowledgeGuard } from '../nag.js';
import type { GovernedFargateService } from './governed-fargate-service.js';
import { StackSection } from './stack-section.js';

export interface DeploymentRollbackAlarmProps {
  /** Capitalised service name (`Orbit`): names the alarm construct. */
  readonly name: string;
  readonly service: GovernedFargateService;
  /** The service's 5xx responses per minute (Sum). */
  readonly errors: cloudwatch.IMetric;
}

/** 5xx responses per minute that, sustained for two minutes during a deployment, roll it back. */
const ROLLBACK_5XX_PER_MINUTE = 5;

/**
 * 5xx responses sustained for two minutes: ECS watches this during a deployment (and its bake
 * time) and rolls back. Named literally, so it need not reference the service it guards.
 */
export class DeploymentRollbackAlarm extends StackSection {
  readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: DeploymentRollbackAlarmProps) {
    super(scope, id);
    const { name: service, serviceName } = props.service;
    this.alarm = new cloudwatch.Alarm(this, `${props.name}RollbackAlarm`, {
      alarmName: `${serviceName}-deployment-5xx`,
      alarmDescription: `Rolls back a ${service} deployment: ${ROLLBACK_5XX_PER_MINUTE}+ 5xx per minute for 2 minutes`,
      metric: props.errors,
      threshold: ROLLBACK_5XX_PER_MINUTE,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    acknowledge(
      this.alarm,
      'NIST.800.53.R5-CloudWatchAlarmAction',
      'Its consumer is the ECS deployment (automatic rollback), not a person; paging alarms live in the observability stack.',
    );
    acknowledgeGuard(
      this.alarm,
      'cloudwatch_alarm_action_check',
      'CT.CLOUDWATCH.PR.1: its consumer is the ECS deployment (automatic rollback), not an alarm action.',
    );
    props.service.service.enableDeploymentAlarms([this.alarm.alarmName], {
      behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM,
    });
  }
}
