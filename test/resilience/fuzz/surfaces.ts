import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { CALLER_NAME_PATTERN } from '../../../contracts/caller.js';
import { isWellFormedCorrelationId } from '../../../contracts/correlation.js';
import { isIntent } from '../../../contracts/intent.js';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../../../contracts/json-depth.js';
import { AdminError } from '../../../lambdas/governance/admin/errors.js';
import { validateCandidate } from '../../../lambdas/governance/admin/service.js';
import {
  compilePolicy,
  type DecisionRequest,
  PolicyValidationError,
  parsePolicy,
} from '../../../lambdas/governance/engine/index.js';
import { deepDispatchBody, deepJsonText, isTooDeepJson } from '../../support/json-arbitraries.js';
import { decisionRequest, policyDocument } from '../../support/policy-arbitraries.js';
import { signedReason } from '../../support/services.js';
import { decisionTokenSurface } from './decision-token-surface.js';
import { ADMIN_ARN, EDITOR_ARN, type FuzzEnvironment, type FuzzResponse, VIEWER_ARN } from './environment.js';
import { assertSane, fail, measure, type Surface } from './property.js';

export type { Surface, SurfaceReport } from './property.js';

/** What the default policy allows: `reason:*` for orbit, `*` being one lowercase segment. */
const ALLOWED_INTENT = /^reason:[a-z0-9][a-z0-9_.-]*$/;
const BODY_LIMIT = 64 * 1024;

/** Valid JSON, within the body limit, nested past the limit (and not refused earlier for poisoning). */
function tooDeep(raw: string): boolean {
  return (
    Buffer.byteLength(raw) <= BODY_LIMIT && !/"(__proto__|constructor)"\s*:/.test(raw) && isTooDeepJson(raw)
  );
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What Orbit must answer for a body: 200 or 403 when the body is a valid dispatch (by the policy),
 * a 4xx otherwise, or `unsure` where Fastify's prototype-poisoning guard decides.
 */
function expectedDispatch(raw: string, contentType: string): 200 | 403 | '4xx' | 'unsure' {
  if (contentType !== 'application/json') return 'unsure';
  if (Buffer.byteLength(raw) > BODY_LIMIT) return '4xx';
  if (/"(__proto__|constructor)"\s*:/.test(raw)) return 'unsure';
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return '4xx';
  }
  if (!isPlainObject(value) || exceedsJsonDepth(value)) return '4xx';
  if (Object.keys(value).some((k) => k !== 'intent' && k !== 'payload')) return '4xx';
  const { intent, payload } = value;
  if (!isIntent(intent)) return '4xx';
  if (payload !== undefined && !isPlainObject(payload)) return '4xx';
  return ALLOWED_INTENT.test(intent) ? 200 : 403;
}

const safeKey = fc
  .string({ minLength: 1, maxLength: 12 })
  .filter((k) => !/^(__proto__|constructor|prototype)$/.test(k));
const payload = fc.dictionary(safeKey, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 });
const allowedIntent = fc.stringMatching(/^reason:[a-z0-9][a-z0-9_.-]{0,40}$/);
const otherIntent = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}:[a-z0-9][a-z0-9_.-]{0,20}$/),
  fc.stringMatching(/^reason:[a-z0-9._-]{1,10}:[a-z0-9._-]{1,10}$/),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,140}$/),
  fc.string({ unit: 'binary', maxLength: 140 }),
  fc.constantFrom('', 'reason:', 'reason:-x', 'Reason:quick', ' reason:quick', 'reason:quick\n', 'reason:*'),
);
const intent = fc.oneof({ weight: 2, arbitrary: allowedIntent }, { weight: 3, arbitrary: otherIntent });
const wrongType = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 1 })),
);

const dispatchBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ intent, payload }, { requiredKeys: ['intent'] }).map((v) => JSON.stringify(v)),
  },
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          intent: fc.oneof(intent, wrongType),
          payload: fc.oneof(payload, wrongType, fc.string()),
          extra: fc.jsonValue({ maxDepth: 2 }),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"intent":"reason:x","__proto__":{"polluted":true}}',
      '{"intent":"reason:x","payload":{"__proto__":{"polluted":true}}}',
      '{"intent":"reason:x","payload":{"constructor":{"prototype":{"polluted":true}}}}',
      '{"intent":"reason:x","payload":{"a":1}',
      '{"intent":"reason:x"}{"intent":"reason:y"}',
      '',
      'null',
      '[]',
      `{"intent":"reason:x","payload":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    ),
  },
  { weight: 1, arbitrary: deepDispatchBody },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: BODY_LIMIT - 200, max: BODY_LIMIT + 200 })
      .map((n) => JSON.stringify({ intent: 'reason:big', payload: { pad: 'x'.repeat(n) } })),
  },
);
const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
      'APPLICATION/JSON',
      'application/jsonx',
    ),
  },
);

/** `POST /dispatch` bodies: valid dispatches get the policy's answer, everything else a 4xx problem. */
export const dispatchSurface: Surface = {
  name: 'dispatch body',
  run: (env, runs) =>
    measure('dispatch body', runs, fc.tuple(dispatchBody, contentType), async ([raw, type], note) => {
      const res = await env.orbit({
        method: 'POST',
        url: '/dispatch',
        headers: { 'content-type': type, authorization: env.authorization },
        payload: raw,
      });
      note(String(res.statusCode));
      const body = assertSane(res);
      const expected = expectedDispatch(raw, type);
      if (expected === 200 || expected === 403) {
        if (res.statusCode !== expected) fail(`expected ${expected}`, res);
      } else if (expected === '4xx' && (res.statusCode < 400 || res.statusCode >= 500)) {
        fail('expected a 4xx', res);
      }
      if (type === 'application/json' && tooDeep(raw) && !String(body.type).endsWith(':json-too-deep'))
        fail('a body nested too deep was not refused as json-too-deep', res);
      if (res.statusCode === 200 && (body.status !== 'dispatched' || !isPlainObject(body.result)))
        fail('a 200 that is not a dispatch', res);
    }),
};

const HEADER_NAME = fc
  .stringMatching(/^[a-z][a-z0-9-]{0,30}$/)
  .filter(
    (h) =>
      ![
        'host',
        'content-type',
        'content-length',
        'transfer-encoding',
        'connection',
        'expect',
        'upgrade',
        'te',
        'trailer',
        'keep-alive',
        'content-encoding',
        'x-correlation-id',
        'authorization',
      ].includes(h),
  );
const HEADER_VALUE = fc
  .string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 200 })
  .chain((s) => fc.constantFrom(s, `${s} ${s}`.trim()));
const correlationId = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._:-]{8,128}$/),
  HEADER_VALUE,
  fc.constantFrom(
    'short',
    'x'.repeat(129),
    'id with space',
    'ünïcode-id-1234'.normalize('NFD').replace(/[^\x21-\x7e]/g, '_'),
  ),
);

/** A well-formed caller id is kept and echoed; a malformed one is refused; none gets a fresh one. */
function checkCorrelation(res: FuzzResponse, body: Record<string, unknown>, id: string | null): void {
  const wellFormed = id === null || isWellFormedCorrelationId(id);
  if (wellFormed && res.statusCode !== 200) fail('a valid dispatch was refused', res);
  if (!wellFormed && (res.statusCode !== 400 || !String(body.type).endsWith('invalid-correlation-id')))
    fail('a malformed correlation id was not refused', res);
  const echoed = res.headers['x-correlation-id'];
  if (typeof echoed !== 'string' || !isWellFormedCorrelationId(echoed))
    fail('no well-formed correlation id echoed', res);
  if (id !== null && wellFormed && echoed !== id) fail('the caller correlation id was not kept', res);
}

/** Any extra headers and any `x-correlation-id` on a valid dispatch. */
export const headersSurface: Surface = {
  name: 'headers',
  run: (env, runs) =>
    measure(
      'headers',
      runs,
      fc.tuple(fc.dictionary(HEADER_NAME, HEADER_VALUE, { maxKeys: 12 }), fc.option(correlationId)),
      async ([extra, id], note) => {
        const headers: Record<string, string> = {
          ...extra,
          'content-type': 'application/json',
          authorization: env.authorization,
        };
        if (id !== null) headers['x-correlation-id'] = id;
        const res = await env.orbit({
          method: 'POST',
          url: '/dispatch',
          headers,
          payload: '{"intent":"reason:headers"}',
        });
        note(String(res.statusCode));
        checkCorrelation(res, assertSane(res), id);
      },
    ),
};

type Mutation =
  | { kind: 'none' }
  | { kind: 'replay' }
  | { kind: 'unsigned-header'; name: string; value: string }
  | { kind: 'signature-char'; at: number; to: string }
  | { kind: 'scope'; part: 0 | 1 | 2 | 3 | 4; value: string }
  | { kind: 'date'; deltaS: number }
  | { kind: 'drop'; header: 'authorization' | 'x-amz-date' }
  | { kind: 'body'; suffix: string }
  | { kind: 'target'; target: string }
  | { kind: 'content-sha'; value: string }
  | { kind: 'signed-headers'; value: string }
  | { kind: 'authorization'; value: string };

const HEX = '0123456789abcdef';
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
  fc.constant({ kind: 'replay' as const }),
  fc.record({
    kind: fc.constant('unsigned-header' as const),
    name: fc.constantFrom('x-extra', 'accept', 'user-agent'),
    value: fc.stringMatching(/^[a-z0-9]{1,20}$/),
  }),
  fc.record({
    kind: fc.constant('signature-char' as const),
    at: fc.integer({ min: 0, max: 63 }),
    to: fc.constantFrom(...HEX, 'z', 'G', ' '),
  }),
  fc.record({
    kind: fc.constant('scope' as const),
    part: fc.constantFrom(0 as const, 1 as const, 2 as const, 3 as const, 4 as const),
    value: fc.stringMatching(/^[a-z0-9-]{1,20}$/),
  }),
  fc.record({
    kind: fc.constant('date' as const),
    deltaS: fc.integer({ min: -600, max: 600 }).filter((d) => d !== 0),
  }),
  fc.record({
    kind: fc.constant('drop' as const),
    header: fc.constantFrom('authorization' as const, 'x-amz-date' as const),
  }),
  fc.record({ kind: fc.constant('body' as const), suffix: fc.constantFrom(' ', '\n', '{}', 'x') }),
  fc.record({
    kind: fc.constant('target' as const),
    target: fc.constantFrom('/reason?x=1', '/reason/', '/REASON', '/reason%20', '//reason'),
  }),
  // Orbit signs no x-amz-content-sha256 (standard SigV4); one added must still match the body.
  fc.record({
    kind: fc.constant('content-sha' as const),
    value: fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.constant('UNSIGNED-PAYLOAD')),
  }),
  fc.record({
    kind: fc.constant('signed-headers' as const),
    value: fc.constantFrom(
      'host',
      'host;x-amz-date',
      'content-type;host;x-amz-content-sha256;x-amz-date;x-extra',
      'x-amz-content-sha256;x-amz-date',
      'HOST;X-AMZ-DATE;X-AMZ-CONTENT-SHA256',
    ),
  }),
  fc.record({
    kind: fc.constant('authorization' as const),
    value: fc.oneof(
      HEADER_VALUE,
      fc.constantFrom(
        'AWS4-HMAC-SHA256',
        'AWS4-HMAC-SHA256 Credential=',
        'Bearer x',
        'AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00',
      ),
    ),
  }),
);

/** Applies a mutation to a signed request; returns whether the request still carries a valid signature. */
function mutate(
  m: Mutation,
  req: { url: string; headers: Record<string, string>; payload: string },
): boolean {
  const auth = req.headers.authorization ?? '';
  switch (m.kind) {
    case 'none':
    case 'replay':
      return true;
    case 'unsigned-header':
      req.headers[m.name] = m.value;
      return true;
    case 'signature-char': {
      const match = /Signature=([0-9a-f]{64})/.exec(auth);
      const sig = match?.[1] ?? '';
      if (sig[m.at] === m.to) return true;
      req.headers.authorization = auth.replace(sig, sig.slice(0, m.at) + m.to + sig.slice(m.at + 1));
      return false;
    }
    case 'scope': {
      const match = /Credential=([^,]+)/.exec(auth);
      const parts = (match?.[1] ?? '').split('/');
      if (parts[m.part] === m.value) return true;
      parts[m.part] = m.value;
      req.headers.authorization = auth.replace(match?.[1] ?? '', parts.join('/'));
      return false;
    }
    case 'date': {
      const amz = req.headers['x-amz-date'] ?? '';
      const t = Date.UTC(
        +amz.slice(0, 4),
        +amz.slice(4, 6) - 1,
        +amz.slice(6, 8),
        +amz.slice(9, 11),
        +amz.slice(11, 13),
        +amz.slice(13, 15),
      );
      req.headers['x-amz-date'] = new Date(t + m.deltaS * 1000).toISOString().replace(/[-:]|\.\d{3}/g, '');
      return false;
    }
    case 'drop':
      delete req.headers[m.header];
      return false;
    case 'body':
      req.payload += m.suffix;
      return false;
    case 'target':
      req.url = m.target;
      return false;
    case 'content-sha':
      req.headers['x-amz-content-sha256'] = m.value;
      return false;
    case 'signed-headers': {
      const current = /SignedHeaders=([^,]+)/.exec(auth)?.[1] ?? '';
      if (current === m.value) return true;
      req.headers.authorization = auth.replace(`SignedHeaders=${current}`, `SignedHeaders=${m.value}`);
      return false;
    }
    case 'authorization':
      req.headers.authorization = m.value;
      return false;
  }
}

function checkSignatureVerdict(res: FuzzResponse, kind: string, acceptable: boolean, intact: boolean): void {
  if (acceptable) {
    if (res.statusCode !== 200) fail(`an intact signature (${kind}) was refused`, res);
  } else if (res.statusCode === 200) {
    fail(`a ${intact ? 'skewed' : `mutated (${kind})`} request was accepted`, res);
  } else if (![400, 401, 403, 404, 413, 415].includes(res.statusCode)) {
    fail('unexpected refusal status', res);
  }
}

/** Clock skew inside and outside Axon's ±5 minute window (with a margin for the 1 s resolution). */
const skewMs = fc.oneof(
  fc.integer({ min: -290_000, max: 290_000 }),
  fc.integer({ min: 310_000, max: 86_400_000 }),
  fc.integer({ min: -86_400_000, max: -310_000 }),
);

/** The callers governance/policies/default.json lists in its allow (`orbit-reasons-on-axon`). */
const LISTED_CALLERS: readonly unknown[] = ['demo-app', 'batch-reports'];

/**
 * Whom the default policy lets Orbit dispatch for: only a caller it lists, with a well-formed tenant
 * or none. No caller (Orbit asking for itself) and any other verified caller are denied.
 */
function defaultPolicyAdmitsCaller(caller: unknown): boolean {
  if (!isPlainObject(caller) || Object.keys(caller).some((k) => k !== 'clientId' && k !== 'tenant'))
    return false;
  const { clientId, tenant } = caller;
  return (
    LISTED_CALLERS.includes(clientId) &&
    (tenant === undefined || (typeof tenant === 'string' && CALLER_NAME_PATTERN.test(tenant)))
  );
}

/**
 * Signed `/reason` requests sent straight to Axon, each mutated in one way (or not at all). Unmutated
 * and inside the clock window: 200 exactly once (the replay is refused). Any mutation of what the
 * signature covers, or outside the window: refused with 401/403, never 200, never 5xx.
 */
export const signaturesSurface: Surface = {
  name: 'signatures',
  run: (env, runs) => {
    let n = 0;
    const signatureCase = fc.tuple(mutation, skewMs, fc.option(deepJsonText, { freq: 8 }));
    return measure('signatures', runs, signatureCase, async ([m, skew, deep], note) => {
      const body =
        deep === null
          ? JSON.stringify({ intent: 'reason:signed', payload: { n: n++ } })
          : `{"intent":"reason:signed","payload":{"n":${n++},"deep":${deep}}}`;
      const signed = await signedReason(env.key, body, {
        at: new Date(Date.now() + skew),
        headers: { 'x-axon-nonce': `nonce-${n}` },
      });
      const req = { url: signed.url, headers: { ...signed.headers }, payload: signed.payload };
      const intact = mutate(m, req);
      const inWindow = Math.abs(skew) < 300_000;
      const res = await env.axon({
        method: 'POST',
        url: req.url,
        headers: req.headers,
        payload: req.payload,
      });
      note(m.kind === 'none' && !inWindow ? `${res.statusCode} skewed` : `${res.statusCode} ${m.kind}`);
      const answer = assertSane(res);
      const acceptable = intact && inWindow;
      if (Buffer.byteLength(body) > BODY_LIMIT) {
        // The size limit is checked before anything else reads the body, the signature included.
        if (res.statusCode !== 413) fail('a body over the size limit was not refused with 413', res);
        return;
      }
      if (acceptable && exceedsJsonDepth(JSON.parse(body))) {
        // The signature holds; the body is then refused for its nesting alone.
        if (res.statusCode !== 400 || !String(answer.type).endsWith(':json-too-deep'))
          fail('a signed body nested too deep was not refused as json-too-deep', res);
      } else {
        checkSignatureVerdict(res, m.kind, acceptable, intact);
      }
      if (m.kind === 'replay' && inWindow) {
        const again = await env.axon({
          method: 'POST',
          url: req.url,
          headers: req.headers,
          payload: req.payload,
        });
        note(`${again.statusCode} replayed`);
        assertSane(again);
        if (again.statusCode !== 403) fail('a replayed request was not refused', again);
      }
    });
  },
};

const corrupted = fc
  .tuple(
    policyDocument(6),
    fc.nat(),
    fc.constantFrom('id', 'effect', 'principals', 'actions', 'resources', 'conditions', 'extra'),
    fc.jsonValue({ maxDepth: 3 }),
  )
  .map(([doc, i, field, junk]) => {
    const statements = doc.statements.map((s) => ({ ...s }) as Record<string, unknown>);
    const target = statements[i % Math.max(1, statements.length)];
    if (target) target[field] = junk;
    return { ...doc, statements };
  });
const policyInput = fc.oneof(
  { weight: 3, arbitrary: policyDocument(8) as fc.Arbitrary<unknown> },
  { weight: 3, arbitrary: corrupted as fc.Arbitrary<unknown> },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
  {
    weight: 1,
    arbitrary: deepJsonText.map(
      (deep) =>
        JSON.parse(
          `{"version":1,"statements":[{"id":"s","effect":"allow","principals":["orbit"],"actions":["reason:*"],"conditions":${deep}}]}`,
        ) as unknown,
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      version: fc.jsonValue(),
      statements: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }),
    }) as fc.Arbitrary<unknown>,
  },
);

/** The parsed document, or undefined when the engine refuses it; any other exception escapes. */
function parseOrUndefined(doc: unknown): ReturnType<typeof parsePolicy> | undefined {
  try {
    return parsePolicy(doc);
  } catch (error) {
    if (!(error instanceof PolicyValidationError)) throw error;
    return undefined;
  }
}

/** Why the admin API's validation refuses the document (undefined: it accepts it); any other exception escapes. */
function adminRefusal(doc: unknown): AdminError | undefined {
  try {
    validateCandidate(doc, undefined);
    return undefined;
  } catch (error) {
    if (!(error instanceof AdminError)) throw error;
    return error;
  }
}

/**
 * What the engine and the admin validation say of a document: a refusal by both when it is invalid
 * (the admin's naming the nesting limit when it nests too deep), and the admin may refuse a valid one
 * for checks of its own (size, known service names). Returns the note for the tally.
 */
function checkRefusals(
  doc: unknown,
  parsed: ReturnType<typeof parsePolicy> | undefined,
  refusal: AdminError | undefined,
): string {
  if (exceedsJsonDepth(doc)) {
    const errors = refusal?.details.errors;
    const named =
      Array.isArray(errors) &&
      errors.some((e) => String(e).includes(`more than ${MAX_JSON_DEPTH} levels deep`));
    if (parsed || !named) fail('a document nested too deep was not refused for its depth');
    return 'too deep';
  }
  if (!parsed) {
    if (refusal === undefined) fail('the admin API accepted a document the engine refuses');
    return 'invalid';
  }
  return refusal === undefined ? 'valid' : 'valid, refused by admin checks';
}

/**
 * Policy documents through the engine (parse → compile → decide) and the admin validation the API
 * runs before any write: invalid input is refused with its own error type, valid input compiles and
 * answers every request; nothing else is ever thrown.
 */
export const policySurface: Surface = {
  name: 'policy documents',
  run: (_env, runs) =>
    measure(
      'policy documents',
      runs,
      fc.tuple(policyInput, fc.array(decisionRequest, { maxLength: 5 })),
      async ([doc, requests], note) => {
        const parsed = parseOrUndefined(doc);
        note(checkRefusals(doc, parsed, adminRefusal(doc)));
        if (!parsed) return;
        const compiled = compilePolicy(parsed, 1);
        for (const request of requests as DecisionRequest[]) {
          const decision = compiled.decide(request);
          if (typeof decision.allowed !== 'boolean' || typeof decision.reason !== 'string')
            fail(`decision without an answer: ${JSON.stringify(decision)}`);
        }
      },
    ),
};

const governanceEvent = fc.oneof(
  fc.record(
    {
      service: fc.oneof(fc.constantFrom('orbit', 'axon', 'ghost'), fc.string(), wrongType),
      caller: fc.oneof(
        fc.constantFrom<unknown>(
          { clientId: 'demo-app', tenant: 'acme' },
          { clientId: 'batch-reports' },
          { clientId: 'suspended-app' },
          { clientId: 'stranger' },
          { clientId: 'demo-app', extra: 1 },
          { clientId: '*' },
        ),
        fc.record({ clientId: fc.oneof(fc.string(), wrongType) }),
        wrongType,
      ),
      intent: fc.oneof(intent, wrongType),
      context: fc.oneof(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 70 }),
        deepJsonText.map((deep) => ({ deep: JSON.parse(deep) as unknown })),
        wrongType,
      ),
      correlationId: fc.oneof(fc.string({ maxLength: 140 }), wrongType),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Events straight into the decision Lambda: always an answer, allowed only for a valid allowed request. */
export const governanceEventSurface: Surface = {
  name: 'governance events',
  run: (env, runs) =>
    measure('governance events', runs, governanceEvent, async (event, note) => {
      const result = (await env.decide(event, { awsRequestId: 'fuzz', functionName: 'governance' })) as {
        allowed?: unknown;
        reason?: unknown;
        decisionId?: unknown;
      };
      if (
        typeof result?.allowed !== 'boolean' ||
        typeof result.reason !== 'string' ||
        typeof result.decisionId !== 'string'
      )
        fail(`not a decision: ${JSON.stringify(result)}`);
      note(result.allowed ? 'allowed' : 'denied');
      const e = (isPlainObject(event) ? event : {}) as {
        service?: unknown;
        caller?: unknown;
        intent?: unknown;
      };
      const shouldAllow =
        isPlainObject(event) &&
        e.service === 'orbit' &&
        defaultPolicyAdmitsCaller(e.caller) &&
        typeof e.intent === 'string' &&
        ALLOWED_INTENT.test(e.intent) &&
        e.intent.length <= 256 &&
        !exceedsJsonDepth(event);
      if (result.allowed && !shouldAllow) fail(`allowed ${String(JSON.stringify(e.intent)).slice(0, 300)}`);
      if (exceedsJsonDepth(event) && !result.reason.includes(`more than ${MAX_JSON_DEPTH} levels deep`))
        fail(`an event nested too deep was not refused for it: ${result.reason}`);
    }),
};

/** The admin API's operations, and names an object lookup could mistake for one. */
const OPERATIONS = [
  'toString',
  'constructor',
  'hasOwnProperty',
  'whoami',
  'validate',
  'dry-run',
  'get',
  'list',
  'diff',
  'put',
  'rollback',
  'get-roles',
  'put-roles',
];
const revisionLike = fc.oneof(
  fc.integer({ min: -2, max: 6 }),
  fc.double(),
  fc.string({ maxLength: 5 }),
  fc.constant(null),
);
const adminBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record(
        {
          operation: fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(...OPERATIONS) },
            { weight: 1, arbitrary: fc.oneof(fc.string(), wrongType) },
          ),
          policySet: fc.oneof(
            fc.constantFrom('default', 'fuzz', 'Bad Name', '../x'),
            fc.string({ maxLength: 80 }),
          ),
          revision: revisionLike,
          limit: revisionLike,
          before: revisionLike,
          from: revisionLike,
          to: revisionLike,
          toRevision: revisionLike,
          expectedRevision: revisionLike,
          reason: fc.oneof(fc.string({ maxLength: 60 }), wrongType),
          document: fc.oneof(
            policyDocument(4) as fc.Arbitrary<unknown>,
            corrupted as fc.Arbitrary<unknown>,
            fc.jsonValue({ maxDepth: 3 }),
          ),
          tests: fc.jsonValue({ maxDepth: 3 }),
          roles: fc.oneof(
            fc.constant({
              admins: [ADMIN_ARN],
              editors: [EDITOR_ARN],
              viewers: [VIEWER_ARN],
            }) as fc.Arbitrary<unknown>,
            fc.jsonValue({ maxDepth: 3 }),
          ),
          requests: fc.oneof(
            fc.array(fc.record({ service: fc.constantFrom('orbit', 'x'), intent }), { maxLength: 3 }),
            wrongType,
          ),
        },
        { requiredKeys: ['operation'] },
      )
      .map((v) => JSON.stringify(v)),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('validate', 'dry-run', 'put'), deepJsonText)
      .map(([operation, deep]) => `{"operation":"${operation}","reason":"deep","document":${deep}}`),
  },
);
const adminEvent = fc.record({
  caller: fc.option(
    fc.oneof(
      fc.constantFrom(
        ADMIN_ARN,
        EDITOR_ARN,
        VIEWER_ARN,
        'arn:aws:iam::999999999999:role/stranger',
        'arn:aws:sts::123456789012:assumed-role/policy-admin/session-1',
      ),
      fc.string({ maxLength: 80 }),
    ),
  ),
  method: fc.constantFrom('POST', 'POST', 'POST', 'POST', 'GET', 'PUT'),
  rawPath: fc.constantFrom('/', '/', '/', '/x'),
  body: adminBody,
  base64: fc.boolean(),
});

/**
 * The admin API (function URL handler over the real service and dynalite) with arbitrary callers,
 * methods and operations: every answer is a success or a caller problem (4xx problem+json); none is
 * the 500 that the admin-errors alarm watches.
 */
export const adminSurface: Surface = {
  name: 'admin operations',
  run: (env, runs) =>
    measure('admin operations', runs, adminEvent, async (e, note) => {
      const res = await env.admin({
        body: e.base64 ? Buffer.from(e.body, 'utf8').toString('base64') : e.body,
        isBase64Encoded: e.base64,
        rawPath: e.rawPath,
        requestContext: {
          http: { method: e.method },
          requestId: 'fuzz',
          ...(e.caller === null ? {} : { authorizer: { iam: { userArn: e.caller } } }),
        },
      });
      note(String(res.statusCode));
      checkAdminAnswer(res, e.caller !== null);
      // A caller's well-addressed request whose body nests too deep is refused for that, by name.
      if (e.caller && e.method === 'POST' && e.rawPath === '/' && isTooDeepJson(e.body)) {
        const answer = JSON.parse(res.body as string) as { maxDepth?: unknown };
        if (res.statusCode !== 400 || answer.maxDepth !== MAX_JSON_DEPTH)
          fail('the admin API did not refuse a body nested too deep for its depth', res as FuzzResponse);
      }
    }),
};

/** No 5xx, always a JSON body, errors as problems, nothing served to an anonymous caller. */
function checkAdminAnswer(res: { statusCode: number; body?: string }, authenticated: boolean): void {
  const text = res.body;
  if (typeof text !== 'string') fail(`admin answered ${res.statusCode} without a body`);
  if (res.statusCode >= 500) fail(`admin answered ${res.statusCode}: ${text.slice(0, 500)}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    fail(`admin body is not JSON: ${text.slice(0, 200)}`);
  }
  if (res.statusCode >= 400 && typeof (body as { type?: unknown })?.type !== 'string')
    fail(`admin error without a problem type: ${text.slice(0, 300)}`);
  if (res.statusCode === 200 && !authenticated) fail('an anonymous caller was served');
}

type TokenCase =
  | 'valid'
  | 'missing'
  | 'garbage'
  | 'oversized'
  | 'expired'
  | 'alg-none'
  | 'hs256-public-key'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'future-nbf'
  | 'unknown-kid'
  | 'suspended-caller'
  | 'unlisted-caller';

/** An `Authorization` value for each case, from the fuzz environment's issuer. */
async function tokenFor(env: FuzzEnvironment, kind: TokenCase, junk: string): Promise<string | undefined> {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const claims = {
    iss: env.issuer.url,
    aud: env.issuer.audience,
    client_id: 'demo-app',
    token_use: 'access',
  };
  switch (kind) {
    case 'valid':
      return env.authorization;
    case 'missing':
      return undefined;
    case 'garbage':
      return junk;
    case 'oversized':
      return `Bearer ${'A'.repeat(5_000)}.${'B'.repeat(100)}.C`;
    case 'expired':
      return `Bearer ${await env.issuer.token('demo-app', { exp: now - 3_600 })}`;
    case 'alg-none':
      return `Bearer ${b64({ alg: 'none' })}.${b64({ ...claims, exp: now + 600 })}.`;
    case 'hs256-public-key': {
      const header = b64({ alg: 'HS256', kid: env.issuer.publicJwk.kid });
      const payload = b64({ ...claims, exp: now + 600 });
      const mac = createHmac('sha256', JSON.stringify(env.issuer.publicJwk))
        .update(`${header}.${payload}`)
        .digest('base64url');
      return `Bearer ${header}.${payload}.${mac}`;
    }
    case 'wrong-issuer':
      return `Bearer ${await env.issuer.token('demo-app', { iss: 'https://evil.example' })}`;
    case 'wrong-audience':
      return `Bearer ${await env.issuer.token('demo-app', { aud: 'not-orbit' })}`;
    case 'future-nbf':
      return `Bearer ${await env.issuer.token('demo-app', { nbf: now + 3_600 })}`;
    case 'unknown-kid': {
      const [, payload, signature] = (await env.issuer.token('demo-app')).split('.');
      return `Bearer ${b64({ alg: 'RS256', kid: `fuzz-${junk.length}` })}.${payload}.${signature}`;
    }
    case 'suspended-caller':
      return `Bearer ${await env.issuer.token('suspended-app')}`;
    case 'unlisted-caller':
      // Signed by the issuer, but for a client id CALLER_NAMES does not map: nobody's caller.
      return `Bearer ${await env.issuer.token('demo-app', { client_id: 'unlisted-app', sub: 'unlisted-app' })}`;
  }
}

const tokenCase = fc.constantFrom<TokenCase>(
  'valid',
  'missing',
  'garbage',
  'oversized',
  'expired',
  'alg-none',
  'hs256-public-key',
  'wrong-issuer',
  'wrong-audience',
  'future-nbf',
  'unknown-kid',
  'suspended-caller',
  'unlisted-caller',
);

/**
 * Access tokens on `POST /dispatch`: a valid token of an allowed caller dispatches (200); a caller
 * the policy denies by name gets 403 naming the statement; every bad token (missing, malformed,
 * oversized, expired, `alg: none`, HS256 with the public key, wrong issuer or audience, future
 * `nbf`, unknown `kid`, a client id no caller is configured with) gets 401 problem+json with a
 * Bearer challenge; never a 5xx.
 */
export const tokenSurface: Surface = {
  name: 'access tokens',
  run: (env, runs) =>
    measure(
      'access tokens',
      runs,
      fc.tuple(
        tokenCase,
        fc.oneof(
          HEADER_VALUE,
          HEADER_VALUE.map((v) => `Bearer ${v}`),
        ),
      ),
      async ([kind, junk], note) => {
        const authorization = await tokenFor(env, kind, junk);
        const res = await env.orbit({
          method: 'POST',
          url: '/dispatch',
          headers: {
            'content-type': 'application/json',
            ...(authorization === undefined ? {} : { authorization }),
          },
          payload: '{"intent":"reason:tokens"}',
        });
        note(`${res.statusCode} ${kind}`);
        const body = assertSane(res);
        if (kind === 'valid') {
          if (res.statusCode !== 200) fail('a valid token was refused', res);
        } else if (kind === 'suspended-caller') {
          if (res.statusCode !== 403 || body.statementId !== 'suspended-callers')
            fail('a denied caller was not refused by its statement', res);
        } else if (kind === 'unlisted-caller') {
          if (res.statusCode !== 401 || body.reason !== 'unknown-client')
            fail('a client id no caller is configured with was not refused with 401', res);
        } else {
          if (res.statusCode !== 401) fail(`a ${kind} token was not refused with 401`, res);
          const challenge = String(res.headers['www-authenticate'] ?? '');
          if (!/^Bearer realm="orbit", error="(invalid_token|invalid_request)"/.test(challenge))
            fail('no Bearer challenge', res);
        }
      },
    ),
};

/** In the order they run: the admin surface last, since it may write revisions and role mappings. */
export const SURFACES: readonly Surface[] = [
  policySurface,
  governanceEventSurface,
  signaturesSurface,
  decisionTokenSurface,
  headersSurface,
  dispatchSurface,
  tokenSurface,
  adminSurface,
];
