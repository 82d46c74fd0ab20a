import { describe, expect, it } from '@jest/globals';
import { main, planRollback } from './rollback-plan.js';

const startedAt = '2026-12-02T10:00:00Z';
const before = '2026-12-01T09:00:00Z';
const after = '2026-12-02T10:20:00Z';

describe('planRollback', () => {
  it('skips the redeploy when CloudFormation rolled back every stack the failed deploy touched', () => {
    const plan = planRollback({
      deployOutcome: 'failure',
      startedAt,
      stacks: [
        { name: 'axon-orbit-prod-network', status: 'UPDATE_COMPLETE', updated: before },
        { name: 'axon-orbit-prod-services', status: 'UPDATE_ROLLBACK_COMPLETE', updated: after },
      ],
    });
    expect(plan).toEqual({
      action: 'skip',
      reason: 'CloudFormation already rolled back axon-orbit-prod-services',
    });
  });

  it('redeploys the previous commit when a stack kept the failed change', () => {
    const plan = planRollback({
      deployOutcome: 'failure',
      startedAt,
      stacks: [
        { name: 'axon-orbit-prod-governance', status: 'UPDATE_COMPLETE', updated: after },
        { name: 'axon-orbit-prod-services', status: 'UPDATE_ROLLBACK_COMPLETE', updated: after },
      ],
    });
    expect(plan).toEqual({
      action: 'redeploy',
      reason: 'axon-orbit-prod-governance (UPDATE_COMPLETE) kept the failed change',
    });
  });

  it('redeploys after a good deploy whose smoke test, verify or alarm check failed', () => {
    expect(
      planRollback({
        deployOutcome: 'success',
        startedAt,
        stacks: [{ name: 'axon-orbit-dev-services', status: 'UPDATE_COMPLETE', updated: after }],
      }).action,
    ).toBe('redeploy');
  });

  it('skips when cdk failed before any stack changed, and refuses a bad start time', () => {
    expect(
      planRollback({
        deployOutcome: 'failure',
        startedAt,
        stacks: [{ name: 'axon-orbit-dev-services', status: 'UPDATE_COMPLETE', updated: before }],
      }),
    ).toEqual({ action: 'skip', reason: 'cdk deploy failed before CloudFormation changed any stack' });
    expect(() => planRollback({ deployOutcome: 'failure', startedAt: 'yesterday', stacks: [] })).toThrow(
      'startedAt must be an ISO 8601 time, got "yesterday"',
    );
  });

  it('reads the stacks as describe-stacks JSON and prints GITHUB_OUTPUT lines', () => {
    const stacks = JSON.stringify([
      { name: 's', status: 'UPDATE_ROLLBACK_COMPLETE', updated: after, created: before },
    ]);
    expect(main(stacks, { DEPLOY_OUTCOME: 'failure', STARTED_AT: startedAt })).toBe(
      'action=skip\nreason=CloudFormation already rolled back s',
    );
    expect(() => main('{', { STARTED_AT: startedAt })).toThrow('expected the stage stacks as JSON on stdin');
  });
});
