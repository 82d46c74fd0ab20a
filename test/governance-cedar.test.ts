import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  type CompiledPolicy,
  compilePolicy,
  type DecisionRequest,
  parsePolicy,
} from '../lambdas/governance/engine/index.js';
import { cedarDecide, cedarString, preparse, statementToCedar } from './support/cedar.js';
import { policyDocument, requestFor } from './support/policy-arbitraries.js';

const POLICY_SETS = 500;
const REQUESTS_PER_SET = 20;

type Outcome = 'allowed' | 'explicitDeny' | 'defaultDeny';

/** Asserts Cedar reaches our decision for the same reasons (the same determining statements). */
function compareWithCedar(policy: CompiledPolicy, policySetId: string, request: DecisionRequest): Outcome {
  const ours = policy.explain(request);
  const theirs = cedarDecide(policySetId, request);
  const decidingEffect = ours.allowed ? 'allow' : 'deny';
  const determining = ours.statements
    .filter((s) => s.matched && s.effect === decidingEffect)
    .map((s) => s.id)
    .sort();
  expect({ request, allowed: ours.allowed, determining }).toEqual({
    request,
    allowed: theirs.allowed,
    determining: [...theirs.reasons].sort(),
  });
  expect(policy.decide(request).allowed).toBe(theirs.allowed);
  if (ours.allowed) return 'allowed';
  return ours.statementId ? 'explicitDeny' : 'defaultDeny';
}

describe('differential test against Cedar (cedar-wasm)', () => {
  it('translates a statement into the Cedar policy we expect', () => {
    expect(
      statementToCedar({
        id: 's',
        effect: 'deny',
        principals: ['orbit', 'axon'],
        actions: ['reason:*', 'admin'],
        resources: ['table:*'],
        conditions: {
          environments: ['prod'],
          timeWindow: { start: '22:00', end: '06:00', days: ['sat'] },
          context: [{ attribute: 'tier', prefix: 'g*"' }],
        },
      }),
    ).toBe(
      'forbid (principal, action, resource) when { [Service::"orbit", Service::"axon"].contains(principal) && ' +
        '((context.intentSegments == 2 && context.intent like "reason:*") || context.intent == "admin") && ' +
        'context has resource && ((context.resourceSegments == 2 && context.resource like "table:*")) && ' +
        '["prod"].contains(context.environment) && (context.minute >= 1320 || context.minute < 360) && ' +
        '["sat"].contains(context.day) && (context.attrs has "tier" && context.attrs["tier"] like "g\\*\\"*") };',
    );
    expect(
      statementToCedar({
        id: 'c',
        effect: 'allow',
        principals: ['*'],
        callers: ['billing'],
        tenants: ['*'],
        actions: ['reason:deep'],
      }),
    ).toBe(
      'permit (principal, action, resource) when { context has caller && ["billing"].contains(context.caller) && ' +
        'context has tenant && (context.intent == "reason:deep") };',
    );
    expect(cedarString('a"b\\c\n')).toBe('"a\\"b\\\\c\\u{a}"');
  });

  it(`agrees with Cedar on ${POLICY_SETS * REQUESTS_PER_SET} random requests over ${POLICY_SETS} random policy sets`, () => {
    const outcomes: Record<Outcome, number> = { allowed: 0, explicitDeny: 0, defaultDeny: 0 };
    let compared = 0;
    let run = 0;
    fc.assert(
      fc.property(
        policyDocument(12).chain((d) =>
          fc.tuple(
            fc.constant(d),
            fc.array(requestFor(d), { minLength: REQUESTS_PER_SET, maxLength: REQUESTS_PER_SET }),
          ),
        ),
        ([document, requests]) => {
          const policy = compilePolicy(parsePolicy(document), 1);
          const id = `set-${run++}`;
          preparse(id, document);
          for (const request of requests) {
            outcomes[compareWithCedar(policy, id, request)]++;
            compared++;
          }
        },
      ),
      { numRuns: POLICY_SETS },
    );
    expect(compared).toBeGreaterThanOrEqual(10_000);
    // The generators must exercise every outcome, or agreement would prove little.
    for (const count of Object.values(outcomes)) expect(count).toBeGreaterThan(compared * 0.05);
  });
});
