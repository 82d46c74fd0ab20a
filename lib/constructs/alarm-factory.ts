import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export type Severity = 'critical' | 'warning';

export interface AlarmFactoryProps {
  /** Environment prefix; every alarm is named `<prefix>-<severity>-<name>`. */
  readonly prefix: string;
  /** Pages the on-call engineer. */
  readonly criticalTopic: sns.ITopic;
  /** Notifies the team; no page. */
  readonly warningTopic: sns.ITopic;
}

export interface AlarmSpec {
  /** Kebab-case name, unique within the environment, e.g. `orbit-error-rate`. */
  readonly name: string;
  readonly severity: Severity;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly comparison?: cloudwatch.ComparisonOperator;
  /** Periods evaluated; default 3 (with the metric's period, usually 1 minute → 3 minutes). */
  readonly evaluationPeriods?: number;
  /** Breaching periods among those evaluated that trigger the alarm; default all of them. */
  readonly datapointsToAlarm?: number;
  /** What it means and what to do first; shown in the notification. Points at the runbook. */
  readonly description: string;
  /** Missing data is healthy unless the alarm is about absence (e.g. no running tasks). */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
}

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * The one place that decides how an alarm is named, which topic it notifies and how missing data is
 * treated, so every alarm of the platform looks and behaves the same.
 */
export class AlarmFactory extends Construct {
  private readonly created: cloudwatch.Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: AlarmFactoryProps,
  ) {
    super(scope, id);
  }

  /** Every alarm created so far, in creation order (input of the composite alarm). */
  get alarms(): readonly cloudwatch.Alarm[] {
    return this.created;
  }

  alarm(spec: AlarmSpec): cloudwatch.Alarm {
    if (!NAME.test(spec.name)) throw new Error(`alarm name "${spec.name}" must be kebab-case (a-z, 0-9, -)`);
    const alarm = new cloudwatch.Alarm(this, spec.name, {
      alarmName: `${this.props.prefix}-${spec.severity}-${spec.name}`,
      alarmDescription: `${spec.description} Runbook: docs/runbook.md#${spec.name}`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods ?? 3,
      datapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 3,
      treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.notify(alarm, spec.severity);
    return alarm;
  }

  private notify(alarm: cloudwatch.Alarm, severity: Severity): void {
    const topic = severity === 'critical' ? this.props.criticalTopic : this.props.warningTopic;
    alarm.addAlarmAction(new actions.SnsAction(topic));
    alarm.addOkAction(new actions.SnsAction(topic));
    this.created.push(alarm);
  }

  /**
   * Fires when the metric rises above its learned band (`stdDevs` wide): for signals with no fixed
   * healthy level, such as denials, whose volume follows traffic.
   */
  anomaly(
    spec: Omit<AlarmSpec, 'threshold' | 'comparison'> & { readonly stdDevs: number },
  ): cloudwatch.Alarm {
    if (!NAME.test(spec.name)) throw new Error(`alarm name "${spec.name}" must be kebab-case (a-z, 0-9, -)`);
    const alarm = new cloudwatch.AnomalyDetectionAlarm(this, spec.name, {
      alarmName: `${this.props.prefix}-${spec.severity}-${spec.name}`,
      alarmDescription: `${spec.description} Runbook: docs/runbook.md#${spec.name}`,
      metric: spec.metric,
      stdDevs: spec.stdDevs,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods ?? 3,
      datapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 3,
      treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.notify(alarm, spec.severity);
    return alarm;
  }

  /** Fires when any of the given alarms fires: the single "platform unhealthy" signal. */
  composite(
    name: string,
    description: string,
    alarms: readonly cloudwatch.IAlarm[],
  ): cloudwatch.CompositeAlarm {
    const composite = new cloudwatch.CompositeAlarm(this, name, {
      compositeAlarmName: `${this.props.prefix}-critical-${name}`,
      alarmDescription: `${description} Runbook: docs/runbook.md#${name}`,
      alarmRule: cloudwatch.AlarmRule.anyOf(
        ...alarms.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM)),
      ),
    });
    composite.addAlarmAction(new actions.SnsAction(this.props.criticalTopic));
    composite.addOkAction(new actions.SnsAction(this.props.criticalTopic));
    return composite;
  }
}
