import { describe, expect, it } from '@jest/globals';
import { checkDocument, MAX_DOCUMENT_BYTES } from './document-checks.js';
import { checkTestSuite, runSuite } from './test-suite.js';

const allow = { id: 'a', effect: 'allow', principals: ['orbit'], actions: ['reason:*'] };

function errorsOf(input: unknown, tests?: unknown): readonly string[] {
  const suite = tests === undefined ? undefined : checkTestSuite(tests);
  const result = checkDocument(input, suite?.valid ? { tests: suite.suite } : {});
  return result.valid ? [] : result.errors;
}

describe('candidate document checks', () => {
  it('accepts the shape of the shipped default policy and reports its size', () => {
    const result = checkDocument({ version: 1, statements: [allow] });
    expect(result).toMatchObject({ valid: true, bytes: expect.any(Number) });
  });

  it('refuses a document over 256 KB, naming the limit', () => {
    const big = { version: 1, description: 'x', statements: [allow] };
    const text = JSON.stringify({ ...big, pad: 'y'.repeat(MAX_DOCUMENT_BYTES) });
    expect(errorsOf(text)).toEqual([
      `(document) is ${Buffer.byteLength(text)} bytes; the limit is 262144 bytes (256 KB)`,
    ]);
  });

  it('refuses more than 5,000 statements, naming the limit', () => {
    const statements = Array.from({ length: 5001 }, (_, i) => ({
      ...allow,
      id: `s${i}`,
      actions: ['reason:deep'],
    }));
    const errors = errorsOf({ version: 1, statements });
    // 5,001 statements never fit in 256 KB; both limits are named.
    expect(errors).toHaveLength(2);
    expect(errors[1]).toBe('/statements has 5001 statements; the limit is 5000');
  });

  it('lists every schema error with its JSON pointer, unknown fields and repeated ids together', () => {
    const errors = errorsOf({
      version: 1,
      owner: 'me',
      statements: [allow, { ...allow, principals: [] }, { ...allow, id: 'b', actions: [], effect: 'permit' }],
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        '(document): unknown field "owner"',
        '/statements/1/principals must NOT have fewer than 1 items',
        '/statements/2/actions must NOT have fewer than 1 items',
        '/statements/2/effect must be one of: allow, deny',
        '/statements/1/id "a" repeats the id of /statements/0',
      ]),
    );
  });

  it('reports globs and principals that match nothing the platform knows', () => {
    const errors = errorsOf({
      version: 1,
      statements: [
        { ...allow, principals: ['obrit', '*'], actions: ['reasno:*', 'reason:*'], resources: ['db:*'] },
      ],
    });
    expect(errors).toEqual([
      '/statements/0/principals/0 "obrit" is not a known service (governance/catalog.json or a test case)',
      '/statements/0/actions/0 "reasno:*" matches no known intent (governance/catalog.json or a test case)',
      '/statements/0/resources/0 "db:*" matches no known resource (governance/catalog.json or a test case)',
    ]);
  });

  it('counts names used by the candidate tests as known', () => {
    const document = {
      version: 1,
      statements: [{ ...allow, principals: ['ledger'], actions: ['ledger:post'] }],
    };
    const tests = {
      cases: [
        {
          name: 'ledger posts',
          request: { service: 'ledger', intent: 'ledger:post' },
          expect: { allowed: true },
        },
      ],
    };
    expect(errorsOf(document, tests)).toEqual([]);
  });

  it('refuses text that is not JSON', () => {
    expect(errorsOf('{"version": 1,')).toEqual([expect.stringMatching(/^\(document\) is not JSON: /)]);
  });
});

describe('candidate test suites', () => {
  it('rejects misspelt fields with their pointer', () => {
    const result = checkTestSuite({
      cases: [{ name: 'x', request: { service: 'orbit', intent: 'a' }, expected: {} }],
    });
    expect(result).toEqual({
      valid: false,
      errors: [
        "tests/cases/0 must have required property 'expect'",
        'tests/cases/0: unknown field "expected" (did you mean "expect"?)',
      ],
    });
  });

  it('runs a suite and reports the statements no case exercised', () => {
    const suite = checkTestSuite(
      JSON.stringify({
        cases: [
          { name: 'deep', request: { service: 'orbit', intent: 'reason:deep' }, expect: { allowed: true } },
        ],
      }),
    );
    if (!suite.valid) throw new Error('suite should be valid');
    const deny = { id: 'never', effect: 'deny' as const, principals: ['axon'], actions: ['reason:deep'] };
    const outcome = runSuite({ version: 1, statements: [{ ...allow, effect: 'allow' }, deny] }, suite.suite);
    expect(outcome).toMatchObject({ passed: 1, failed: 0, uncovered: ['never'] });
  });
});
