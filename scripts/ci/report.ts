import { pathToFileURL } from 'node:url';

/** Outcome of a workflow step as GitHub reports it (`steps.<id>.outcome`); empty when it never ran. */
type Outcome = 'success' | 'failure' | 'cancelled' | 'skipped' | '';

export interface DeploymentReport {
  readonly kind: 'deploy' | 'rollback';
  readonly environment: string;
  readonly imageTag: string;
  readonly previousTag: string;
  readonly reason: string;
  readonly runUrl: string;
  readonly deploy: Outcome;
  readonly smoke: Outcome;
  readonly verify: Outcome;
  readonly alarms: Outcome;
  /** The rollback job's decision: redeploy the previous commit, or skip (CloudFormation already did). */
  readonly rollbackPlan: '' | 'redeploy' | 'skip';
  readonly rollback: Outcome;
  readonly rollbackSmoke: Outcome;
  /** The dev failure drill, when asked for: reported, never part of the verdict. */
  readonly drill: Outcome;
}

export type Verdict = 'succeeded' | 'rolled back' | 'failed';

/**
 * Succeeded when the deploy, the smoke test, verify and the alarm check all passed; rolled back when
 * one failed and either CloudFormation had already rolled every stack back or the automatic
 * redeploy of the previous commit passed its smoke test; failed otherwise.
 */
export function verdictOf(report: DeploymentReport): Verdict {
  const checks = [report.deploy, report.smoke, report.verify, report.alarms];
  if (checks.every((o) => o === 'success')) return 'succeeded';
  if (report.rollbackPlan === 'skip') return 'rolled back';
  if (report.rollback === 'success' && report.rollbackSmoke === 'success') return 'rolled back';
  return 'failed';
}

const OUTCOMES = new Set<Outcome>(['success', 'failure', 'cancelled', 'skipped', '']);

function outcome(env: Readonly<Record<string, string | undefined>>, name: string): Outcome {
  const value = (env[name] ?? '') as Outcome;
  if (!OUTCOMES.has(value)) throw new Error(`${name} must be a step outcome, got "${value}"`);
  return value;
}

function plan(env: Readonly<Record<string, string | undefined>>): DeploymentReport['rollbackPlan'] {
  const value = env.ROLLBACK_PLAN ?? '';
  if (value !== '' && value !== 'redeploy' && value !== 'skip') {
    throw new Error(`ROLLBACK_PLAN must be redeploy or skip, got "${value}"`);
  }
  return value;
}

export function reportFromEnv(env: Readonly<Record<string, string | undefined>>): DeploymentReport {
  const kind = env.KIND === 'rollback' ? 'rollback' : 'deploy';
  return {
    kind,
    environment: env.TARGET_ENV ?? '',
    imageTag: env.IMAGE_TAG ?? '',
    previousTag: env.PREVIOUS_TAG ?? '',
    reason: env.REASON ?? '',
    runUrl: env.RUN_URL ?? '',
    deploy: outcome(env, 'DEPLOY_OUTCOME'),
    smoke: outcome(env, 'SMOKE_OUTCOME'),
    verify: outcome(env, 'VERIFY_OUTCOME'),
    alarms: outcome(env, 'ALARMS_OUTCOME'),
    rollbackPlan: plan(env),
    rollback: outcome(env, 'ROLLBACK_OUTCOME'),
    rollbackSmoke: outcome(env, 'ROLLBACK_SMOKE_OUTCOME'),
    drill: outcome(env, 'DRILL_OUTCOME'),
  };
}

const ICON: Record<Verdict, string> = { succeeded: '✅', 'rolled back': '↩️', failed: '❌' };

/** Markdown escaping for values that come from workflow inputs (the rollback reason). */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&').replace(/\r?\n/g, ' ');
}

function rollbackText(report: DeploymentReport): string {
  if (report.rollbackPlan === 'skip') return 'not redeployed: CloudFormation had rolled back';
  if (report.rollbackPlan === 'redeploy') {
    return `redeploy ${report.rollback || 'not run'}, smoke test ${report.rollbackSmoke || 'not run'}`;
  }
  return report.kind === 'rollback' ? 'never (this is a rollback)' : 'not needed';
}

/** The job summary: verdict, what was deployed over what, and each step's outcome. */
export function renderSummary(report: DeploymentReport): string {
  const verdict = verdictOf(report);
  const rows: [string, string][] = [
    ['environment', report.environment],
    ['image tag', `\`${report.imageTag}\``],
    ['previous image tag', report.previousTag ? `\`${report.previousTag}\`` : '(none recorded)'],
    ['cdk deploy', report.deploy || 'not run'],
    ['smoke test', report.smoke || 'not run'],
    ['verify', report.verify || 'not run'],
    ['alarm check', report.alarms || 'not run'],
    ['automatic rollback', rollbackText(report)],
  ];
  if (report.reason) rows.splice(1, 0, ['reason', escapeMarkdown(report.reason)]);
  if (report.drill) rows.push(['failure drill', report.drill]);
  return [
    `## ${ICON[verdict]} ${report.kind} of ${report.environment} ${verdict}`,
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
  ].join('\n');
}

/** A Slack incoming-webhook payload (also accepted by Mattermost, Rocket.Chat and Teams' Slack mode). */
export function slackPayload(report: DeploymentReport): { text: string } {
  const verdict = verdictOf(report);
  const parts = [
    `${ICON[verdict]} ${report.kind} of *${report.environment}* ${verdict}: image \`${report.imageTag}\``,
  ];
  if (verdict === 'rolled back') parts.push(`back on \`${report.previousTag}\``);
  if (report.reason) parts.push(`reason: ${report.reason.replace(/[<>&]/g, '')}`);
  if (report.runUrl) parts.push(`<${report.runUrl}|run>`);
  return { text: parts.join(' — ') };
}

/**
 * Posts the notification. Returns false without calling anything when no webhook is configured,
 * so a repository without one still deploys. A webhook that refuses the message fails the step.
 */
export async function notify(
  webhookUrl: string | undefined,
  report: DeploymentReport | { text: string },
  fetchImpl: typeof fetch = fetch,
): Promise<boolean> {
  if (!webhookUrl) return false;
  if (!/^https?:\/\//.test(webhookUrl)) throw new Error('DEPLOY_WEBHOOK_URL must be an http(s) URL');
  const payload = 'text' in report ? report : slackPayload(report);
  const response = await fetchImpl(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
  return true;
}

const JOB_RESULT = /^([a-z-]+)=(success|failure|cancelled|skipped)$/;

/**
 * The build workflow's failure message: which jobs failed for which ref and commit. RESULTS is
 * `job=result` pairs as the workflow writes them from `needs.<job>.result`.
 */
export function buildFailurePayload(env: Readonly<Record<string, string | undefined>>): { text: string } {
  const results = (env.RESULTS ?? '').split(/\s+/).filter(Boolean);
  const failed = results.flatMap((pair) => {
    const match = JOB_RESULT.exec(pair);
    if (!match) throw new Error(`RESULTS must be job=result pairs, got "${pair}"`);
    return match[2] === 'failure' || match[2] === 'cancelled' ? [`${match[1]} ${match[2]}`] : [];
  });
  const ref = (env.GIT_REF ?? '').replace(/[<>&`*]/g, '');
  const parts = [
    `❌ build of *${ref}* \`${(env.GIT_SHA ?? '').slice(0, 12)}\` failed: ${failed.join(', ') || 'see the run'}`,
  ];
  if (env.RUN_URL) parts.push(`<${env.RUN_URL}|run>`);
  return { text: parts.join(' — ') };
}

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>) {
  if (argv[0] === 'build-failure') {
    const sent = await notify(env.DEPLOY_WEBHOOK_URL, buildFailurePayload(env));
    return sent
      ? 'notification sent'
      : '::notice title=notification skipped::DEPLOY_WEBHOOK_URL is not set for this repository';
  }
  const report = reportFromEnv(env);
  if (argv[0] === 'summary') return renderSummary(report);
  if (argv[0] === 'notify') {
    const sent = await notify(env.DEPLOY_WEBHOOK_URL, report);
    return sent
      ? 'notification sent'
      : '::notice title=notification skipped::DEPLOY_WEBHOOK_URL is not set for this environment';
  }
  throw new Error('usage: report.ts summary|notify|build-failure');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2), process.env).then(
    (out) => console.log(out),
    (error: Error) => {
      console.error(`report: ${error.message}`);
      process.exit(1);
    },
  );
}
