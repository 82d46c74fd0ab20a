import fc from 'fast-check';
import type {
  AttributeCondition,
  Conditions,
  DecisionRequest,
  Environment,
  PolicyDocument,
  Statement,
  Weekday,
} from '../../lambdas/governance/engine/index.js';

/**
 * Generators of policy documents and requests over a deliberately small vocabulary, so random
 * requests hit random statements often (principal, action, resource, conditions all matching).
 */
const SERVICES = ['orbit', 'axon', 'admin', 'audit'] as const;
const SEGMENTS = ['reason', 'deep', 'fast', 'policy', 'put'] as const;
const RESOURCES = ['axon', 'orbit', 'table:a', 'table:b'] as const;
const ENVS: readonly Environment[] = ['dev', 'staging', 'prod', 'local'];
const DAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const TIMES = ['00:00', '06:00', '08:30', '12:00', '18:00', '23:59'] as const;
const ATTRIBUTES = ['tenant', 'tier', 'count', 'flag'] as const;
const VALUES = ['acme', 'globex', 'gold', 1, 2, true, false] as const;
const PREFIXES = ['ac', 'gl', 'g', 'acme*x'] as const;

const segment = fc.constantFrom(...SEGMENTS);
const name = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join(':'));
const glob = fc
  .array(fc.oneof({ weight: 3, arbitrary: segment }, { weight: 1, arbitrary: fc.constant('*') }), {
    minLength: 1,
    maxLength: 3,
  })
  .map((s) => s.join(':'));
const resourceGlob = fc.oneof(fc.constantFrom(...RESOURCES), fc.constant('table:*'), fc.constant('*'));

const attributeCondition: fc.Arbitrary<AttributeCondition> = fc.oneof(
  fc.record({ attribute: fc.constantFrom(...ATTRIBUTES), equals: fc.constantFrom(...VALUES) }),
  fc.record({
    attribute: fc.constantFrom(...ATTRIBUTES),
    in: fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ attribute: fc.constantFrom(...ATTRIBUTES), prefix: fc.constantFrom(...PREFIXES) }),
);

const timeWindow = fc
  .record(
    {
      start: fc.constantFrom(...TIMES),
      end: fc.constantFrom(...TIMES),
      days: fc.uniqueArray(fc.constantFrom(...DAYS), { minLength: 1, maxLength: 4 }),
    },
    { requiredKeys: ['start', 'end'] },
  )
  .filter((w) => w.start !== w.end);

const conditions: fc.Arbitrary<Conditions> = fc
  .record(
    {
      environments: fc.uniqueArray(fc.constantFrom(...ENVS), { minLength: 1, maxLength: 3 }),
      timeWindow,
      context: fc.array(attributeCondition, { minLength: 1, maxLength: 2 }),
    },
    { requiredKeys: [] },
  )
  .filter((c) => Object.keys(c).length > 0);

const statementBody = fc.record(
  {
    effect: fc.constantFrom('allow' as const, 'allow' as const, 'deny' as const),
    principals: fc.uniqueArray(fc.constantFrom(...SERVICES, '*'), { minLength: 1, maxLength: 2 }),
    actions: fc.uniqueArray(glob, { minLength: 1, maxLength: 3 }),
    resources: fc.uniqueArray(resourceGlob, { minLength: 1, maxLength: 2 }),
    conditions,
  },
  { requiredKeys: ['effect', 'principals', 'actions'] },
);

export function policyDocument(maxStatements = 12): fc.Arbitrary<PolicyDocument> {
  return fc.array(statementBody, { minLength: 0, maxLength: maxStatements }).map((bodies) => ({
    version: 1 as const,
    statements: bodies.map((b, i): Statement => ({ id: `s${i}`, ...b })),
  }));
}

const contextValue = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.constantFrom('acme-1', 'acme*x', 'gold-plus', 'zeta', 3),
  fc.constant({ nested: 'acme' }),
);

/** Midnight 2026-01-05 UTC (a Monday) plus up to two weeks, on round minutes. */
const time = fc.integer({ min: 0, max: 14 * 1440 - 1 }).map((m) => Date.UTC(2026, 0, 5) + m * 60_000);

export const decisionRequest: fc.Arbitrary<DecisionRequest> = fc.record(
  {
    principal: fc.constantFrom(...SERVICES, 'ghost'),
    action: name,
    resource: fc.constantFrom(...RESOURCES, 'table:c'),
    environment: fc.constantFrom(...ENVS),
    time,
    attributes: fc.dictionary(fc.constantFrom(...ATTRIBUTES), contextValue, { maxKeys: 4 }),
  },
  { requiredKeys: ['principal', 'action', 'environment', 'time'] },
);
