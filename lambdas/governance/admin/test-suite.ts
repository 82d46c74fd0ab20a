import {
  compilePolicy,
  ENVIRONMENTS,
  explainErrors,
  type PolicyDocument,
  type PolicyTestReport,
  type PolicyTestSuite,
  runPolicyTests,
  sharedAjv,
} from '../engine/index.js';

/**
 * The shape of a policy test file (`governance/policies/<name>.test.json`) as the engine's
 * `runPolicyTests` expects it. Checked before running, because a candidate's tests arrive from
 * outside (a push) and a typo such as `expected` must not silently pass.
 */
const suiteSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cases'],
  properties: {
    $schema: { type: 'string' },
    description: { type: 'string' },
    policy: { type: 'string', minLength: 1 },
    cases: {
      type: 'array',
      minItems: 1,
      maxItems: 10000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'request', 'expect'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 256 },
          request: {
            type: 'object',
            additionalProperties: false,
            required: ['service', 'intent'],
            properties: {
              service: { type: 'string' },
              caller: { type: 'string' },
              tenant: { type: 'string' },
              intent: { type: 'string' },
              context: { type: 'object' },
              environment: { enum: [...ENVIRONMENTS] },
              time: { type: 'string' },
            },
          },
          expect: {
            type: 'object',
            additionalProperties: false,
            required: ['allowed'],
            properties: { allowed: { type: 'boolean' }, statementId: { type: 'string' } },
          },
        },
      },
    },
  },
};

const validateSuite = sharedAjv().compile<PolicyTestSuite>(suiteSchema);

export type SuiteCheck =
  | { readonly valid: true; readonly suite: PolicyTestSuite }
  | { readonly valid: false; readonly errors: readonly string[] };

/** Validates a test suite (object or JSON text); `policy` may be omitted when the suite travels with its document. */
export function checkTestSuite(input: unknown): SuiteCheck {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      return { valid: false, errors: [`(tests) is not JSON: ${(error as Error).message}`] };
    }
  }
  if (!validateSuite(value)) {
    return { valid: false, errors: explainErrors(suiteSchema, value).map((e) => `tests${e}`) };
  }
  return { valid: true, suite: { ...value, policy: value.policy ?? 'candidate' } };
}

export interface TestOutcome extends PolicyTestReport {
  readonly passed: number;
  readonly failed: number;
}

/** Runs a suite against a validated document; `uncovered` lists statements no case was decided by. */
export function runSuite(document: PolicyDocument, suite: PolicyTestSuite): TestOutcome {
  const report = runPolicyTests(compilePolicy(document, null), suite);
  const failed = report.results.filter((r) => !r.passed).length;
  return { ...report, passed: report.results.length - failed, failed };
}

/** The services, intents and resources a suite names: things the platform evidently knows about. */
export function namesInSuite(suite: PolicyTestSuite): {
  services: string[];
  intents: string[];
  resources: string[];
} {
  const resources: string[] = [];
  for (const c of suite.cases) {
    const resource = c.request.context?.resource;
    if (typeof resource === 'string') resources.push(resource);
  }
  return {
    services: suite.cases.map((c) => c.request.service),
    intents: suite.cases.map((c) => c.request.intent),
    resources,
  };
}
