import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CALLER_NAME_PATTERN } from '../../../contracts/caller.js';
import { decisionRequest, policyDocument, requestFor } from '../../../test/support/policy-arbitraries.js';
import {
  closest,
  compilePolicy,
  type DecisionRequest,
  type PolicyDocument,
  type PolicyTestSuite,
  PolicyValidationError,
  parsePolicy,
  requestProblem,
  runPolicyTests,
  type Statement,
  utcClock,
  validatePolicy,
} from './index.js';

const POLICIES = new URL('../../../governance/policies/', import.meta.url);
const MONDAY_NOON = Date.UTC(2026, 0, 5, 12, 0);

function doc(...statements: Statement[]): PolicyDocument {
  return parsePolicy({ version: 1, statements });
}

function request(overrides: Partial<DecisionRequest> = {}): DecisionRequest {
  return { principal: 'orbit', action: 'reason:deep', environment: 'prod', time: MONDAY_NOON, ...overrides };
}

const allowOrbit: Statement = {
  id: 'orbit-reason',
  effect: 'allow',
  principals: ['orbit'],
  actions: ['reason:*'],
};

describe('policy validation', () => {
  it('accepts the shipped default policy', () => {
    const result = validatePolicy(JSON.parse(readFileSync(new URL('default.json', POLICIES), 'utf8')));
    expect(result.valid).toBe(true);
  });

  it('names the field and the allowed values of a bad effect', () => {
    const result = validatePolicy({ version: 1, statements: [{ ...allowOrbit, effect: 'permit' }] });
    expect(result).toEqual({ valid: false, errors: ['/statements/0/effect must be one of: allow, deny'] });
  });

  it('rejects a wildcard inside a segment', () => {
    const result = validatePolicy({ version: 1, statements: [{ ...allowOrbit, actions: ['reason:de*'] }] });
    expect(result.valid).toBe(false);
    if (!result.valid) expect(result.errors.join()).toContain('/statements/0/actions/0');
  });

  it('rejects repeated statement ids and empty time windows', () => {
    const result = validatePolicy({
      version: 1,
      statements: [
        allowOrbit,
        { ...allowOrbit, conditions: { timeWindow: { start: '08:00', end: '08:00' } } },
      ],
    });
    expect(result).toEqual({
      valid: false,
      errors: [
        '/statements/1/id "orbit-reason" repeats the id of /statements/0',
        '/statements/1/conditions/timeWindow start and end are both 08:00',
      ],
    });
  });

  it('rejects unknown properties and a missing version', () => {
    const result = validatePolicy({ statements: [{ ...allowOrbit, priority: 1 }] });
    expect(result.valid).toBe(false);
    if (!result.valid) {
      expect(result.errors).toContain("(document) must have required property 'version'");
      expect(result.errors).toContain('/statements/0: unknown field "priority"');
    }
  });

  it('parsePolicy throws a PolicyValidationError listing every problem, also for non-JSON text', () => {
    expect(() => parsePolicy('{"version":')).toThrow(PolicyValidationError);
    expect(() => parsePolicy('{"version":')).toThrow(/is not JSON/);
    expect(() => parsePolicy(JSON.stringify({ version: 2, statements: [] }))).toThrow(
      '/version must be equal to constant',
    );
  });
});

describe('decisions', () => {
  it('denies by default and says what was asked', () => {
    const d = compilePolicy(doc(allowOrbit), 3).decide(request({ action: 'admin:put', resource: 'axon' }));
    expect(d).toEqual({
      allowed: false,
      reason: 'no statement allows orbit:admin:put on axon',
      policyRevision: 3,
    });
  });

  it('allows through a matching statement and names it', () => {
    const d = compilePolicy(doc(allowOrbit), 3).decide(request());
    expect(d).toEqual({
      allowed: true,
      reason: 'allowed by statement orbit-reason',
      statementId: 'orbit-reason',
      policyRevision: 3,
    });
  });

  it('lets an explicit deny win over an earlier allow', () => {
    const deny: Statement = { id: 'no-deep', effect: 'deny', principals: ['*'], actions: ['reason:deep'] };
    const policy = compilePolicy(doc(allowOrbit, deny), 1);
    expect(policy.decide(request())).toMatchObject({ allowed: false, reason: 'denied by statement no-deep' });
    expect(policy.decide(request({ action: 'reason:fast' }))).toMatchObject({ allowed: true });
  });

  it('reports the first matching statement of the deciding effect', () => {
    const policy = compilePolicy(
      doc({ ...allowOrbit, id: 'first' }, { ...allowOrbit, id: 'second', actions: ['reason:deep'] }),
      1,
    );
    expect(policy.decide(request()).statementId).toBe('first');
  });

  it('matches one segment per wildcard', () => {
    const policy = compilePolicy(doc({ ...allowOrbit, actions: ['reason:*', '*:x:*'] }), 1);
    const allowed = (action: string) => policy.decide(request({ action })).allowed;
    expect(allowed('reason:deep')).toBe(true);
    expect(allowed('reason')).toBe(false);
    expect(allowed('reason:deep:x')).toBe(false);
    expect(allowed('a:x:b')).toBe(true);
    expect(allowed('a:y:b')).toBe(false);
  });

  it('applies a * principal to every service', () => {
    const policy = compilePolicy(doc({ ...allowOrbit, principals: ['*'] }), 1);
    expect(policy.decide(request({ principal: 'axon' })).allowed).toBe(true);
  });

  it('requires a matching resource when a statement lists resources', () => {
    const policy = compilePolicy(doc({ ...allowOrbit, resources: ['axon', 'table:*'] }), 1);
    expect(policy.decide(request()).allowed).toBe(false);
    expect(policy.decide(request({ resource: 'axon' })).allowed).toBe(true);
    expect(policy.decide(request({ resource: 'table:a' })).allowed).toBe(true);
    expect(policy.decide(request({ resource: 'orbit' })).allowed).toBe(false);
  });

  it('evaluates environment, time window and context conditions', () => {
    const policy = compilePolicy(
      doc({
        ...allowOrbit,
        conditions: {
          environments: ['prod'],
          timeWindow: { start: '22:00', end: '06:00', days: ['mon', 'tue'] },
          context: [
            { attribute: 'tenant', in: ['acme', 'globex'] },
            { attribute: 'tier', prefix: 'gold' },
            { attribute: 'count', equals: 2 },
          ],
        },
      }),
      1,
    );
    const attributes = { tenant: 'acme', tier: 'gold-plus', count: 2 };
    const at = (h: number, m = 0, day = 5) => Date.UTC(2026, 0, day, h, m);
    const allowed = (o: Partial<DecisionRequest>) =>
      policy.decide(request({ attributes, time: at(23), ...o })).allowed;
    expect(allowed({})).toBe(true);
    expect(allowed({ time: at(5, 59) })).toBe(true);
    expect(allowed({ time: at(6) })).toBe(false);
    expect(allowed({ time: at(12) })).toBe(false);
    expect(allowed({ time: at(23, 0, 7) })).toBe(false); // Wednesday
    expect(allowed({ environment: 'dev' })).toBe(false);
    expect(allowed({ attributes: { ...attributes, tenant: 'initech' } })).toBe(false);
    expect(allowed({ attributes: { ...attributes, tier: 'silver' } })).toBe(false);
    expect(allowed({ attributes: { ...attributes, tier: 7 } })).toBe(false);
    expect(allowed({ attributes: { ...attributes, count: '2' } })).toBe(false);
    expect(allowed({ attributes: { tenant: 'acme', tier: 'gold' } })).toBe(false);
  });

  it('reads UTC minute and weekday from epoch milliseconds', () => {
    expect(utcClock(Date.UTC(2026, 0, 5, 13, 7))).toEqual({ minute: 13 * 60 + 7, weekday: 'mon' });
    expect(utcClock(Date.UTC(1969, 11, 31, 23, 59))).toEqual({ minute: 1439, weekday: 'wed' });
  });
});

describe('caller and tenant principals', () => {
  const forCallers: Statement = { ...allowOrbit, id: 'callers', callers: ['billing', 'reports'] };
  const acmeOnly: Statement = { ...allowOrbit, id: 'acme', callers: ['*'], tenants: ['acme'] };
  const noGlobex: Statement = { ...allowOrbit, id: 'no-globex', effect: 'deny', tenants: ['globex'] };

  it('allows only the listed callers, and nothing without a verified caller', () => {
    const policy = compilePolicy(doc(forCallers), 2);
    expect(policy.decide(request({ caller: 'billing' }))).toMatchObject({
      allowed: true,
      statementId: 'callers',
    });
    expect(policy.decide(request({ caller: 'reports', tenant: 'acme' })).allowed).toBe(true);
    expect(policy.decide(request({ caller: 'intruder' }))).toEqual({
      allowed: false,
      reason: 'no statement allows orbit:reason:deep for caller intruder',
      policyRevision: 2,
    });
    expect(policy.decide(request()).allowed).toBe(false);
    expect(policy.decide(request({ principal: 'axon', caller: 'billing' })).allowed).toBe(false);
  });

  it('matches `*` callers and listed tenants only when the request has them', () => {
    const policy = compilePolicy(doc(acmeOnly), 1);
    expect(policy.decide(request({ caller: 'anyone', tenant: 'acme' })).allowed).toBe(true);
    expect(policy.decide(request({ caller: 'anyone', tenant: 'globex' })).reason).toBe(
      'no statement allows orbit:reason:deep for caller anyone (tenant globex)',
    );
    expect(policy.decide(request({ caller: 'anyone' })).allowed).toBe(false);
    expect(policy.decide(request({ tenant: 'acme' })).allowed).toBe(false);
  });

  it('lets a tenant deny win over a caller allow', () => {
    const policy = compilePolicy(doc(forCallers, noGlobex), 1);
    expect(policy.decide(request({ caller: 'billing', tenant: 'globex' }))).toMatchObject({
      allowed: false,
      statementId: 'no-globex',
    });
    expect(policy.decide(request({ caller: 'billing', tenant: 'acme' })).allowed).toBe(true);
  });

  it('explains which principal failed', () => {
    const policy = compilePolicy(doc(forCallers, acmeOnly, noGlobex), 1);
    const reasons = (r: Partial<DecisionRequest>) =>
      policy.explain(request(r)).statements.map((s) => s.reason);
    expect(reasons({})).toEqual([
      'request names no caller; statement requires billing, reports',
      'request names no caller; statement requires *',
      'request names no tenant; statement requires globex',
    ]);
    expect(reasons({ caller: 'x', tenant: 'initech' })).toEqual([
      'caller x is not one of billing, reports',
      'tenant initech is not one of acme',
      'tenant initech is not one of globex',
    ]);
  });

  it('checks caller and tenant names in requests, with the pattern the schema uses', () => {
    expect(
      requestProblem({ principal: 'orbit', action: 'reason', caller: 'client@x', tenant: 'acme' }),
    ).toBeUndefined();
    expect(requestProblem({ principal: 'orbit', action: 'reason', caller: '*' })).toMatch(/^caller must be/);
    expect(requestProblem({ principal: 'orbit', action: 'reason', tenant: 7 })).toMatch(/^tenant must be/);
    const schema = JSON.parse(readFileSync(new URL('schema.json', POLICIES), 'utf8'));
    expect(schema.$defs.callerName.pattern).toBe(CALLER_NAME_PATTERN.source);
  });
});

describe('explain mode', () => {
  it('says for every statement why it matched or which clause failed', () => {
    const policy = compilePolicy(
      doc(
        allowOrbit,
        { id: 'axon-only', effect: 'allow', principals: ['axon'], actions: ['reason:*'] },
        { id: 'admin', effect: 'deny', principals: ['orbit'], actions: ['admin:*'] },
        { ...allowOrbit, id: 'needs-resource', resources: ['axon'] },
        { ...allowOrbit, id: 'wrong-resource', resources: ['table:*'] },
        { ...allowOrbit, id: 'dev-only', conditions: { environments: ['dev'] } },
        { ...allowOrbit, id: 'nights', conditions: { timeWindow: { start: '22:00', end: '06:00' } } },
        { ...allowOrbit, id: 'tenant', conditions: { context: [{ attribute: 'tenant', equals: 'acme' }] } },
        { ...allowOrbit, id: 'tier', conditions: { context: [{ attribute: 'tier', in: ['gold'] }] } },
      ),
      4,
    );
    const explanation = policy.explain(request({ attributes: { tier: 'silver' } }));
    expect(explanation).toMatchObject({ allowed: true, statementId: 'orbit-reason', policyRevision: 4 });
    expect(explanation.statements.map((s) => [s.id, s.matched, s.reason])).toEqual([
      ['orbit-reason', true, 'matched'],
      ['axon-only', false, 'principal orbit is not one of axon'],
      ['admin', false, 'action reason:deep matches none of admin:*'],
      ['needs-resource', false, 'request names no resource; statement requires axon'],
      ['wrong-resource', false, 'request names no resource; statement requires table:*'],
      ['dev-only', false, 'environment prod is not one of dev'],
      ['nights', false, 'time mon 12:00 UTC is outside 22:00-06:00'],
      ['tenant', false, 'context.tenant is missing'],
      ['tier', false, 'context.tier = "silver" is not one of "gold"'],
    ]);
    expect(policy.explain(request({ resource: 'axon' })).statements[4]?.reason).toBe(
      'resource axon matches none of table:*',
    );
  });

  it('always reaches the same decision as the indexed evaluation', () => {
    fc.assert(
      fc.property(
        policyDocument().chain((d) =>
          fc.tuple(fc.constant(d), fc.array(requestFor(d), { minLength: 1, maxLength: 20 })),
        ),
        ([d, requests]) => {
          const policy = compilePolicy(parsePolicy(d), 7);
          for (const r of requests) {
            const { statements, ...decision } = policy.explain(r);
            expect(decision).toEqual(policy.decide(r));
            expect(statements).toHaveLength(d.statements.length);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('decision properties', () => {
  it('never allows when the allowing statements are removed', () => {
    fc.assert(
      fc.property(policyDocument(), decisionRequest, (d, r) => {
        const denyOnly = { ...d, statements: d.statements.filter((s) => s.effect === 'deny') };
        expect(compilePolicy(denyOnly, 1).decide(r).allowed).toBe(false);
      }),
    );
  });

  it('adding a matching deny statement always turns the decision to deny', () => {
    fc.assert(
      fc.property(policyDocument(), decisionRequest, (d, r) => {
        const blanket: Statement = {
          id: 'blanket',
          effect: 'deny',
          principals: [r.principal],
          actions: [r.action],
        };
        const decision = compilePolicy({ ...d, statements: [...d.statements, blanket] }, 1).decide(r);
        expect(decision.allowed).toBe(false);
        expect(decision.reason).toMatch(/^denied by statement /);
      }),
    );
  });

  it('evaluates as it decides, and alike at any time when no statement that may apply has a time window', () => {
    let timed = 0;
    let untimed = 0;
    const aimed = policyDocument().chain((d) =>
      fc.tuple(
        fc.constant(d),
        fc.oneof(requestFor(d), decisionRequest),
        fc.integer({ min: 0, max: 14 * 86_400_000 }),
      ),
    );
    fc.assert(
      fc.property(aimed, ([d, r, shift]) => {
        const policy = compilePolicy(d, 1);
        const evaluation = policy.evaluate(r);
        expect(evaluation.decision).toEqual(policy.decide(r));
        if (evaluation.dependsOnTime) timed++;
        else {
          untimed++;
          expect(policy.decide({ ...r, time: r.time + shift })).toEqual(policy.decide(r));
        }
      }),
      { numRuns: 500 },
    );
    expect(Math.min(timed, untimed)).toBeGreaterThan(25);
    const nightly = compilePolicy(
      parsePolicy({
        version: 1,
        statements: [
          { id: 'all', effect: 'allow', principals: ['*'], actions: ['reason:*'] },
          {
            id: 'nights',
            effect: 'deny',
            principals: ['orbit'],
            actions: ['reason:*'],
            conditions: { timeWindow: { start: '22:00', end: '06:00' } },
          },
        ],
      }),
      1,
    );
    const ask = { principal: 'orbit', action: 'reason:deep', environment: 'prod', time: 0 } as const;
    expect(nightly.evaluate(ask).dependsOnTime).toBe(true);
    expect(nightly.evaluate({ ...ask, principal: 'billing' }).dependsOnTime).toBe(false);
    expect(nightly.evaluate({ ...ask, action: 'write:deep' }).dependsOnTime).toBe(false);
  });

  it('does not depend on statement order for the allowed bit', () => {
    fc.assert(
      fc.property(policyDocument(), decisionRequest, (d, r) => {
        const reversed = { ...d, statements: [...d.statements].reverse() };
        expect(compilePolicy(reversed, 1).decide(r).allowed).toBe(compilePolicy(d, 1).decide(r).allowed);
      }),
    );
  });
});

describe('request checks', () => {
  it('accepts well-formed names and explains malformed ones', () => {
    expect(requestProblem({ principal: 'orbit', action: 'reason:deep', resource: 'axon' })).toBeUndefined();
    expect(requestProblem({ principal: 'Orbit', action: 'reason' })).toMatch(/^service must be/);
    expect(requestProblem({ principal: 'orbit', action: 'reason::deep' })).toMatch(/^intent must be/);
    expect(requestProblem({ principal: 'orbit', action: 'x'.repeat(257) })).toMatch(/^intent must be/);
    expect(requestProblem({ principal: 'orbit', action: 'reason', resource: 42 })).toMatch(
      /^context.resource/,
    );
  });
});

describe('policy test files', () => {
  const suites = readdirSync(POLICIES).filter((f) => f.endsWith('.test.json'));

  it('ships at least one test file', () => {
    expect(suites.length).toBeGreaterThan(0);
  });

  it.each(suites)('%s passes and exercises every statement', (file) => {
    const suite = JSON.parse(readFileSync(new URL(file, POLICIES), 'utf8')) as PolicyTestSuite;
    const document = parsePolicy(readFileSync(new URL(suite.policy, POLICIES), 'utf8'));
    const report = runPolicyTests(compilePolicy(document, null), suite);
    expect(report.results.filter((r) => !r.passed)).toEqual([]);
    expect(report.uncovered).toEqual([]);
  });

  it('default.json names only callers of the local issuer, and admits each of them or denies it by name', () => {
    const document = parsePolicy(readFileSync(new URL('default.json', POLICIES), 'utf8'));
    const local = JSON.parse(readFileSync(new URL('../../local/callers.json', POLICIES), 'utf8')) as {
      callers: { name: string; tenant?: string }[];
    };
    const names = local.callers.map((c) => c.name);
    const named = document.statements.flatMap((s) => s.callers ?? []);
    expect(named.filter((c) => !names.includes(c))).toEqual([]);
    const policy = compilePolicy(document, 1);
    for (const { name, tenant } of local.callers) {
      const decision = policy.decide(request({ caller: name, ...(tenant ? { tenant } : {}) }));
      // A client of the issuer the policy neither admits nor names would be denied by accident.
      expect(decision.statementId).toBeDefined();
    }
  });

  it('reports failing cases with expected and actual decisions', () => {
    const report = runPolicyTests(compilePolicy(doc(allowOrbit), null), {
      policy: 'inline',
      cases: [
        { name: 'wrong', request: { service: 'orbit', intent: 'reason:deep' }, expect: { allowed: false } },
        {
          name: 'wrong statement',
          request: { service: 'orbit', intent: 'reason:deep' },
          expect: { allowed: true, statementId: 'other' },
        },
        {
          name: 'bad',
          request: { service: 'orbit', intent: 'reason', time: 'noon' },
          expect: { allowed: false },
        },
      ],
    });
    expect(report.results).toEqual([
      {
        name: 'wrong',
        passed: false,
        message: 'expected allowed=false, got allowed=true: allowed by statement orbit-reason',
      },
      {
        name: 'wrong statement',
        passed: false,
        message: 'expected allowed=true by other, got allowed=true: allowed by statement orbit-reason',
      },
      { name: 'bad', passed: false, message: 'invalid request: time "noon" is not an ISO 8601 instant' },
    ]);
  });
});

describe('unknown fields', () => {
  it('are named with the closest known field of the same object', () => {
    const result = validatePolicy({
      version: 1,
      statements: [
        { id: 'a', effect: 'allow', principals: ['orbit'], actions: ['reason:x'] },
        { id: 'b', effect: 'allow', principals: ['orbit'], action: ['reason:x'] },
      ],
    });
    expect(result.valid).toBe(false);
    if (!result.valid) {
      expect(result.errors).toContain('/statements/1: unknown field "action" (did you mean "actions"?)');
    }
  });
});

describe('closest', () => {
  it('suggests a near name and nothing for a far one', () => {
    expect(closest('defualt', ['default', 'ops'])).toBe('default');
    expect(closest('reasn', ['reason', 'revision'])).toBe('reason');
    expect(closest('xyz', ['default', 'ops'])).toBeUndefined();
  });
});
