import { describe, expect, it } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import schema from '../governance/policies/schema.json' with { type: 'json' };
import { decisionRequestSchema, parseDecisionResult } from './decision.js';
import {
  INTENT_GLOB_PATTERN,
  INTENT_PATTERN,
  intentSchema,
  isIntent,
  SERVICE_NAME_PATTERN,
} from './intent.js';

const ajv = new Ajv2020({ strict: true });
const intentChars = fc.constantFrom(...'abcxyz019:._-*AZ /'.split(''));
const intentLike = fc.oneof(
  fc.string({ unit: intentChars, maxLength: 40 }),
  fc.string({ unit: intentChars, minLength: 250, maxLength: 260 }),
);

describe('intent grammar', () => {
  it('Orbit’s route schema accepts exactly the intents the engine accepts', () => {
    const routeAccepts = ajv.compile(intentSchema);
    fc.assert(fc.property(intentLike, (intent) => routeAccepts(intent) === isIntent(intent)));
  });

  it('the policy schema names services, actions and resources with the same grammar', () => {
    const defs = JSON.stringify(schema);
    expect(defs).toContain(JSON.stringify(SERVICE_NAME_PATTERN.source));
    expect(defs).toContain(JSON.stringify(INTENT_GLOB_PATTERN.source));
  });

  it('a glob without `*` is an intent', () => {
    fc.assert(
      fc.property(intentLike, (text) => {
        if (text.includes('*') || !INTENT_GLOB_PATTERN.test(text)) return true;
        return INTENT_PATTERN.test(text);
      }),
    );
  });
});

describe('decision contract', () => {
  const result = fc.record(
    {
      allowed: fc.boolean(),
      reason: fc.string(),
      statementId: fc.string({ minLength: 1 }),
      policyRevision: fc.option(fc.nat(), { nil: null }),
      decisionId: fc.uuid(),
    },
    { requiredKeys: ['allowed', 'reason', 'policyRevision', 'decisionId'] },
  );

  it('reads back every result the decision function can return', () => {
    fc.assert(
      fc.property(result, (r) => expect(parseDecisionResult(JSON.parse(JSON.stringify(r)))).toEqual(r)),
    );
  });

  it.each([
    ['not an object', 'allowed'],
    ['allowed is not a boolean', { allowed: 'yes', reason: 'r', policyRevision: 1, decisionId: 'd' }],
    ['no decision id', { allowed: true, reason: 'r', policyRevision: 1 }],
    ['a fractional revision', { allowed: true, reason: 'r', policyRevision: 1.5, decisionId: 'd' }],
  ])('refuses a payload with %s', (_case, payload) => {
    expect(parseDecisionResult(payload)).toBeUndefined();
  });

  it('the request schema compiles and refuses a correlation id that is not one printable token', () => {
    const validate = ajv.compile(decisionRequestSchema);
    expect(validate({ service: 'orbit', intent: 'reason:deep', correlationId: 'corr-1' })).toBe(true);
    expect(validate({ service: 'orbit', intent: 'reason:deep', correlationId: 'a b' })).toBe(false);
  });
});
