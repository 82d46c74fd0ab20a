import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CloudWatchClient,
  type CompositeAlarm,
  DescribeAlarmsCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../lib/config/types.js';

/** One critical alarm as the deploy judges it. */
export interface AlarmState {
  readonly name: string;
  readonly state: string;
  /** StateUpdatedTimestamp (ISO 8601): when the alarm last changed state. */
  readonly updated: string;
  /** The alarm's evaluation period; composite alarms have none of their own. */
  readonly periodSeconds?: number;
}

export interface Verdict {
  /** In ALARM now and either not in ALARM before the deploy or changed since: the deploy's doing. */
  readonly regressions: readonly AlarmState[];
  /** Already in ALARM before the deploy and unchanged since: reported, not judged. */
  readonly preexisting: readonly AlarmState[];
}

/** Only critical alarms page and gate deploys; they are named `<prefix>-critical-*` by the AlarmFactory. */
export const criticalPrefix = (env: EnvironmentName) => `axon-orbit-${env}-critical-`;

/** Longest wait after the deploy before judging: an alarm period is at most an hour. */
export const MAX_WAIT_SECONDS = 3600;

export type DescribeAlarms = (prefix: string) => Promise<AlarmState[]>;

function periodOf(alarm: MetricAlarm): number | undefined {
  const periods = [alarm.Period, ...(alarm.Metrics ?? []).map((m) => m.MetricStat?.Period)].filter(
    (p): p is number => typeof p === 'number',
  );
  return periods.length > 0 ? Math.max(...periods) : undefined;
}

function metricAlarmState(alarm: MetricAlarm): AlarmState {
  const period = periodOf(alarm);
  return {
    name: alarm.AlarmName ?? '',
    state: alarm.StateValue ?? '',
    updated: alarm.StateUpdatedTimestamp?.toISOString() ?? '',
    ...(period === undefined ? {} : { periodSeconds: period }),
  };
}

function compositeAlarmState(alarm: CompositeAlarm): AlarmState {
  return {
    name: alarm.AlarmName ?? '',
    state: alarm.StateValue ?? '',
    updated: alarm.StateUpdatedTimestamp?.toISOString() ?? '',
  };
}

/** Every metric and composite alarm under a name prefix, across pages. */
export function cloudWatchAlarms(client: CloudWatchClient): DescribeAlarms {
  return async (prefix) => {
    const alarms: AlarmState[] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(
        new DescribeAlarmsCommand({
          AlarmNamePrefix: prefix,
          AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
          NextToken,
        }),
      );
      alarms.push(...(page.MetricAlarms ?? []).map(metricAlarmState));
      alarms.push(...(page.CompositeAlarms ?? []).map(compositeAlarmState));
      NextToken = page.NextToken;
    } while (NextToken);
    return alarms;
  };
}

/**
 * When the deploy may be judged: one full period of the slowest alarm after it started, so every
 * alarm has evaluated data from the new revision rather than only the minutes before it.
 */
export function judgeAfter(deployedAt: Date, alarms: readonly AlarmState[]): Date {
  const longest = Math.max(60, ...alarms.map((a) => a.periodSeconds ?? 0));
  return new Date(deployedAt.getTime() + Math.min(longest, MAX_WAIT_SECONDS) * 1000);
}

/**
 * Splits the alarms in ALARM into the deploy's regressions and those that were already firing. An
 * alarm already in ALARM before the deploy and not changed since is unrelated to it (or still
 * firing for an older reason): reported, never a reason to roll back a good deploy.
 */
export function judge(
  before: readonly AlarmState[],
  after: readonly AlarmState[],
  deployedAt: Date,
): Verdict {
  const earlier = new Map(before.map((a) => [a.name, a]));
  const firing = after.filter((a) => a.state === 'ALARM');
  const changed = (a: AlarmState) =>
    earlier.get(a.name)?.state !== 'ALARM' || Date.parse(a.updated) > deployedAt.getTime();
  return { regressions: firing.filter(changed), preexisting: firing.filter((a) => !changed(a)) };
}

export interface AlarmCommandDeps {
  readonly describe: DescribeAlarms;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<unknown>;
  readonly log: (line: string) => void;
}

function environmentOf(value: string | undefined): EnvironmentName {
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(value ?? '')) {
    throw new UsageError(`--env must be one of ${ENVIRONMENT_NAMES.join(', ')}, got "${value ?? ''}"`);
  }
  return value as EnvironmentName;
}

export class UsageError extends Error {}

/** `snapshot --env <env> --out <file>` or `judge --env <env> --before <file> --deployed-at <iso>`; returns the exit code. */
export async function run(argv: readonly string[], deps: AlarmCommandDeps): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      env: { type: 'string' },
      out: { type: 'string' },
      before: { type: 'string' },
      'deployed-at': { type: 'string' },
    },
  });
  const env = environmentOf(values.env);
  if (positionals[0] === 'snapshot') return snapshot(env, values.out, deps);
  if (positionals[0] === 'judge') return judgeDeploy(env, values.before, values['deployed-at'], deps);
  throw new UsageError('usage: alarms.ts snapshot|judge --env <env> ...');
}

async function snapshot(
  env: EnvironmentName,
  out: string | undefined,
  deps: AlarmCommandDeps,
): Promise<number> {
  if (!out) throw new UsageError('snapshot needs --out <file>');
  const alarms = await deps.describe(criticalPrefix(env));
  writeFileSync(out, `${JSON.stringify(alarms, null, 2)}\n`);
  const firing = alarms.filter((a) => a.state === 'ALARM').length;
  deps.log(`recorded ${alarms.length} critical alarm(s) of ${env}, ${firing} in ALARM`);
  return 0;
}

async function judgeDeploy(
  env: EnvironmentName,
  beforeFile: string | undefined,
  deployedAtText: string | undefined,
  deps: AlarmCommandDeps,
): Promise<number> {
  if (!beforeFile) throw new UsageError('judge needs --before <file>');
  const deployedAt = new Date(deployedAtText ?? '');
  if (Number.isNaN(deployedAt.getTime())) {
    throw new UsageError(`--deployed-at must be an ISO 8601 time, got "${deployedAtText ?? ''}"`);
  }
  const before = JSON.parse(readFileSync(beforeFile, 'utf8')) as AlarmState[];
  const wait = judgeAfter(deployedAt, before).getTime() - deps.now().getTime();
  if (wait > 0) {
    deps.log(`waiting ${Math.ceil(wait / 1000)}s for one full alarm period after the deploy`);
    await deps.sleep(wait);
  }
  const verdict = judge(before, await deps.describe(criticalPrefix(env)), deployedAt);
  for (const a of verdict.preexisting) {
    deps.log(`::warning::${a.name} was already in ALARM before the deploy (since ${a.updated}); not judged`);
  }
  if (verdict.regressions.length > 0) {
    const names = verdict.regressions.map((a) => a.name).join(', ');
    deps.log(`::error::critical alarms the deploy set off in ${env}: ${names}`);
    return 1;
  }
  deps.log(`no critical alarm of ${env} changed to ALARM after the deploy`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run(process.argv.slice(2), {
    describe: cloudWatchAlarms(new CloudWatchClient({})),
    now: () => new Date(),
    sleep,
    log: (line) => console.log(line),
  }).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`alarms: ${error.message}`);
      process.exit(error instanceof UsageError ? 2 : 1);
    },
  );
}
