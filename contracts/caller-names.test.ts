import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CALLER_NAME_PATTERN } from './caller.js';
import { formatCallerNames, MAX_CALLER_NAMES, parseCallerNames } from './caller-names.js';

const name = fc.stringMatching(CALLER_NAME_PATTERN);
const names = fc.dictionary(name, name, { minKeys: 1, maxKeys: 30 }).map((d) => new Map(Object.entries(d)));

describe('CALLER_NAMES (client id → caller name)', () => {
  it('reads back every valid map it writes, whatever the ids and names', () => {
    fc.assert(
      fc.property(names, (map) => {
        expect(parseCallerNames(formatCallerNames(map))).toEqual(map);
      }),
    );
  });

  it('reads a document written by hand or by CloudFormation (any key order, any spacing)', () => {
    const parsed = parseCallerNames(
      '{ "4k2q8v1n7d3s9p0x6m5c1h8r2t": "demo-app",\n "7b9w3e6j1l": "demo-app" }',
    );
    expect([...parsed]).toEqual([
      ['4k2q8v1n7d3s9p0x6m5c1h8r2t', 'demo-app'],
      ['7b9w3e6j1l', 'demo-app'],
    ]);
  });

  it('never maps a key to an inherited property (a client id named like one is just a key)', () => {
    const parsed = parseCallerNames('{"constructor":"a","toString":"b"}');
    expect(parsed.get('constructor')).toBe('a');
    expect(parsed.get('hasOwnProperty')).toBeUndefined();
  });

  it.each([
    ['not JSON', '{', /^CALLER_NAMES must be JSON such as/],
    ['an array', '[["id","name"]]', /^CALLER_NAMES must be a JSON object/],
    ['null', 'null', /^CALLER_NAMES must be a JSON object/],
    ['a string', '"demo-app"', /^CALLER_NAMES must be a JSON object/],
    ['no entry', '{}', /^CALLER_NAMES must map at least one client id; unset it/],
    ['a key with a space', '{"has space":"demo-app"}', /^CALLER_NAMES key "has space" is not a client id/],
    ['an empty key', '{"":"demo-app"}', /^CALLER_NAMES key "" is not a client id/],
    ['a numeric name', '{"abc":1}', /^CALLER_NAMES\["abc"\] must be a caller name .*, got 1$/],
    ['an object as name', '{"abc":{"name":"x"}}', /^CALLER_NAMES\["abc"\] must be a caller name/],
    ['a name with a slash', '{"abc":"a/b"}', /^CALLER_NAMES\["abc"\] must be a caller name .*, got "a\/b"$/],
  ])('refuses %s, saying what is wrong', (_case, text, message) => {
    expect(() => parseCallerNames(text)).toThrow(message);
  });

  it('names the variable it was read from', () => {
    expect(() => parseCallerNames('{}', 'local/callers.json')).toThrow(/^local\/callers\.json must map/);
  });

  it(`refuses more than ${MAX_CALLER_NAMES} client ids`, () => {
    const many = Object.fromEntries(Array.from({ length: MAX_CALLER_NAMES + 1 }, (_, i) => [`c${i}`, 'x']));
    expect(() => parseCallerNames(JSON.stringify(many))).toThrow(
      `CALLER_NAMES maps ${MAX_CALLER_NAMES + 1} client ids; at most ${MAX_CALLER_NAMES} are allowed`,
    );
  });

  it('refuses any malformed document with an Error naming CALLER_NAMES, never another exception', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          try {
            const parsed = parseCallerNames(text);
            for (const [clientId, caller] of parsed) {
              expect(clientId).toMatch(CALLER_NAME_PATTERN);
              expect(caller).toMatch(CALLER_NAME_PATTERN);
            }
          } catch (error) {
            expect(error).toBeInstanceOf(Error);
            expect((error as Error).message).toMatch(/^CALLER_NAMES/);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
