import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { type AlarmState, cloudWatchAlarms, judge, judgeAfter, run } from './alarms.js';

const deployedAt = new Date('2026-12-02T10:00:00Z');
const alarm = (name: string, state: string, updated: string, periodSeconds = 60): AlarmState => ({
  name,
  state,
  updated,
  periodSeconds,
});

describe('judge', () => {
  it('fails only alarms the deploy set off, not those already firing before it', () => {
    const before = [
      alarm('p-critical-old', 'ALARM', '2026-12-01T08:00:00.000Z'),
      alarm('p-critical-5xx', 'OK', '2026-12-01T08:00:00.000Z'),
      alarm('p-critical-flap', 'ALARM', '2026-12-01T08:00:00.000Z'),
    ];
    const after = [
      alarm('p-critical-old', 'ALARM', '2026-12-01T08:00:00.000Z'),
      alarm('p-critical-5xx', 'ALARM', '2026-12-02T10:03:00.000Z'),
      // OK in between, back in ALARM after the deploy: the deploy's doing again.
      alarm('p-critical-flap', 'ALARM', '2026-12-02T10:04:00.000Z'),
      alarm('p-critical-new', 'ALARM', '2026-12-02T10:05:00.000Z'),
    ];
    const verdict = judge(before, after, deployedAt);
    expect(verdict.regressions.map((a) => a.name)).toEqual([
      'p-critical-5xx',
      'p-critical-flap',
      'p-critical-new',
    ]);
    expect(verdict.preexisting.map((a) => a.name)).toEqual(['p-critical-old']);
  });

  it('waits one full period of the slowest alarm after the deploy, at least a minute', () => {
    expect(judgeAfter(deployedAt, [alarm('a', 'OK', '', 60), alarm('b', 'OK', '', 300)]).toISOString()).toBe(
      '2026-12-02T10:05:00.000Z',
    );
    expect(judgeAfter(deployedAt, []).toISOString()).toBe('2026-12-02T10:01:00.000Z');
  });
});

describe('cloudWatchAlarms', () => {
  it('reads metric and composite alarms across pages, with each metric alarm period', async () => {
    const cw = mockClient(CloudWatchClient);
    cw.on(DescribeAlarmsCommand, { AlarmNamePrefix: 'axon-orbit-prod-critical-', NextToken: undefined })
      .resolves({
        MetricAlarms: [
          {
            AlarmName: 'axon-orbit-prod-critical-orbit-5xx',
            StateValue: 'OK',
            StateUpdatedTimestamp: new Date('2026-12-01T08:00:00Z'),
            Period: 60,
          },
        ],
        NextToken: 'page-2',
      })
      .on(DescribeAlarmsCommand, { NextToken: 'page-2' })
      .resolves({
        MetricAlarms: [
          {
            AlarmName: 'axon-orbit-prod-critical-error-rate',
            StateValue: 'ALARM',
            StateUpdatedTimestamp: new Date('2026-12-01T09:00:00Z'),
            Metrics: [
              { Id: 'e', Expression: 'm1/m2' },
              { Id: 'm1', MetricStat: { Period: 300, Stat: 'Sum', Metric: {} } },
            ],
          },
        ],
        CompositeAlarms: [
          {
            AlarmName: 'axon-orbit-prod-critical-platform-unhealthy',
            StateValue: 'OK',
            StateUpdatedTimestamp: new Date('2026-12-01T07:00:00Z'),
          },
        ],
      });
    const alarms = await cloudWatchAlarms(new CloudWatchClient({ region: 'eu-west-1' }))(
      'axon-orbit-prod-critical-',
    );
    expect(alarms).toEqual([
      alarm('axon-orbit-prod-critical-orbit-5xx', 'OK', '2026-12-01T08:00:00.000Z', 60),
      alarm('axon-orbit-prod-critical-error-rate', 'ALARM', '2026-12-01T09:00:00.000Z', 300),
      {
        name: 'axon-orbit-prod-critical-platform-unhealthy',
        state: 'OK',
        updated: '2026-12-01T07:00:00.000Z',
      },
    ]);
    expect(cw.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmTypes).toEqual([
      'MetricAlarm',
      'CompositeAlarm',
    ]);
    cw.restore();
  });
});

describe('alarms.ts snapshot and judge', () => {
  const dir = mkdtempSync(join(tmpdir(), 'alarms-'));
  const file = join(dir, 'before.json');

  function deps(states: AlarmState[][], now = '2026-12-02T10:02:00Z') {
    const log: string[] = [];
    const slept: number[] = [];
    let call = 0;
    return {
      log,
      slept,
      deps: {
        describe: async (prefix: string) => {
          expect(prefix).toBe('axon-orbit-prod-critical-');
          return states[Math.min(call++, states.length - 1)] ?? [];
        },
        now: () => new Date(now),
        sleep: async (ms: number) => {
          slept.push(ms);
        },
        log: (line: string) => log.push(line),
      },
    };
  }

  it('records the states before the deploy, then judges after one alarm period', async () => {
    const old = alarm('axon-orbit-prod-critical-old', 'ALARM', '2026-12-01T08:00:00.000Z', 300);
    const snap = deps([[old]]);
    expect(await run(['snapshot', '--env', 'prod', '--out', file], snap.deps)).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([old]);

    const quiet = deps([[old]]);
    expect(
      await run(
        ['judge', '--env', 'prod', '--before', file, '--deployed-at', '2026-12-02T10:00:00Z'],
        quiet.deps,
      ),
    ).toBe(0);
    expect(quiet.slept).toEqual([180_000]);
    expect(quiet.log[1]).toContain('axon-orbit-prod-critical-old was already in ALARM before the deploy');

    const fired = deps([[old, alarm('axon-orbit-prod-critical-5xx', 'ALARM', '2026-12-02T10:04:00.000Z')]]);
    expect(
      await run(
        ['judge', '--env', 'prod', '--before', file, '--deployed-at', '2026-12-02T10:00:00Z'],
        fired.deps,
      ),
    ).toBe(1);
    expect(fired.log.at(-1)).toBe(
      '::error::critical alarms the deploy set off in prod: axon-orbit-prod-critical-5xx',
    );
  });

  it('refuses an unknown environment or a bad time with a usage error', async () => {
    writeFileSync(file, '[]');
    await expect(run(['snapshot', '--env', 'qa', '--out', file], deps([]).deps)).rejects.toThrow(
      '--env must be one of dev, staging, prod, got "qa"',
    );
    await expect(
      run(['judge', '--env', 'dev', '--before', file, '--deployed-at', 'now'], deps([]).deps),
    ).rejects.toThrow('--deployed-at must be an ISO 8601 time');
  });
});
