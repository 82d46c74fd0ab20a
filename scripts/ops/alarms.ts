import {
  type CloudWatchClient,
  type CompositeAlarm,
  type MetricAlarm,
  paginateDescribeAlarms,
} from '@aws-sdk/client-cloudwatch';
import type { DeployedStacks } from './deployed-stacks.js';
import { ALARM_STACKS, ALARM_TYPES } from './resources.js';

export interface LiveAlarm {
  readonly name: string;
  readonly type: 'MetricAlarm' | 'CompositeAlarm';
  readonly state: string;
  readonly alarmActions: readonly string[];
}

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;

/** Names of the alarms the deployed stacks created (an alarm's physical id is its name). */
export async function deployedAlarmNames(stacks: DeployedStacks): Promise<string[]> {
  const alarms = await stacks.ofTypes(ALARM_STACKS, ALARM_TYPES);
  return alarms.map((a) => a.physicalId).sort();
}

/** The live state and actions of the named alarms, metric and composite alike. */
export async function describeAlarms(
  cloudWatch: CloudWatchClient,
  names: readonly string[],
): Promise<LiveAlarm[]> {
  const found: LiveAlarm[] = [];
  const toLive = (a: MetricAlarm | CompositeAlarm, type: LiveAlarm['type']): LiveAlarm => ({
    name: a.AlarmName ?? '',
    type,
    state: a.StateValue ?? 'UNKNOWN',
    alarmActions: a.AlarmActions ?? [],
  });
  for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
    const pages = paginateDescribeAlarms(
      { client: cloudWatch },
      { AlarmNames: names.slice(i, i + NAMES_PER_CALL), AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    );
    for await (const page of pages) {
      found.push(...(page.MetricAlarms ?? []).map((a) => toLive(a, 'MetricAlarm')));
      found.push(...(page.CompositeAlarms ?? []).map((a) => toLive(a, 'CompositeAlarm')));
    }
  }
  return found;
}
