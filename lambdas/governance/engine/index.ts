/**
 * The governance engine: parse → validate → compile → evaluate. Pure TypeScript, no I/O, deterministic.
 *
 *   const policy = compilePolicy(parsePolicy(json), revision);
 *   policy.decide({ principal: 'orbit', action: 'reason:deep', environment: 'prod', time: Date.now() });
 */
export { CompiledPolicy, compilePolicy, utcClock } from './compile.js';
export {
  type AskedRequest,
  decisionRequestOf,
  type PolicyTestCase,
  type PolicyTestReport,
  type PolicyTestResult,
  type PolicyTestSuite,
  runPolicyTests,
} from './policy-tests.js';
export { requestProblem } from './request.js';
export { explainErrors, sharedAjv } from './runtime-schemas.js';
export { closest, didYouMean } from './suggest.js';
export * from './types.js';
export {
  formatErrors,
  PolicyValidationError,
  parsePolicy,
  type ValidationResult,
  type Validator,
  validatePolicy,
} from './validate.js';
