import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** One stack of the stage as `aws cloudformation describe-stacks` reports it. */
export interface StackState {
  readonly name: string;
  readonly status: string;
  /** LastUpdatedTime (ISO 8601); absent on a stack never updated since its creation. */
  readonly updated?: string | null;
  readonly created?: string | null;
}

export interface RollbackInputs {
  /** Outcome of the `cdk deploy` step: `failure` when CloudFormation itself refused the change. */
  readonly deployOutcome: string;
  /** When the deploy job started changing anything (ISO 8601). */
  readonly startedAt: string;
  readonly stacks: readonly StackState[];
}

export interface RollbackPlan {
  readonly action: 'redeploy' | 'skip';
  readonly reason: string;
}

const ROLLED_BACK = new Set(['UPDATE_ROLLBACK_COMPLETE', 'ROLLBACK_COMPLETE']);

function parseTime(field: string, value: string): number {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new Error(`${field} must be an ISO 8601 time, got "${value}"`);
  return time;
}

/**
 * Whether the automatic rollback must redeploy the previous commit. When `cdk deploy` failed and
 * every stack it touched ended in a CloudFormation rollback, the environment already runs the
 * previous templates and image: redeploying would only repeat a deploy of what runs. Any stack that
 * completed the update (a later stack then failed, or the smoke test, verify or alarm check failed
 * after a good deploy) keeps the new code, so the previous commit is redeployed.
 */
export function planRollback(inputs: RollbackInputs): RollbackPlan {
  const started = parseTime('startedAt', inputs.startedAt);
  const touched = inputs.stacks.filter((s) => {
    const last = s.updated ?? s.created;
    return last ? parseTime(`${s.name} LastUpdatedTime`, last) >= started : false;
  });
  if (inputs.deployOutcome !== 'failure') {
    return { action: 'redeploy', reason: 'the deploy finished but a check after it failed' };
  }
  if (touched.length === 0) {
    return { action: 'skip', reason: 'cdk deploy failed before CloudFormation changed any stack' };
  }
  const kept = touched.filter((s) => !ROLLED_BACK.has(s.status));
  if (kept.length === 0) {
    return {
      action: 'skip',
      reason: `CloudFormation already rolled back ${touched.map((s) => s.name).join(', ')}`,
    };
  }
  return {
    action: 'redeploy',
    reason: `${kept.map((s) => `${s.name} (${s.status})`).join(', ')} kept the failed change`,
  };
}

export function main(stdin: string, env: Readonly<Record<string, string | undefined>>): string {
  let stacks: StackState[];
  try {
    stacks = JSON.parse(stdin) as StackState[];
  } catch {
    throw new Error('expected the stage stacks as JSON on stdin');
  }
  if (!Array.isArray(stacks)) throw new Error('expected a JSON array of stacks on stdin');
  const plan = planRollback({
    deployOutcome: env.DEPLOY_OUTCOME ?? '',
    startedAt: env.STARTED_AT ?? '',
    stacks,
  });
  return `action=${plan.action}\nreason=${plan.reason}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const out = main(readFileSync(0, 'utf8'), process.env);
    console.log(out);
    console.error(`rollback plan: ${out.replace('\n', ', ')}`);
  } catch (error) {
    console.error(`rollback-plan: ${(error as Error).message}`);
    process.exit(1);
  }
}
