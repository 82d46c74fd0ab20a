import type { CompiledPolicy } from './compile.js';
import { requestProblem } from './request.js';
import { type DecisionRequest, ENVIRONMENTS, type Environment } from './types.js';

/**
 * A policy test file (`governance/policies/<name>.test.json`): requests and the decisions a policy
 * must give them, run by `npm test` and reusable by the admin API's "test" operation.
 */
export interface PolicyTestSuite {
  /** The policy file under test, relative to the test file, e.g. `default.json`. */
  readonly policy: string;
  readonly cases: readonly PolicyTestCase[];
}

export interface PolicyTestCase {
  readonly name: string;
  readonly request: {
    readonly service: string;
    /** The verified caller's id (and tenant) on whose behalf the service asks. */
    readonly caller?: string;
    readonly tenant?: string;
    readonly intent: string;
    readonly context?: Readonly<Record<string, unknown>>;
    /** Defaults to `prod`. */
    readonly environment?: Environment;
    /** ISO 8601 instant; defaults to 2026-01-05T12:00:00Z (a Monday, noon UTC). */
    readonly time?: string;
  };
  readonly expect: { readonly allowed: boolean; readonly statementId?: string };
}

export interface PolicyTestResult {
  readonly name: string;
  readonly passed: boolean;
  /** Why a case failed, e.g. `expected allowed=true by orbit-reasons-on-axon, got: no statement allows ...`. */
  readonly message?: string;
}

export interface PolicyTestReport {
  readonly results: readonly PolicyTestResult[];
  /** Statement ids that decided no case: rules the suite never exercises. */
  readonly uncovered: readonly string[];
}

const DEFAULT_TIME = '2026-01-05T12:00:00Z';

/** The engine request a case describes, or what is wrong with it. */
function requestOf(c: PolicyTestCase): { request: DecisionRequest } | { problem: string } {
  const environment = c.request.environment ?? 'prod';
  const time = Date.parse(c.request.time ?? DEFAULT_TIME);
  const resource = c.request.context?.resource;
  const names = {
    principal: c.request.service,
    action: c.request.intent,
    resource,
    caller: c.request.caller,
    tenant: c.request.tenant,
  };
  const problem =
    requestProblem(names) ??
    (ENVIRONMENTS.includes(environment)
      ? undefined
      : `environment must be one of ${ENVIRONMENTS.join(', ')}`) ??
    (Number.isNaN(time) ? `time "${c.request.time}" is not an ISO 8601 instant` : undefined);
  if (problem) return { problem };
  return {
    request: {
      principal: c.request.service,
      ...(c.request.caller === undefined ? {} : { caller: c.request.caller }),
      ...(c.request.tenant === undefined ? {} : { tenant: c.request.tenant }),
      action: c.request.intent,
      resource: resource as string | undefined,
      environment,
      time,
      attributes: c.request.context,
    },
  };
}

export function runPolicyTests(policy: CompiledPolicy, suite: PolicyTestSuite): PolicyTestReport {
  const decidedBy = new Set<string>();
  const results = suite.cases.map((c): PolicyTestResult => {
    const parsed = requestOf(c);
    if ('problem' in parsed)
      return { name: c.name, passed: false, message: `invalid request: ${parsed.problem}` };
    const decision = policy.decide(parsed.request);
    if (decision.statementId) decidedBy.add(decision.statementId);
    const passed =
      decision.allowed === c.expect.allowed &&
      (c.expect.statementId === undefined || decision.statementId === c.expect.statementId);
    if (passed) return { name: c.name, passed };
    const by = c.expect.statementId ? ` by ${c.expect.statementId}` : '';
    return {
      name: c.name,
      passed,
      message: `expected allowed=${c.expect.allowed}${by}, got allowed=${decision.allowed}: ${decision.reason}`,
    };
  });
  return { results, uncovered: policy.statementIds.filter((id) => !decidedBy.has(id)) };
}
