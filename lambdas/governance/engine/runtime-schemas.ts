import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { formatErrors } from './validate.js';

// Apart from validate.ts so that the decision function, which only runs precompiled validators,
// never loads Ajv.

let shared: Ajv2020 | undefined;

/** One Ajv instance per process for schemas compiled at run time (policy test suites), made on first use. */
export function sharedAjv(): Ajv2020 {
  shared ??= new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  return shared;
}

let verboseAjv: Ajv2020 | undefined;
const verboseValidators = new Map<object, ValidateFunction>();

/**
 * The formatted errors of `input` against `schema`, from a validator that keeps each error's parent
 * schema, so an unknown field comes with the closest known one. Compiled on first use: only input
 * that already failed the fast validator pays for it.
 */
export function explainErrors(schema: object, input: unknown): string[] {
  let validate = verboseValidators.get(schema);
  if (!validate) {
    verboseAjv ??= new Ajv2020({ allErrors: true, strict: true, strictRequired: false, verbose: true });
    validate = verboseAjv.compile(schema);
    verboseValidators.set(schema, validate);
  }
  validate(input);
  return formatErrors(validate.errors);
}
