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

/**
 * A decision request as people write it: policy test cases, the admin API's dry-run and
 * `governance explain`. `decisionRequestOf` turns it into the engine's request.
 */
export interface AskedRequest {
  readonly service: string;
  /** The verified caller's id (and tenant) on whose behalf the service asks. */
  readonly caller?: string;
  readonly tenant?: string;
  readonly intent: string;
  readonly context?: Readonly<Record<string, unknown>>;
  /** Defaults to `prod`. */
  readonly environment?: Environment;
  /** ISO 8601 instant; when absent, the time `decisionRequestOf` is given (policy tests: a fixed Monday noon). */
  readonly time?: string;
}

export interface PolicyTestCase {
  readonly name: string;
  readonly request: AskedRequest;
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

/** When a case names no time: a Monday noon UTC, so the default policy's time windows are open. */
const DEFAULT_TIME = Date.parse('2026-01-05T12:00:00Z');

/** The engine request an asked request describes at `defaultTime` (epoch ms), or what is wrong with it. */
export function decisionRequestOf(
  asked: AskedRequest,
  defaultTime: number,
): { request: DecisionRequest } | { problem: string } {
  const environment = asked.environment ?? 'prod';
  const time = asked.time === undefined ? defaultTime : Date.parse(asked.time);
  const resource = asked.context?.resource;
  const names = {
    principal: asked.service,
    action: asked.intent,
    resource,
    caller: asked.caller,
    tenant: asked.tenant,
  };
  const problem =
    requestProblem(names) ??
    (ENVIRONMENTS.includes(environment)
      ? undefined
      : `environment must be one of ${ENVIRONMENTS.join(', ')}`) ??
    (Number.isNaN(time) ? `time "${asked.time}" is not an ISO 8601 instant` : undefined);
  if (problem) return { problem };
  return {
    request: {
      principal: asked.service,
      ...(asked.caller === undefined ? {} : { caller: asked.caller }),
      ...(asked.tenant === undefined ? {} : { tenant: asked.tenant }),
      action: asked.intent,
      resource: resource as string | undefined,
      environment,
      time,
      attributes: asked.context,
    },
  };
}

export function runPolicyTests(policy: CompiledPolicy, suite: PolicyTestSuite): PolicyTestReport {
  const decidedBy = new Set<string>();
  const results = suite.cases.map((c): PolicyTestResult => {
    const parsed = decisionRequestOf(c.request, DEFAULT_TIME);
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
