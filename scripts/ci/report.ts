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
  readonly alarms: Outcome;
  readonly rollback: Outcome;
}

export type Verdict = 'succeeded' | 'rolled back' | 'failed';

/**
 * Succeeded when the deploy, the smoke test and the alarm check all passed; rolled back when one
 * failed and the automatic rollback to the previous image succeeded; failed otherwise.
 */
export function verdictOf(report: DeploymentReport): Verdict {
  if (report.deploy === 'success' && report.smoke === 'success' && report.alarms === 'success')
    return 'succeeded';
  if (report.rollback === 'success') return 'rolled back';
  return 'failed';
}

const OUTCOMES = new Set<Outcome>(['success', 'failure', 'cancelled', 'skipped', '']);

function outcome(env: Readonly<Record<string, string | undefined>>, name: string): Outcome {
  const value = (env[name] ?? '') as Outcome;
  if (!OUTCOMES.has(value)) throw new Error(`${name} must be a step outcome, got "${value}"`);
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
    alarms: outcome(env, 'ALARMS_OUTCOME'),
    rollback: outcome(env, 'ROLLBACK_OUTCOME'),
  };
}

const ICON: Record<Verdict, string> = { succeeded: '✅', 'rolled back': '↩️', failed: '❌' };

/** Markdown escaping for values that come from workflow inputs (the rollback reason). */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&').replace(/\r?\n/g, ' ');
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
    ['alarm check', report.alarms || 'not run'],
    ['automatic rollback', report.rollback || 'not needed'],
  ];
  if (report.reason) rows.splice(1, 0, ['reason', escapeMarkdown(report.reason)]);
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
  report: DeploymentReport,
  fetchImpl: typeof fetch = fetch,
): Promise<boolean> {
  if (!webhookUrl) return false;
  if (!/^https?:\/\//.test(webhookUrl)) throw new Error('DEPLOY_WEBHOOK_URL must be an http(s) URL');
  const response = await fetchImpl(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(slackPayload(report)),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
  return true;
}

export async function main(argv: readonly string[], env: Readonly<Record<string, string | undefined>>) {
  const report = reportFromEnv(env);
  if (argv[0] === 'summary') return renderSummary(report);
  if (argv[0] === 'notify') {
    const sent = await notify(env.DEPLOY_WEBHOOK_URL, report);
    return sent
      ? 'notification sent'
      : '::notice title=notification skipped::DEPLOY_WEBHOOK_URL is not set for this environment';
  }
  throw new Error('usage: report.ts summary|notify');
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
