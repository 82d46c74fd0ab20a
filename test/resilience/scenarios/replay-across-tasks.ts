import { join } from 'node:path';
import { request } from 'undici';
import { DecisionTokenIssuer, LocalEs256Signer } from '../../../lambdas/governance/decision-token/index.js';
import { NAMES } from '../../../local/platform.js';
import { ServiceProcess } from '../../../local/service-process.js';
import { LocalFileSecretStore } from '../../../services/shared/secrets.js';
import { signRequest } from '../../../services/shared/sigv4.js';
import { LocalPlatform } from '../harness/platform.js';
import { check, type Scenario } from '../harness/scenario.js';

const REPLAYED = 'urn:axon-orbit:problem:replayed-request';

/**
 * Two Axon processes (two tasks of one service) share the replay table. Every signed request is
 * accepted once by the first task, then replayed to the second task and to the first: both refuse
 * it, inside the clock window, with `replayed-request` and never a 5xx.
 */
export const replayAcrossTasksScenario: Scenario = {
  name: 'replay-across-tasks',
  description: 'a request accepted by one Axon task is refused as a replay by another',
  async run(size) {
    const requests = size === 'full' ? 500 : 40;
    const platform = await LocalPlatform.start();
    const second = new ServiceProcess({
      name: 'axon-2',
      main: 'services/axon/main.ts',
      port: 0,
      env: platform.axonEnv,
      bundle: true,
      // Started while the platform's own processes are still warming up on a shared machine.
      readyTimeoutMs: 60_000,
    });
    try {
      await second.start();
      const secret = await new LocalFileSecretStore(platform.secretsDir).getSecretValue(
        NAMES.signingSecretId,
        'AWSCURRENT',
      );
      const key = {
        keyId: secret.versionId,
        secret: (JSON.parse(secret.secretString) as { signingKey: string }).signingKey,
      };
      // A direct call to Axon carries a governance token, as Orbit's do (local key file of the platform).
      const tokens = new DecisionTokenIssuer(
        LocalEs256Signer.fromFile(join(platform.secretsDir, 'decision-token-key.json')),
        'local',
        300,
      );
      const token = await tokens.issue({
        subject: 'orbit',
        intent: 'reason:replay',
        correlationId: 'replay-across-tasks',
        service: 'orbit',
        decisionId: 'replay-across-tasks',
        policyRevision: 1,
        time: Date.now(),
      });
      const send = async (base: string, headers: Record<string, string>, body: string) => {
        const res = await request(`${base}/reason`, { method: 'POST', headers, body });
        const answer = (await res.body.json()) as { type?: string };
        return { status: res.statusCode, type: answer.type };
      };
      const tally = { accepted: 0, refusedByOther: 0, refusedBySame: 0, serverErrors: 0 };
      for (let i = 0; i < requests; i++) {
        const body = JSON.stringify({ intent: 'reason:replay', payload: { i } });
        const [first, other] = i % 2 === 0 ? [platform.axon, second] : [second, platform.axon];
        const headers = await signRequest(
          {
            method: 'POST',
            url: new URL('/reason', first.url),
            headers: { 'content-type': 'application/json', 'txn-token': token, 'x-caller-id': 'orbit' },
            body,
          },
          key,
          'eu-west-1',
        );
        const outcomes = [
          await send(first.url, headers, body),
          await send(other.url, headers, body),
          await send(first.url, headers, body),
        ];
        if (outcomes[0]?.status === 200) tally.accepted++;
        if (outcomes[1]?.status === 403 && outcomes[1].type === REPLAYED) tally.refusedByOther++;
        if (outcomes[2]?.status === 403 && outcomes[2].type === REPLAYED) tally.refusedBySame++;
        tally.serverErrors += outcomes.filter((o) => o.status >= 500).length;
      }
      return {
        figures: [
          ['signed requests', String(requests)],
          ['accepted by the first task', String(tally.accepted)],
          ['replays refused by the other task', String(tally.refusedByOther)],
          ['replays refused by the same task', String(tally.refusedBySame)],
          ['5xx', String(tally.serverErrors)],
        ],
        checks: [
          check(
            'every fresh request was accepted once',
            tally.accepted === requests,
            `${tally.accepted}/${requests}`,
          ),
          check(
            'every replay to the other task was refused as a replay',
            tally.refusedByOther === requests,
            `${tally.refusedByOther}/${requests}`,
          ),
          check(
            'every replay to the same task was refused as a replay',
            tally.refusedBySame === requests,
            `${tally.refusedBySame}/${requests}`,
          ),
          check('no 5xx', tally.serverErrors === 0, `${tally.serverErrors}`),
        ],
      };
    } finally {
      await second.stop();
      await platform.close();
    }
  },
};
