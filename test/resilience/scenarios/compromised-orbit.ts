import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { request } from 'undici';
import { DECISION_CALLER_HEADER, DECISION_TOKEN_HEADER } from '../../../contracts/decision-token.js';
import { DecisionTokenIssuer, LocalEs256Signer } from '../../../lambdas/governance/decision-token/index.js';
import { LOCAL_ENVIRONMENT, NAMES } from '../../../local/platform.js';
import { LocalFileSecretStore } from '../../../services/shared/secrets.js';
import { type SigningKey, signRequest } from '../../../services/shared/sigv4.js';
import { localLambdaClient } from '../../support/fakes.js';
import { LocalPlatform } from '../harness/platform.js';
import { check, type Scenario } from '../harness/scenario.js';

/** Intents the default policy denies to every caller (only `reason:*` is allowed, and only for listed callers). */
const DENIED = ['admin:delete-everything', 'orbit:admin:rotate-keys', 'billing:refund-all'] as const;
const ALLOWED = 'reason:summarize';
const CALLER = 'demo-app';
/** The default policy's `suspended-callers` statement denies this caller everything, `reason:*` included. */
const SUSPENDED = 'suspended-app';

type Attempt =
  | 'no token'
  | 'token for another intent'
  | 'token for another caller'
  | 'token minted with its own key'
  | 'token outside the signature';

/** The problem type each attempt must be refused with: the layer that stops it. */
const EXPECTED: Readonly<Record<Attempt, string>> = {
  'no token': 'decision-token-missing',
  'token for another intent': 'decision-token-intent-mismatch',
  'token for another caller': 'decision-token-caller-mismatch',
  'token minted with its own key': 'decision-token-forged',
  'token outside the signature': 'decision-token-unsigned',
};

/**
 * A process that holds what a compromised Orbit task holds: Orbit's signing key (read from the secret,
 * as the task role allows) and the right to ask governance (Lambda Invoke, as Orbit's role allows),
 * but not governance's signing key. It asks governance for intents the policy denies (no token comes
 * back), then calls Axon directly, correctly signed, for each denied intent: with no token, with a
 * token governance issued for an allowed intent, with one issued for another caller, with one it
 * signed itself under governance's key id, and with a valid token left outside the signature. Axon
 * must refuse every attempt with the token layer's problem type and serve none; the control (an
 * allowed intent with its own token) is served, so the refusals are not a broken setup. Loopback only.
 */
export const compromisedOrbitScenario: Scenario = {
  name: 'compromised-orbit',
  description: "Orbit's signing key without a governance token cannot get a denied intent served",
  async run(size) {
    const rounds = size === 'full' ? 100 : 10;
    const platform = await LocalPlatform.start();
    const lambda = localLambdaClient(platform.lambdaUrl);
    try {
      const secret = await new LocalFileSecretStore(platform.secretsDir).getSecretValue(
        NAMES.signingSecretId,
        'AWSCURRENT',
      );
      const key: SigningKey = {
        keyId: secret.versionId,
        secret: (JSON.parse(secret.secretString) as { signingKey: string }).signingKey,
      };
      let n = 0;
      const decide = async (intent: string, clientId: string) => {
        const out = await lambda.send(
          new InvokeCommand({
            FunctionName: NAMES.functionName,
            Payload: JSON.stringify({
              service: 'orbit',
              caller: { clientId },
              intent,
              correlationId: `compromised-orbit-${++n}`,
            }),
          }),
        );
        return JSON.parse(Buffer.from(out.Payload ?? []).toString()) as { allowed: boolean; token?: string };
      };
      const callAxon = async (
        intent: string,
        signed: Record<string, string>,
        unsigned: Record<string, string> = {},
      ) => {
        const body = JSON.stringify({ intent, payload: { n: ++n } });
        const url = new URL('/reason', platform.axon.url);
        const headers = await signRequest(
          {
            method: 'POST',
            url,
            headers: { 'content-type': 'application/json', 'x-axon-nonce': `co-${n}`, ...signed },
            body,
          },
          key,
          'eu-west-1',
        );
        const res = await request(url, { method: 'POST', headers: { ...headers, ...unsigned }, body });
        const answer = (await res.body.json()) as { type?: string };
        return { status: res.statusCode, type: (answer.type ?? '').replace('urn:axon-orbit:problem:', '') };
      };
      const ownKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const tally = new Tally();
      for (let round = 0; round < rounds; round++) {
        const allowed = await decide(ALLOWED, CALLER);
        const suspended = await decide(ALLOWED, SUSPENDED);
        if (suspended.allowed || suspended.token) tally.governanceTokensForDenied++;
        if (allowed.token && (await callAxon(ALLOWED, token(allowed.token, CALLER))).status === 200) {
          tally.controlServed++;
        }
        for (const intent of DENIED) {
          const denied = await decide(intent, CALLER);
          if (denied.allowed || denied.token) tally.governanceTokensForDenied++;
          // Governance's key id, so only the signature can tell the minted token from a real one.
          const minted = await mint(ownKey.privateKey, allowed.token ?? '', intent, ++n);
          const attempts: [Attempt, Promise<{ status: number; type: string }>][] = [
            ['no token', callAxon(intent, { [DECISION_CALLER_HEADER]: CALLER })],
            ['token for another intent', callAxon(intent, token(allowed.token ?? '', CALLER))],
            // The intent is denied to the suspended caller only: another caller's token for it.
            ['token for another caller', callAxon(ALLOWED, token(allowed.token ?? '', SUSPENDED))],
            ['token minted with its own key', callAxon(intent, token(minted, CALLER))],
            [
              'token outside the signature',
              callAxon(
                intent,
                { [DECISION_CALLER_HEADER]: CALLER },
                { [DECISION_TOKEN_HEADER]: allowed.token ?? '' },
              ),
            ],
          ];
          for (const [attempt, pending] of attempts) tally.record(attempt, await pending);
        }
      }
      const attempts = rounds * DENIED.length * Object.keys(EXPECTED).length;
      const asked = rounds * (DENIED.length + 1);
      return {
        figures: [
          ['attempts on denied intents', String(attempts)],
          ['served', String(tally.served)],
          ['refused by the token layer as expected', String(tally.refusedAsExpected)],
          ['allowed control requests served', `${tally.controlServed}/${rounds}`],
        ],
        checks: [
          check(
            'governance issued no token for a denied intent or caller',
            tally.governanceTokensForDenied === 0,
            `${tally.governanceTokensForDenied}/${asked} denied questions answered with a token`,
          ),
          check('Axon served no denied intent', tally.served === 0, `${tally.served}/${attempts}`),
          check(
            'each attempt was refused with the problem type of the layer that stops it',
            tally.refusedAsExpected === attempts,
            tally.refusedOtherwise.slice(0, 5).join('; ') || `${tally.refusedAsExpected}/${attempts}`,
          ),
          check('no 5xx', tally.serverErrors === 0, `${tally.serverErrors}`),
          check(
            'the allowed control intent, with its token, was served',
            tally.controlServed === rounds,
            `${tally.controlServed}/${rounds}`,
          ),
        ],
      };
    } finally {
      lambda.destroy();
      await platform.close();
    }
  },
};

class Tally {
  governanceTokensForDenied = 0;
  served = 0;
  refusedAsExpected = 0;
  readonly refusedOtherwise: string[] = [];
  serverErrors = 0;
  controlServed = 0;

  record(attempt: Attempt, outcome: { status: number; type: string }): void {
    if (outcome.status === 200) this.served++;
    else if (outcome.status >= 500) this.serverErrors++;
    else if (outcome.status === 403 && outcome.type === EXPECTED[attempt]) this.refusedAsExpected++;
    else this.refusedOtherwise.push(`${attempt}: ${outcome.status} ${outcome.type}`);
  }
}

/** A token for `intent` signed with the process's own key under governance's key id (from a real token). */
function mint(privateKey: KeyObject, realToken: string, intent: string, n: number): Promise<string> {
  const kid = JSON.parse(Buffer.from(realToken.split('.')[0] ?? '', 'base64url').toString()).kid;
  return new DecisionTokenIssuer(new LocalEs256Signer(privateKey, kid), LOCAL_ENVIRONMENT, 5).issue({
    subject: CALLER,
    intent,
    correlationId: `minted-${n}`,
    service: 'orbit',
    decisionId: `minted-${n}`,
    policyRevision: 1,
    time: Date.now(),
  });
}

function token(value: string, caller: string): Record<string, string> {
  return { [DECISION_TOKEN_HEADER]: value, [DECISION_CALLER_HEADER]: caller };
}
