import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import schema from '../governance/policies/schema.json' with { type: 'json' };
import { explainErrors, validatePolicy } from '../lambdas/governance/engine/index.js';
import { policyDocument } from '../test/support/policy-arbitraries.js';
import { GENERATED_VALIDATORS, renderValidator } from './generate-validators.js';

/** A valid document broken in one place: a misspelt or unknown field, a wrong type, a bad value. */
const brokenDocument = fc
  .tuple(
    policyDocument(4),
    fc.constantFrom('statements', 'effect', 'actions', 'principals', 'conditions'),
    fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.integer(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
    ),
    fc.constantFrom('effct', 'action', 'principal', 'extra', 'version'),
  )
  .map(([document, where, value, unknown]) => {
    const copy = structuredClone(document) as unknown as Record<string, unknown>;
    const statements = copy.statements as Record<string, unknown>[];
    const first = statements[0];
    if (where === 'statements' || !first) copy[unknown] = value;
    else {
      first[where] = value;
      first[unknown] = value;
    }
    return copy;
  });

describe('precompiled validators', () => {
  it.each(GENERATED_VALIDATORS.map((v) => [v.file.split('/').pop(), v] as const))(
    '%s matches its schema (run npm run validators:generate after a change)',
    (_name, validator) => {
      expect(readFileSync(validator.file, 'utf8')).toBe(renderValidator(validator));
    },
  );

  it('the precompiled policy validator explains a bad document exactly as a run-time verbose compile does', () => {
    fc.assert(
      fc.property(brokenDocument, (document) => {
        const result = validatePolicy(document);
        expect(result.valid).toBe(false);
        if (!result.valid) expect(result.errors).toEqual(explainErrors(schema, document));
      }),
      { numRuns: 200 },
    );
  });
});
