import type { ErrorObject } from 'ajv/dist/2020.js';
import { didYouMean } from './suggest.js';
import type { PolicyDocument } from './types.js';
import * as generated from './validators.generated.js';

/** A validator as Ajv compiles it: a type guard that leaves its errors on itself. */
export type Validator<T> = ((input: unknown) => input is T) & { errors?: ErrorObject[] | null };

/**
 * Precompiled (scripts/generate-validators.ts) and verbose: a cold start neither loads Ajv nor
 * compiles a schema, and its errors name the closest known field.
 */
export const validateDocument = generated.validatePolicyDocument as unknown as Validator<PolicyDocument>;

export class PolicyValidationError extends Error {
  readonly errors: readonly string[];

  constructor(errors: readonly string[]) {
    super(`invalid policy document: ${errors.join('; ')}`);
    this.name = 'PolicyValidationError';
    this.errors = errors;
  }
}

export type ValidationResult =
  | { readonly valid: true; readonly document: PolicyDocument }
  | { readonly valid: false; readonly errors: readonly string[] };

export function formatErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath === '' ? '(document)' : e.instancePath;
    const field = (e.params as { additionalProperty?: string }).additionalProperty;
    if (e.keyword === 'additionalProperties' && field !== undefined) {
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return `${where}: unknown field "${field}"${didYouMean(field, known)}`;
    }
    const allowed = (e.params as { allowedValues?: unknown[] }).allowedValues;
    const detail = allowed ? `must be one of: ${allowed.join(', ')}` : (e.message ?? 'is invalid');
    return `${where} ${detail}`;
  });
}

/**
 * Schema validation (JSON Schema 2020-12) plus the rules a schema cannot state: statement ids are
 * unique, and a time window is not empty.
 */
export function validatePolicy(input: unknown): ValidationResult {
  if (!validateDocument(input)) return { valid: false, errors: formatErrors(validateDocument.errors) };
  const errors: string[] = [];
  const seen = new Map<string, number>();
  input.statements.forEach((statement, i) => {
    const first = seen.get(statement.id);
    if (first !== undefined) {
      errors.push(`/statements/${i}/id "${statement.id}" repeats the id of /statements/${first}`);
    } else {
      seen.set(statement.id, i);
    }
    const window = statement.conditions?.timeWindow;
    if (window && window.start === window.end) {
      errors.push(`/statements/${i}/conditions/timeWindow start and end are both ${window.start}`);
    }
  });
  return errors.length > 0 ? { valid: false, errors } : { valid: true, document: input };
}

/** Parses (when given text) and validates a policy document; throws `PolicyValidationError`. */
export function parsePolicy(input: unknown): PolicyDocument {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new PolicyValidationError([`(document) is not JSON: ${(error as Error).message}`]);
    }
  }
  const result = validatePolicy(value);
  if (!result.valid) throw new PolicyValidationError(result.errors);
  return result.document;
}
