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
const CALLERS = ['demo-app', 'batch', 'partner@x'] as const;
const TENANTS = ['acme', 'globex'] as const;
const SEGMENTS = ['reason', 'deep', 'fast'] as const;
const RESOURCES = ['axon', 'orbit', 'table:a', 'table:b'] as const;
const ENVS: readonly Environment[] = ['dev', 'staging', 'prod', 'local'];
const DAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const TIMES = ['00:00', '06:00', '08:30', '12:00', '18:00', '23:59'] as const;
const ATTRIBUTES = ['tenant', 'tier', 'count', 'flag'] as const;
const VALUES = ['acme', 'globex', 'gold', 1, 2, true, false] as const;
const PREFIXES = ['ac', 'gl', 'g', 'acme*x'] as const;

const segment = fc.constantFrom(...SEGMENTS);
const name = fc.array(segment, { minLength: 1, maxLength: 2 }).map((s) => s.join(':'));
const glob = fc
  .array(fc.oneof({ weight: 2, arbitrary: segment }, { weight: 1, arbitrary: fc.constant('*') }), {
    minLength: 1,
    maxLength: 2,
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
    callers: fc.uniqueArray(fc.constantFrom(...CALLERS, '*'), { minLength: 1, maxLength: 2 }),
    tenants: fc.uniqueArray(fc.constantFrom(...TENANTS, '*'), { minLength: 1, maxLength: 2 }),
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

/** A tenant belongs to a verified caller: a request never has one without the other. */
function tenantNeedsCaller(r: DecisionRequest): DecisionRequest {
  if (r.caller !== undefined || r.tenant === undefined) return r;
  const { tenant: _tenant, ...rest } = r;
  return rest;
}

export const decisionRequest: fc.Arbitrary<DecisionRequest> = fc
  .record(
    {
      principal: fc.constantFrom(...SERVICES, 'ghost'),
      caller: fc.constantFrom(...CALLERS, 'stranger'),
      tenant: fc.constantFrom(...TENANTS, 'initech'),
      action: name,
      resource: fc.constantFrom(...RESOURCES, 'table:c'),
      environment: fc.constantFrom(...ENVS),
      time,
      attributes: fc.dictionary(fc.constantFrom(...ATTRIBUTES), contextValue, { maxKeys: 4 }),
    },
    { requiredKeys: ['principal', 'action', 'environment', 'time'] },
  )
  .map(tenantNeedsCaller);

function fill(glob: string): fc.Arbitrary<string> {
  return fc
    .tuple(...glob.split(':').map((part) => (part === '*' ? segment : fc.constant(part))))
    .map((parts) => parts.join(':'));
}

const WEEKDAY_OFFSET: Readonly<Record<Weekday, number>> = {
  mon: 0,
  tue: 1,
  wed: 2,
  thu: 3,
  fri: 4,
  sat: 5,
  sun: 6,
};

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** A time inside the window (on one of its days), as epoch milliseconds in the generated fortnight. */
function timeInside(window: NonNullable<Conditions['timeWindow']>): fc.Arbitrary<number> {
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const length = (end - start + 1440) % 1440;
  return fc
    .tuple(
      fc.integer({ min: 0, max: length - 1 }),
      fc.constantFrom(...(window.days ?? DAYS)),
      fc.integer({ min: 0, max: 1 }),
    )
    .map(([offset, day, week]) => {
      const minute = (start + offset) % 1440;
      return Date.UTC(2026, 0, 5 + WEEKDAY_OFFSET[day] + 7 * week) + minute * 60_000;
    });
}

function attributesSatisfying(
  conditions: readonly AttributeCondition[],
): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      ...conditions.map((c) => {
        const value =
          'equals' in c
            ? fc.constant<unknown>(c.equals)
            : 'in' in c
              ? fc.constantFrom<unknown>(...c.in)
              : fc.constantFrom<unknown>(c.prefix, `${c.prefix}-x`);
        return value.map((v) => [c.attribute, v] as const);
      }),
    )
    .map((entries) => Object.fromEntries(entries));
}

/** A name a `callers`/`tenants` list admits (`*`: any of `names`); absent list: any name or none. */
function admitted(
  list: readonly string[] | undefined,
  names: readonly string[],
): fc.Arbitrary<string | undefined> {
  if (list === undefined) return fc.option(fc.constantFrom(...names), { nil: undefined });
  return fc.constantFrom(...list).chain((n) => (n === '*' ? fc.constantFrom(...names) : fc.constant(n)));
}

/** A request built to match one statement (its conditions too, unless two of them contradict). */
function requestMatching(s: Statement): fc.Arbitrary<DecisionRequest> {
  return fc
    .record({
      caller: admitted(s.callers, CALLERS),
      tenant: admitted(s.tenants, TENANTS),
      rest: requestRest(s),
    })
    .map(({ caller, tenant, rest }) =>
      tenantNeedsCaller({
        ...rest,
        ...(caller === undefined ? {} : { caller }),
        ...(tenant === undefined ? {} : { tenant }),
      }),
    );
}

function requestRest(s: Statement): fc.Arbitrary<DecisionRequest> {
  const c = s.conditions;
  return fc.record({
    principal: fc
      .constantFrom(...s.principals)
      .chain((p) => (p === '*' ? fc.constantFrom(...SERVICES) : fc.constant(p))),
    action: fc.constantFrom(...s.actions).chain(fill),
    resource: s.resources ? fc.constantFrom(...s.resources).chain(fill) : fc.constantFrom(...RESOURCES),
    environment: fc.constantFrom(...(c?.environments ?? ENVS)),
    time: c?.timeWindow ? timeInside(c.timeWindow) : time,
    attributes: attributesSatisfying(c?.context ?? []),
  });
}

/**
 * Requests for one document: half random, half aimed at a random statement, so allows, explicit
 * denies and default denies all occur often.
 */
export function requestFor(document: PolicyDocument): fc.Arbitrary<DecisionRequest> {
  if (document.statements.length === 0) return decisionRequest;
  return fc.oneof(decisionRequest, fc.constantFrom(...document.statements).chain(requestMatching));
}
