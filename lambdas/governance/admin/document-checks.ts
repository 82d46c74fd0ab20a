import { exceedsJsonDepth, jsonDepthProblem } from '../../../contracts/json-depth.js';
import catalogFile from '../../../governance/catalog.json' with { type: 'json' };
import { type PolicyDocument, type PolicyTestSuite, validatePolicy } from '../engine/index.js';
import { namesInSuite } from './test-suite.js';

/** DynamoDB items hold at most 400 KB; the limit leaves room for the audit attributes. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;
export const MAX_STATEMENTS = 5000;

/** What the platform knows exists (`governance/catalog.json`); globs are checked against it. */
export interface Catalog {
  readonly services: readonly string[];
  readonly intents: readonly string[];
  readonly resources: readonly string[];
}

export const SHIPPED_CATALOG: Catalog = catalogFile;

export type DocumentCheck =
  | { readonly valid: true; readonly document: PolicyDocument; readonly bytes: number }
  | { readonly valid: false; readonly errors: readonly string[] };

export interface CheckOptions {
  readonly catalog?: Catalog;
  /** The candidate's own tests: the names they use count as known. */
  readonly tests?: PolicyTestSuite;
}

/**
 * Everything a candidate must pass before it is stored: the size and statement limits (checked
 * first, and named), the engine's schema and semantic validation (every error with its JSON
 * pointer, unknown fields rejected, duplicate ids), and globs that match no known service, intent
 * or resource — usually a typo that would silently never match.
 */
export function checkDocument(input: unknown, options: CheckOptions = {}): DocumentCheck {
  if (exceedsJsonDepth(input)) return { valid: false, errors: [jsonDepthProblem('(document)')] };
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  if (text === undefined) return { valid: false, errors: ['(document) is empty'] };
  const bytes = Buffer.byteLength(text, 'utf8');
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      return { valid: false, errors: [`(document) is not JSON: ${(error as Error).message}`] };
    }
    if (exceedsJsonDepth(value)) return { valid: false, errors: [jsonDepthProblem('(document)')] };
  }
  // Limits first, and alone: schema errors for thousands of statements would bury them.
  const statements = (value as { statements?: unknown } | null)?.statements;
  const limits: string[] = [];
  if (bytes > MAX_DOCUMENT_BYTES) {
    limits.push(`(document) is ${bytes} bytes; the limit is ${MAX_DOCUMENT_BYTES} bytes (256 KB)`);
  }
  if (Array.isArray(statements) && statements.length > MAX_STATEMENTS) {
    limits.push(`/statements has ${statements.length} statements; the limit is ${MAX_STATEMENTS}`);
  }
  if (limits.length > 0) return { valid: false, errors: limits };
  const result = validatePolicy(value);
  if (!result.valid) {
    // The engine checks ids only once the schema passes; report repeats alongside schema errors too.
    const repeats = result.errors.some((e) => e.includes('repeats the id')) ? [] : repeatedIds(statements);
    return { valid: false, errors: [...result.errors, ...repeats] };
  }
  const unknown = unknownNames(result.document, known(options));
  return unknown.length > 0
    ? { valid: false, errors: unknown }
    : { valid: true, document: result.document, bytes };
}

function repeatedIds(statements: unknown): string[] {
  if (!Array.isArray(statements)) return [];
  const seen = new Map<string, number>();
  const errors: string[] = [];
  statements.forEach((s: unknown, i) => {
    const id = (s as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else errors.push(`/statements/${i}/id "${id}" repeats the id of /statements/${first}`);
  });
  return errors;
}

interface Known {
  readonly services: ReadonlySet<string>;
  readonly intents: readonly string[][];
  readonly resources: readonly string[][];
}

function known(options: CheckOptions): Known {
  const catalog = options.catalog ?? SHIPPED_CATALOG;
  const fromTests = options.tests
    ? namesInSuite(options.tests)
    : { services: [], intents: [], resources: [] };
  const split = (names: readonly string[]) => [...new Set(names)].map((n) => n.split(':'));
  return {
    services: new Set([...catalog.services, ...fromTests.services]),
    intents: split([...catalog.intents, ...fromTests.intents]),
    resources: split([...catalog.resources, ...fromTests.resources]),
  };
}

/** Same semantics as the engine: a `*` segment matches exactly one segment. */
function globMatches(glob: string, name: readonly string[]): boolean {
  const pattern = glob.split(':');
  return pattern.length === name.length && pattern.every((p, i) => p === '*' || p === name[i]);
}

function unknownNames(document: PolicyDocument, k: Known): string[] {
  const errors: string[] = [];
  document.statements.forEach((s, i) => {
    s.principals.forEach((p, j) => {
      if (p !== '*' && !k.services.has(p)) {
        errors.push(
          `/statements/${i}/principals/${j} "${p}" is not a known service (governance/catalog.json or a test case)`,
        );
      }
    });
    s.actions.forEach((a, j) => {
      if (!k.intents.some((n) => globMatches(a, n))) {
        errors.push(
          `/statements/${i}/actions/${j} "${a}" matches no known intent (governance/catalog.json or a test case)`,
        );
      }
    });
    s.resources?.forEach((r, j) => {
      if (!k.resources.some((n) => globMatches(r, n))) {
        errors.push(
          `/statements/${i}/resources/${j} "${r}" matches no known resource (governance/catalog.json or a test case)`,
        );
      }
    });
  });
  return errors;
}
