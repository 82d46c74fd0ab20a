import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ENVIRONMENT_NAMES } from '../contracts/environments.js';
import { asciiClasses, asciiOnly } from '../lib/guard/ascii-classes.js';
import { ProjectGuardValidator } from '../lib/guard/validator.js';
import { sharedAssembly } from './support/assembly.js';
import {
  applicableControlTower,
  comparableFindings,
  guardFindings,
  guardWorkDir,
  validationContext,
  writeIn,
} from './support/guard.js';

describe('asciiClasses: regex classes spelled in ASCII', () => {
  it.each([
    ['/\\A\\s*\\z/', '/\\A[\\t\\n\\x0B\\f\\r ]*\\z/'],
    ['/^[\\w]*[:]*\\*$/', '/^[0-9A-Za-z_]*[:]*\\*$/'],
    ['/\\d{12}/', '/[0-9]{12}/'],
    ['/[\\w\\-]{1,64}/', '/[0-9A-Za-z_\\-]{1,64}/'],
    ['/\\S+\\W\\D/', '/[^\\t\\n\\x0B\\f\\r ]+[^0-9A-Za-z_][^0-9]/'],
    ['/[]\\d]/', '/[]0-9]/'],
    ['/[^\\s,]/', '/[^\\t\\n\\x0B\\f\\r ,]/'],
    ['/^root:.*$/', '/^root:[\\x00-\\x09\\x0B-\\x7F]*$/'],
    ['/[.]\\./', '/[.]\\./'],
    ['/^(?i)kms:Grant$/', '/^[kK][mM][sS]:[gG][rR][aA][nN][tT]$/'],
    ['/(?i)aws_2-x/', '/[aA][wW][sS]_2-[xX]/'],
  ])('spells %s as %s', (regex, spelled) => {
    expect(asciiClasses(`rule r { Properties.x == ${regex} }`)).toBe(`rule r { Properties.x == ${spelled} }`);
  });

  it.each([
    ['flags other than a case-insensitive literal', '/(?i)\\w+/'],
    ['a case-insensitive pattern that is not a plain literal', '/^(?i)kms:[a-z]+$/'],
    ['a Unicode property', '/\\p{L}\\w/'],
    ['a negated class escape inside brackets', '/[\\W_]/'],
    ['a class escape that would start a range', '/[\\w-.]/'],
    ['a nested class', '/[a[\\w]]/'],
    ['a class set operation', '/[\\w&&[^_]]/'],
  ])('leaves a regex with %s as written', (_what, regex) => {
    expect(asciiClasses(`let x = ${regex}`)).toBe(`let x = ${regex}`);
  });

  it('matches a case-insensitive literal on ASCII text exactly as the original (property)', () => {
    const literal = fc.string({
      unit: fc.constantFrom(...'abcksxyzABCKSXYZ019:_-'),
      minLength: 1,
      maxLength: 12,
    });
    const asciiText = fc.string({
      unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)),
    });
    fc.assert(
      fc.property(literal, fc.boolean(), fc.array(asciiText, { maxLength: 5 }), (text, anchored, others) => {
        const [start, end] = anchored ? ['^', '$'] : ['', ''];
        const spelled = new RegExp(asciiClasses(`/${start}(?i)${text}${end}/`).slice(1, -1), 'u');
        const original = new RegExp(`${start}${text}${end}`, 'iu');
        const swapped = [...text]
          .map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))
          .join('');
        for (const candidate of [text, swapped, ...others]) {
          expect(spelled.test(candidate)).toBe(original.test(candidate));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never touches comments, custom messages or strings', () => {
    const source = '# \\w in a comment /\\d/\nrule r { x == \'/\\s/\' << /\\w/ >> y == "\\d" }\n';
    expect(asciiClasses(source)).toBe(source);
  });

  it('matches exactly what the original matches on ASCII text (property)', () => {
    // Each atom as guard (Rust) writes it and as JavaScript, the oracle here, reads the same: they
    // differ only on `.`, which Rust lets match `\r`.
    const same = (atom: string) => [atom, atom] as const;
    const atom = fc.oneof(
      fc
        .constantFrom('\\w', '\\d', '\\s', '\\W', '\\D', '\\S', 'a', 'Z', '_', ':', '\\*', '\\.', '-', ' ')
        .map(same),
      fc.constant(['.', '[^\\n]'] as const),
    );
    // No `]` first in a class: Rust reads it as a member, JavaScript as an empty class.
    const classMember = fc.constantFrom('\\w', '\\d', '\\s', 'a', 'z', '_', ',', '\\-', ' ', '.');
    const cls = fc
      .tuple(fc.boolean(), fc.array(classMember, { minLength: 1, maxLength: 4 }))
      .map(([negated, members]) => same(`[${negated ? '^' : ''}${members.join('')}]`));
    const quantifier = fc.constantFrom('', '*', '+', '?', '{2}');
    const regex = fc
      .array(
        fc.tuple(fc.oneof(atom, cls), quantifier).map(([[rust, js], q]) => [rust + q, js + q] as const),
        { minLength: 1, maxLength: 5 },
      )
      .map((parts) => ({
        rust: `^${parts.map(([rust]) => rust).join('')}$`,
        js: `^${parts.map(([, js]) => js).join('')}$`,
      }));
    const asciiText = fc.string({
      unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)),
    });
    fc.assert(
      fc.property(regex, fc.array(asciiText, { minLength: 1, maxLength: 10 }), ({ rust, js }, texts) => {
        const spelled = asciiClasses(`/${rust}/`).slice(1, -1);
        const original = new RegExp(js, 'u');
        const rewritten = new RegExp(spelled, 'u');
        for (const text of texts) expect(rewritten.test(text)).toBe(original.test(text));
      }),
      { numRuns: 500 },
    );
  });
});

describe('asciiOnly', () => {
  it('finds a non-ASCII character in any key or string of a document', () => {
    expect(asciiOnly({ Resources: { A: { Properties: { x: ['plain', 1, null, true] } } } })).toBe(true);
    expect(asciiOnly({ Resources: { A: { Properties: { x: ['Orbit → Axon'] } } } })).toBe(false);
    expect(asciiOnly({ Resources: { Ä: {} } })).toBe(false);
    expect(asciiOnly('\u00a0')).toBe(false);
  });
});

describe('the validator with ASCII classes', () => {
  it('takes the fast path on every stage: each template the synth writes is ASCII text', () => {
    const stages = ENVIRONMENT_NAMES.flatMap((env) => [env, `cicd-${env}` as const]);
    const notAscii = stages.flatMap((stage) =>
      sharedAssembly()
        .stacks(stage)
        .filter((stack) => !asciiOnly(JSON.parse(readFileSync(stack.templateFullPath, 'utf8'))))
        .map((stack) => stack.stackName),
    );
    expect(notAscii).toEqual([]);
  });

  it("gives the Control Tower findings of the rules as written over the dev stage's templates", () => {
    const templatePaths = sharedAssembly()
      .stacks('dev')
      .map((stack) => stack.templateFullPath);
    const { merged } = applicableControlTower(templatePaths);
    const spelled = merged.map(asciiClasses);
    expect(spelled).not.toEqual(merged);
    expect(comparableFindings(guardFindings(spelled, templatePaths))).toEqual(
      comparableFindings(guardFindings(merged, templatePaths)),
    );
  });

  it('runs the rules as written when a template holds non-ASCII text, where the spelling would differ', () => {
    const dir = guardWorkDir();
    const queue = (kmsMasterKeyId: string) =>
      writeIn(
        dir,
        `queue-${Buffer.from(kmsMasterKeyId).toString('hex') || 'empty'}.template.json`,
        JSON.stringify({
          Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: kmsMasterKeyId } } },
        }),
      );
    const findings = (path: string) =>
      new ProjectGuardValidator()
        .validate(validationContext([path]))
        .violations.map((v) => v.ruleName)
        .filter((name) => name === 'sqs_queue_encrypted_check');
    // Unicode `\s` takes a no-break space for blank; its ASCII spelling would not.
    expect(findings(queue('\u00a0'))).toEqual(['sqs_queue_encrypted_check']);
    expect(findings(queue('   '))).toEqual(['sqs_queue_encrypted_check']);
    expect(findings(queue('alias/platform'))).toEqual([]);
  });
});
