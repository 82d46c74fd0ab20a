import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import {
  buildFailurePayload,
  type DeploymentReport,
  main,
  notify,
  renderSummary,
  reportFromEnv,
  slackPayload,
  verdictOf,
} from './report.js';

const base: DeploymentReport = {
  kind: 'deploy',
  environment: 'staging',
  imageTag: '1.4.0',
  previousTag: '1.3.2',
  reason: '',
  runUrl: 'https://github.example/acme/ao/actions/runs/1',
  deploy: 'success',
  smoke: 'success',
  verify: 'success',
  alarms: 'success',
  rollbackPlan: '',
  rollback: '',
  rollbackSmoke: '',
  drill: '',
};
const redeployed = { rollbackPlan: 'redeploy', rollback: 'success', rollbackSmoke: 'success' } as const;

describe('verdictOf', () => {
  it('succeeds only when deploy, smoke test, verify and alarm check all passed', () => {
    expect(verdictOf(base)).toBe('succeeded');
    expect(verdictOf({ ...base, verify: 'failure' })).toBe('failed');
    expect(verdictOf({ ...base, smoke: 'failure', ...redeployed })).toBe('rolled back');
    expect(verdictOf({ ...base, alarms: 'failure', ...redeployed, rollback: 'failure' })).toBe('failed');
    expect(verdictOf({ ...base, deploy: 'failure', smoke: '', rollback: '' })).toBe('failed');
  });

  it('counts a rollback only when the previous commit passed its smoke test again, or CloudFormation already rolled back', () => {
    expect(verdictOf({ ...base, smoke: 'failure', ...redeployed, rollbackSmoke: 'failure' })).toBe('failed');
    expect(verdictOf({ ...base, deploy: 'failure', smoke: '', rollbackPlan: 'skip' })).toBe('rolled back');
  });

  it('leaves the drill out of the verdict', () => {
    expect(verdictOf({ ...base, drill: 'failure' })).toBe('succeeded');
    expect(renderSummary({ ...base, drill: 'failure' })).toContain('| failure drill | failure |');
  });
});

describe('renderSummary', () => {
  it('shows what replaced what and each step', () => {
    const summary = renderSummary({ ...base, smoke: 'failure', ...redeployed });
    expect(summary).toContain('## ↩️ deploy of staging rolled back');
    expect(summary).toContain('| previous image tag | `1.3.2` |');
    expect(summary).toContain('| smoke test | failure |');
    expect(summary).toContain('| automatic rollback | redeploy success, smoke test success |');
    expect(renderSummary({ ...base, kind: 'rollback', smoke: 'failure' })).toContain(
      '| automatic rollback | never (this is a rollback) |',
    );
  });

  it('escapes a rollback reason typed by a person', () => {
    const summary = renderSummary({ ...base, kind: 'rollback', reason: 'bad <b>deploy</b> | see #12\nnow' });
    expect(summary).toContain('| reason | bad \\<b\\>deploy\\</b\\> \\| see \\#12 now |');
  });
});

describe('slackPayload', () => {
  it('is one line of Slack mrkdwn with a link to the run', () => {
    expect(slackPayload({ ...base, smoke: 'failure', ...redeployed })).toEqual({
      text: '↩️ deploy of *staging* rolled back: image `1.4.0` — back on `1.3.2` — <https://github.example/acme/ao/actions/runs/1|run>',
    });
  });
});

describe('notify', () => {
  it('does nothing when no webhook is configured', async () => {
    expect(await notify(undefined, base, () => Promise.reject(new Error('must not be called')))).toBe(false);
    expect(await notify('', base)).toBe(false);
  });

  it('posts the payload to a webhook on loopback and fails when it refuses', async () => {
    const received: string[] = [];
    let status = 200;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        received.push(body);
        res.writeHead(status).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      expect(await notify(url, base)).toBe(true);
      expect(JSON.parse(received[0] ?? '{}')).toEqual(slackPayload(base));
      status = 500;
      await expect(notify(url, base)).rejects.toThrow('the webhook answered 500');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await expect(notify('file:///etc/passwd', base)).rejects.toThrow(/must be an http\(s\) URL/);
  });
});

describe('reportFromEnv and main', () => {
  const env = {
    KIND: 'rollback',
    TARGET_ENV: 'prod',
    IMAGE_TAG: '1.3.2',
    PREVIOUS_TAG: '1.4.0',
    REASON: 'latency',
    DEPLOY_OUTCOME: 'success',
    SMOKE_OUTCOME: 'success',
    VERIFY_OUTCOME: 'success',
    ALARMS_OUTCOME: 'success',
  };

  it('reads the step outcomes the workflow passes', () => {
    expect(reportFromEnv(env)).toMatchObject({ kind: 'rollback', environment: 'prod', deploy: 'success' });
    expect(() => reportFromEnv({ ...env, SMOKE_OUTCOME: 'maybe' })).toThrow(
      /SMOKE_OUTCOME must be a step outcome/,
    );
    expect(() => reportFromEnv({ ...env, ROLLBACK_PLAN: 'later' })).toThrow(/ROLLBACK_PLAN must be/);
  });

  it('names the failed jobs of a build for the deploy webhook', async () => {
    const failure = {
      GIT_REF: 'main',
      GIT_SHA: '0123456789abcdef0123456789abcdef01234567',
      RUN_URL: 'https://github.example/acme/ao/actions/runs/9',
      RESULTS: 'ci=success security=failure image=skipped scan=skipped sign=skipped publish-dev=skipped',
    };
    expect(buildFailurePayload(failure)).toEqual({
      text: '❌ build of *main* `0123456789ab` failed: security failure — <https://github.example/acme/ao/actions/runs/9|run>',
    });
    expect(() => buildFailurePayload({ ...failure, RESULTS: 'ci=maybe' })).toThrow(/job=result pairs/);
    expect(await main(['build-failure'], failure)).toContain('::notice title=notification skipped::');
  });

  it('prints the summary, or a notice when notifications are off', async () => {
    expect(await main(['summary'], env)).toContain('rollback of prod succeeded');
    expect(await main(['notify'], env)).toContain('::notice title=notification skipped::');
    await expect(main(['email'], env)).rejects.toThrow(/usage/);
  });
});
