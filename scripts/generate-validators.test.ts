import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { GENERATED_VALIDATORS, renderValidators } from './generate-validators.js';

describe('precompiled validators', () => {
  it('match the policy schema and the decision contract (run npm run validators:generate after a change)', () => {
    expect(readFileSync(GENERATED_VALIDATORS, 'utf8')).toBe(renderValidators());
  });
});
