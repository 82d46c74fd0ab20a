import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { DECISION_CALLER_HEADER, DECISION_TOKEN_HEADER } from '../../../contracts/decision-token.js';
import { DecisionTokenIssuer, LocalEs256Signer } from '../../../lambdas/governance/decision-token/index.js';
import type { TokenRejectReason } from '../../../services/axon/decision-token.js';
import { signedReason } from '../../support/services.js';
import type { FuzzEnvironment, FuzzResponse } from './environment.js';
import { assertSane, fail, measure, type Surface } from './property.js';

const INTENT = 'reason:tokens';
const CALLER = 'demo-app';
/** Axon's answer when the request itself (not the token) is refused. */
type RequestRejectReason = 'replayed-request' | 'signature-mismatch';
type Expected = 200 | readonly (TokenRejectReason | RequestRejectReason)[];

type TokenCase =
  | { kind: 'valid' | 'missing' | 'oversized' | 'alg-none' | 'alg-none-unsigned' | 'hs256' }
  | { kind: 'unknown-key' | 'forged' | 'payload-swapped' | 'other-environment' | 'other-intent' }
  | { kind: 'other-caller' | 'no-caller' | 'unsigned-token' | 'unsigned-caller' }
  | { kind: 'replayed' | 'other-body' }
  | { kind: 'junk'; value: string }
  | { kind: 'truncated'; cut: number }
  | { kind: 'skew'; ms: number };

/**
 * Token time against Axon's clock, around the edges with a margin for the 1 s resolution of `iat` and
 * for the time a case takes: accepted from 8.5 s old (a 5 s token plus 5 s tolerance) to 4 s ahead
 * (the 5 s tolerance); expired from 12 s old; refused as issued in the future from 7 s ahead.
 */
const skew = fc.oneof(
  fc.integer({ min: -8_500, max: 4_000 }),
  fc.integer({ min: -86_400_000, max: -12_000 }),
  fc.integer({ min: 7_000, max: 86_400_000 }),
);

const tokenCase: fc.Arbitrary<TokenCase> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'valid' as const }) },
  fc.constantFrom(
    ...(
      [
        'missing',
        'oversized',
        'alg-none',
        'alg-none-unsigned',
        'hs256',
        'unknown-key',
        'forged',
        'payload-swapped',
        'other-environment',
        'other-intent',
        'other-caller',
        'no-caller',
        'unsigned-token',
        'unsigned-caller',
        'replayed',
        'other-body',
      ] as const
    ).map((kind) => ({ kind })),
  ),
  fc.record({
    kind: fc.constant('junk' as const),
    value: fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      maxLength: 300,
    }),
  }),
  fc.record({ kind: fc.constant('truncated' as const), cut: fc.integer({ min: 1, max: 400 }) }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('skew' as const), ms: skew }) },
);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** What each case must get: 200, or 403 with one of these problem types (never anything else). */
function expectedFor(c: TokenCase): Expected {
  switch (c.kind) {
    case 'valid':
      return 200;
    case 'skew':
      if (c.ms >= 7_000) return ['decision-token-claims'];
      return c.ms <= -12_000 ? ['decision-token-expired'] : 200;
    case 'missing':
      return ['decision-token-missing'];
    case 'junk':
      // An empty or blank value is no token at all.
      return ['decision-token-missing', 'decision-token-malformed'];
    case 'truncated':
      // Cut inside the signature: a shorter signature that fails, or no longer base64url/three parts.
      return ['decision-token-malformed', 'decision-token-forged'];
    case 'oversized':
    case 'alg-none-unsigned':
      return ['decision-token-malformed'];
    case 'alg-none':
    case 'hs256':
      return ['decision-token-algorithm'];
    case 'unknown-key':
      return ['decision-token-unknown-key'];
    case 'forged':
    case 'payload-swapped':
      return ['decision-token-forged'];
    case 'other-environment':
      return ['decision-token-claims'];
    case 'other-intent':
      return ['decision-token-intent-mismatch'];
    case 'other-caller':
      return ['decision-token-caller-mismatch'];
    case 'no-caller':
      return ['decision-token-caller-missing'];
    case 'unsigned-token':
    case 'unsigned-caller':
      return ['decision-token-unsigned'];
    case 'replayed':
      return ['replayed-request'];
    case 'other-body':
      return ['signature-mismatch'];
  }
}

/** The token a case sends (undefined: none), issued now unless the case says otherwise. */
async function tokenFor(env: FuzzEnvironment, c: TokenCase, n: number): Promise<string | undefined> {
  const kit = env.decisionTokens;
  const request = (time: number, intent = INTENT, subject = CALLER) => ({
    subject,
    intent,
    correlationId: `fuzz-token-${n}`,
    service: 'orbit',
    decisionId: `d-${n}`,
    policyRevision: 1,
    time,
  });
  const valid = () => kit.issuer.issue(request(Date.now()));
  switch (c.kind) {
    case 'missing':
      return undefined;
    case 'junk':
      return c.value;
    case 'truncated': {
      const token = await valid();
      return token.slice(0, Math.max(1, token.length - c.cut));
    }
    case 'oversized': {
      const [header, , signature] = (await valid()).split('.');
      return `${header}.${b64({ ...claimsOf(await valid()), pad: 'x'.repeat(4_000 + n) })}.${signature}`;
    }
    case 'alg-none':
    case 'alg-none-unsigned': {
      const header = b64({ alg: 'none', typ: 'txn_token', kid: kit.kid });
      return `${header}.${(await valid()).split('.')[1]}.${c.kind === 'alg-none' ? 'AA' : ''}`;
    }
    case 'hs256':
      return new SignJWT(claimsOf(await valid()))
        .setProtectedHeader({ alg: 'HS256', typ: 'txn_token', kid: kit.kid })
        .sign(kit.publicKey.export({ format: 'der', type: 'spki' }));
    case 'unknown-key':
      return new DecisionTokenIssuer(
        new LocalEs256Signer(stranger.privateKey, 'stranger'),
        kit.environment,
        5,
      ).issue(request(Date.now()));
    case 'forged':
      return new DecisionTokenIssuer(
        new LocalEs256Signer(stranger.privateKey, kit.kid),
        kit.environment,
        5,
      ).issue(request(Date.now()));
    case 'payload-swapped': {
      const [header, , signature] = (await valid()).split('.');
      return `${header}.${b64({ ...claimsOf(await valid()), scope: 'reason:everything' })}.${signature}`;
    }
    case 'other-environment':
      return new DecisionTokenIssuer(new LocalEs256Signer(kit.privateKey, kit.kid), 'prod', 5).issue(
        request(Date.now()),
      );
    case 'other-intent':
      return kit.issuer.issue(request(Date.now(), 'reason:other'));
    case 'other-caller':
      return kit.issuer.issue(request(Date.now(), INTENT, 'batch-reports'));
    case 'skew':
      return kit.issuer.issue(request(Date.now() + c.ms));
    default:
      return valid();
  }
}

/** Signs and sends one case's request (twice for the replay cases); returns the answer judged. */
async function sendCase(env: FuzzEnvironment, c: TokenCase, n: number): Promise<FuzzResponse> {
  const token = await tokenFor(env, c, n);
  const body = JSON.stringify({ intent: INTENT, payload: { n } });
  const proof: Record<string, string> = {
    ...(token === undefined ? {} : { [DECISION_TOKEN_HEADER]: token }),
    ...(c.kind === 'no-caller' ? {} : { [DECISION_CALLER_HEADER]: CALLER }),
  };
  const unsigned = { 'unsigned-token': DECISION_TOKEN_HEADER, 'unsigned-caller': DECISION_CALLER_HEADER }[
    c.kind as 'unsigned-token' | 'unsigned-caller'
  ];
  const signedProof = Object.fromEntries(Object.entries(proof).filter(([name]) => name !== unsigned));
  const signed = await signedReason(env.key, body, {
    headers: { 'x-axon-nonce': `token-${n}`, ...signedProof },
  });
  const headers = { ...signed.headers, ...proof };
  const send = (payload: string) => env.governedAxon({ method: 'POST', url: signed.url, headers, payload });
  const first = await send(signed.payload);
  if (c.kind !== 'replayed' && c.kind !== 'other-body') return first;
  if (first.statusCode !== 200) fail(`the first use of a request (${c.kind}) was refused`, first);
  return send(
    c.kind === 'replayed' ? signed.payload : JSON.stringify({ intent: INTENT, payload: { n: -n } }),
  );
}

function judge(res: FuzzResponse, c: TokenCase, expected: Expected, n: number): void {
  const answer = assertSane(res);
  if (expected === 200) {
    if (res.statusCode !== 200) fail(`a valid token (${c.kind}) was refused`, res);
    if (answer.caller !== CALLER || answer.decisionId !== `d-${n}`)
      fail('the answer does not quote the decision and caller of the token', res);
    return;
  }
  if (res.statusCode !== 403) fail(`a ${c.kind} case was not refused with 403`, res);
  const type = String(answer.type).replace('urn:axon-orbit:problem:', '');
  if (!expected.includes(type as TokenRejectReason)) {
    fail(`a ${c.kind} case was refused as ${type}, expected ${expected.join(' or ')}`, res);
  }
}

/**
 * Decision tokens on Axon's `/reason` (`governedAxon`: signatures and tokens enforced), each request
 * correctly signed by Orbit's key: a valid token for the intent and caller is served once; every bad
 * token (missing, junk, truncated, oversized, `alg: none`, HS256 keyed with the public key, unknown
 * key, forged, payload swapped, another environment, intent or caller, no caller, token or caller
 * outside the signature, expired or issued in the future at the clock-tolerance edges) gets 403 with
 * its own `decision-token-*` problem type; the same signed request replayed, or replayed with another
 * body, is refused by the signature layer. Never a 5xx.
 */
export const decisionTokenSurface: Surface = {
  name: 'decision tokens',
  run: (env, runs) => {
    let n = 0;
    return measure('decision tokens', runs, tokenCase, async (c, note) => {
      n++;
      const res = await sendCase(env, c, n);
      const expected = expectedFor(c);
      note(
        `${res.statusCode} ${c.kind === 'skew' ? (expected === 200 ? 'skew-inside' : 'skew-outside') : c.kind}`,
      );
      judge(res, c, expected, n);
    });
  },
};
