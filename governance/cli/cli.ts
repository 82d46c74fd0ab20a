import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RoleMapping } from '../../contracts/admin-roles.js';
import type { ImpactRecord, WindowImpact } from '../../contracts/impact.js';
import type { RevisionDiff } from '../../lambdas/governance/admin/diff.js';
import { ADMIN_ERRORS, AdminError } from '../../lambdas/governance/admin/errors.js';
import {
  type AdminRequest,
  type DryRunReport,
  toDecisionRequest,
  validateCandidate,
} from '../../lambdas/governance/admin/service.js';
import { checkTestSuite, runSuite, type TestOutcome } from '../../lambdas/governance/admin/test-suite.js';
import {
  compilePolicy,
  ENVIRONMENTS,
  type Environment,
  type Explanation,
  parsePolicy,
} from '../../lambdas/governance/engine/index.js';
import type { PolicyRevision, RevisionMetadata, RevisionPage } from '../../lambdas/governance/store/index.js';
import { parseCommandLine, UsageError, unknownCommand } from './args.js';
import { readJson } from './files.js';
import {
  directPushGate,
  groupLines,
  IMPACT_OPTIONS,
  IMPACT_USAGE,
  impactCommand,
  PUSH_IMPACT_OPTIONS,
} from './impact.js';
import {
  functionTarget,
  type TableTargetOptions,
  type Target,
  tableEnvironment,
  tableTarget,
} from './targets.js';

/** Exit codes, documented in `governance --help` and governance/README.md. */
export const EXIT = {
  ok: 0,
  /** The policy is invalid or its tests fail. */
  rejected: ADMIN_ERRORS['invalid-policy'].exitCode,
  usage: ADMIN_ERRORS['bad-request'].exitCode,
  conflict: ADMIN_ERRORS.conflict.exitCode,
  forbidden: ADMIN_ERRORS.forbidden.exitCode,
  notFound: ADMIN_ERRORS['not-found'].exitCode,
  unavailable: ADMIN_ERRORS.unavailable.exitCode,
} as const;

export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

const POLICIES_DIR = fileURLToPath(new URL('../policies/', import.meta.url));

export const USAGE = `usage: governance <command> [options]

commands:
  validate <policy.json> [--tests <file>]       check a policy (schema, limits, known names) and its tests
  test [<suite.test.json> ...] [--require-coverage]
                                                run policy tests (default: governance/policies/*.test.json);
                                                with --require-coverage, a statement no case exercises fails
  explain --service <s> --intent <i> [--caller <id>] [--tenant <t>] [--context <json>] [--environment <e>]
          [--time <iso>] [--policy <file>]      explain a decision (against --policy, else the stored head);
                                                the environment defaults to the target's and is printed
  push <policy.json> --expected-revision <n> --reason <text> [--tests <file>] [--accept-impact]
                                                publish a new revision (tests default to <policy>.test.json);
                                                refused when it flips more recorded decisions than the
                                                environment's threshold, unless --accept-impact (kept in the
                                                audit entry). The admin function replays its own decision
                                                log; a direct table write replays --decisions <file> or
                                                --since <24h> --env <env>, against --max-flips <n> or the
                                                environment's configured threshold
  push <policy.json> --create-set --reason <text>
                                                create a new policy set with revision 1 (the decision
                                                function reads only its POLICY_SET_NAME, default "default")
  get [--revision <n>]                          print the head (or a given revision)
  revisions [--limit <n>] [--before <n>]        list revisions, newest first
  diff <from-revision> <to-revision>            statement-level difference between two revisions
  rollback <revision> --expected-revision <n> --reason <text>
                                                publish a new revision equal to an old one (admins)
  roles [<roles.json> --expected-revision <n> --reason <text>]
                                                print the role mapping, or replace it (admins)
  whoami                                        the caller's principal and role
${IMPACT_USAGE}

target (for commands that read or write the store):
  --endpoint <url>     DynamoDB endpoint, e.g. the local platform's dynalite (env GOVERNANCE_DYNAMODB_ENDPOINT)
  --table <name>       policy table (env POLICY_TABLE_NAME); with --endpoint or AWS credentials
  --function <name>    admin function in AWS; requests are SigV4-signed to its URL (env GOVERNANCE_ADMIN_FUNCTION)
  --url <url>          the admin function URL itself
  --region <region>    AWS region (env AWS_REGION)
  --set <name>         policy set (default: default)
  --actor <name>       author recorded for direct table writes (default: $USER)

output:
  --json               machine-readable output on stdout; errors too, always {"error": {type, title,
                       status, detail, ...}, "exitCode": n}

exit codes:
  0 success   1 policy invalid, tests failed or impact over the threshold   2 usage error   3 revision conflict
  4 forbidden (role)   5 not found   6 store or function unavailable
`;

const OPTIONS = {
  tests: { type: 'string' },
  service: { type: 'string' },
  caller: { type: 'string' },
  tenant: { type: 'string' },
  intent: { type: 'string' },
  context: { type: 'string' },
  environment: { type: 'string' },
  time: { type: 'string' },
  policy: { type: 'string' },
  'expected-revision': { type: 'string' },
  reason: { type: 'string' },
  revision: { type: 'string' },
  limit: { type: 'string' },
  before: { type: 'string' },
  endpoint: { type: 'string' },
  table: { type: 'string' },
  function: { type: 'string' },
  url: { type: 'string' },
  region: { type: 'string' },
  set: { type: 'string' },
  actor: { type: 'string' },
  json: { type: 'boolean' },
  'require-coverage': { type: 'boolean' },
  'create-set': { type: 'boolean' },
  'accept-impact': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...IMPACT_OPTIONS,
} as const;

type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

function integer(name: string, value: string | undefined, min = 0): number {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer of at least ${min}, got "${value}"`);
  return n;
}

function optionalInteger(name: string, value: string | undefined, min = 1): number | undefined {
  return value === undefined ? undefined : integer(name, value, min);
}

function required(name: string, value: string | undefined): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

function positional(args: readonly string[], index: number, what: string): string {
  const value = args[index];
  if (value === undefined) throw new UsageError(`missing ${what}`);
  return value;
}

function functionOf(values: Values, io: Io): string | undefined {
  return values.function ?? io.env.GOVERNANCE_ADMIN_FUNCTION;
}

function tableOptionsOf(values: Values, io: Io): TableTargetOptions {
  const table = values.table ?? io.env.POLICY_TABLE_NAME;
  if (!table) {
    throw new UsageError(
      'say where the policies live: --table <name> [--endpoint <url>], or --function <name>',
    );
  }
  return {
    tableName: table,
    endpoint: values.endpoint ?? io.env.GOVERNANCE_DYNAMODB_ENDPOINT ?? io.env.AWS_ENDPOINT_URL_DYNAMODB,
    region: values.region,
    actor: values.actor ?? io.env.USER ?? 'unknown',
  };
}

function targetOf(values: Values, io: Io, impact?: TableTargetOptions['impact']): Target {
  const fn = functionOf(values, io);
  if (values.url || fn) return functionTarget({ url: values.url, functionName: fn, region: values.region });
  return tableTarget({ ...tableOptionsOf(values, io), impact });
}

/**
 * The admin function gates a push on its own decision log and threshold, so a push through it only
 * says whether it accepts the impact; a direct table write gates itself when given decisions to replay.
 */
async function pushGate(values: Values, io: Io): Promise<TableTargetOptions['impact']> {
  if (values.url || functionOf(values, io)) {
    const given = PUSH_IMPACT_OPTIONS.filter((o) => values[o] !== undefined).map((o) => `--${o}`);
    if (given.length > 0) {
      throw new UsageError(
        `the admin function checks a push against its own decision log and threshold; leave out ${given.join(', ')}`,
      );
    }
    return undefined;
  }
  const options = tableOptionsOf(values, io);
  return directPushGate(values, io, {
    environment: tableEnvironment(options),
    description: `table ${options.tableName}`,
  });
}

/** What one command produced: the JSON result and its human rendering, and the exit code. */
interface Outcome {
  readonly result: unknown;
  readonly text: string;
  readonly code?: number;
}

function diffLine(diff: {
  added: readonly string[];
  removed: readonly string[];
  changed: readonly string[];
}): string {
  const parts = [
    ...diff.added.map((id) => `+${id}`),
    ...diff.changed.map((id) => `~${id}`),
    ...diff.removed.map((id) => `-${id}`),
  ];
  return parts.length > 0 ? parts.join(' ') : '(no statement changes)';
}

function testText(name: string, outcome: TestOutcome, total: number): string {
  const lines = [`${name}: ${outcome.passed} passed, ${outcome.failed} failed`];
  for (const r of outcome.results) if (!r.passed) lines.push(`  ✗ ${r.name}: ${r.message ?? ''}`);
  lines.push(
    outcome.uncovered.length === 0
      ? `  coverage: every statement exercised (${total}/${total})`
      : `  coverage: ${total - outcome.uncovered.length}/${total} statements; not exercised: ${outcome.uncovered.join(', ')}`,
  );
  return lines.join('\n');
}

function explanationText(e: Explanation): string {
  const revision = e.policyRevision === null ? '' : ` (revision ${e.policyRevision})`;
  const lines = [`${e.allowed ? 'ALLOWED' : 'DENIED'}: ${e.reason}${revision}`];
  for (const s of e.statements) lines.push(`  ${s.matched ? '✓' : '·'} ${s.id} (${s.effect}): ${s.reason}`);
  return lines.join('\n');
}

function diffText(d: RevisionDiff): string {
  const lines = [`${d.policySet} ${d.from} → ${d.to}${d.identical ? ': identical content' : ''}`];
  for (const id of d.added) lines.push(`  + ${id}`);
  for (const id of d.removed) lines.push(`  - ${id}`);
  for (const id of d.changed) lines.push(`  ~ ${id} (${(d.fields[id] ?? []).join(', ')})`);
  if (d.reordered.length > 0) lines.push(`  reordered: ${d.reordered.join(', ')}`);
  return lines.join('\n');
}

/** What a pushed revision was checked against, and who accepted its flips. */
function impactLine(i: ImpactRecord): string {
  const accepted = i.acceptedBy ? `, accepted by ${i.acceptedBy} (--accept-impact)` : '';
  return `  impact: ${i.flips} flips (${i.allowToDeny} allow→deny, ${i.denyToAllow} deny→allow) of ${i.replayed} decisions in ${i.source}; threshold ${i.maxFlips}${accepted}`;
}

function revisionLine(r: RevisionMetadata): string {
  const parent = r.parentRevision === null ? '-' : String(r.parentRevision);
  return `${String(r.revision).padStart(5)}  ${parent.padStart(6)}  ${r.createdAt}  ${r.actor}  ${diffLine(r.diff)}  "${r.reason}"`;
}

function validate(args: readonly string[], values: Values, io: Io): Outcome {
  const file = positional(args, 0, 'the policy file: governance validate <policy.json>');
  const tests = values.tests === undefined ? undefined : readJson(values.tests, io.cwd);
  const report = validateCandidate(readJson(file, io.cwd), tests);
  const lines = [`✓ ${file} is valid: ${report.statementCount} statements, ${report.bytes} bytes`];
  if (report.tests) lines.push(testText(values.tests ?? 'tests', report.tests, report.statementCount));
  return { result: report, text: lines.join('\n') };
}

function runTests(args: readonly string[], values: Values, io: Io): Outcome {
  const files =
    args.length > 0
      ? args.map((a) => resolve(io.cwd, a))
      : readdirSync(POLICIES_DIR)
          .filter((f) => f.endsWith('.test.json'))
          .map((f) => join(POLICIES_DIR, f));
  if (files.length === 0) throw new UsageError('no policy test files found');
  const results = files.map((file) => {
    const checked = checkTestSuite(readJson(file, io.cwd));
    if (!checked.valid)
      throw new AdminError('invalid-policy', `${basename(file)} is malformed`, { errors: checked.errors });
    const policyFile = join(dirname(file), checked.suite.policy);
    const document = parsePolicy(readJson(policyFile, io.cwd));
    return {
      file: basename(file),
      policy: basename(policyFile),
      statements: document.statements.length,
      ...runSuite(document, checked.suite),
    };
  });
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const uncovered = results.reduce((n, r) => n + r.uncovered.length, 0);
  const text = results.map((r) => testText(`${r.file} → ${r.policy}`, r, r.statements)).join('\n');
  const rejected = failed > 0 || (values['require-coverage'] === true && uncovered > 0);
  return { result: { suites: results, failed, uncovered }, text, code: rejected ? EXIT.rejected : EXIT.ok };
}

/**
 * The environment a decision is explained in: --environment, else the target's (what its decision
 * function decides as), else prod for a bare --policy file; `source` says which, for the printout.
 */
function explainEnvironment(
  values: Values,
  target: Target | undefined,
): { name: Environment; source: string } {
  const given = values.environment;
  if (given !== undefined) {
    if (!ENVIRONMENTS.includes(given as Environment))
      throw new UsageError(`--environment must be one of ${ENVIRONMENTS.join(', ')}, got "${given}"`);
    return { name: given as Environment, source: '--environment' };
  }
  if (target?.environment) return { name: target.environment, source: target.description };
  if (target) {
    throw new UsageError(
      `cannot tell which environment ${target.description} serves; pass --environment <${ENVIRONMENTS.join('|')}>`,
    );
  }
  return { name: 'prod', source: 'default without a target; pass --environment to change it' };
}

function explainRequest(
  values: Values,
  environment: Environment,
): NonNullable<Extract<AdminRequest, { operation: 'dry-run' }>['requests']>[number] {
  let context: Record<string, unknown> | undefined;
  if (values.context !== undefined) {
    try {
      context = JSON.parse(values.context) as Record<string, unknown>;
    } catch {
      throw new UsageError('--context must be a JSON object, e.g. \'{"tenant":"acme"}\'');
    }
  }
  return {
    service: required('service', values.service),
    ...(values.caller === undefined ? {} : { caller: values.caller }),
    ...(values.tenant === undefined ? {} : { tenant: values.tenant }),
    intent: required('intent', values.intent),
    context,
    environment,
    time: values.time,
  };
}

async function command(name: string, args: readonly string[], values: Values, io: Io): Promise<Outcome> {
  const policySet = values.set ?? 'default';
  switch (name) {
    case 'validate':
      return validate(args, values, io);
    case 'test':
      return runTests(args, values, io);
    case 'explain': {
      if (values.policy !== undefined) {
        const environment = explainEnvironment(values, undefined);
        const request = explainRequest(values, environment.name);
        const document = readJson(values.policy, io.cwd);
        validateCandidate(document, undefined);
        const policy = compilePolicy(parsePolicy(document), null);
        const report = policy.explain(toDecisionRequest(request, 'request', Date.now()));
        return {
          result: { ...report, environment: environment.name },
          text: `${explanationText(report)}\n  environment: ${environment.name} (${environment.source})`,
          code: EXIT.ok,
        };
      }
      return withTarget(values, io, async (t) => {
        const environment = explainEnvironment(values, t);
        const report = (await t.execute({
          operation: 'dry-run',
          policySet,
          requests: [explainRequest(values, environment.name)],
        })) as DryRunReport;
        const decision = report.decisions[0] as Explanation;
        return {
          result: { ...decision, environment: environment.name },
          text: `${explanationText(decision)}\n  environment: ${environment.name} (${environment.source})`,
        };
      });
    }
    case 'push': {
      const file = positional(args, 0, 'the policy file: governance push <policy.json>');
      const expectedRevision = pushExpectedRevision(values, policySet);
      const reason = required('reason', values.reason);
      const sibling = resolve(io.cwd, file).replace(/\.json$/, '.test.json');
      const testsFile = values.tests ?? (existsSync(sibling) ? sibling : undefined);
      const request: AdminRequest = {
        operation: 'put',
        policySet,
        document: readJson(file, io.cwd),
        ...(testsFile ? { tests: readJson(testsFile, io.cwd) } : {}),
        expectedRevision,
        reason,
        ...(values['accept-impact'] === true ? { acceptImpact: true } : {}),
      };
      const gate = await pushGate(values, io);
      return withTarget(
        values,
        io,
        async (t) => {
          const out = (await t.execute(request)) as { revision: RevisionMetadata; tests?: TestOutcome };
          const r = out.revision;
          const uncovered = out.tests?.uncovered.length
            ? `; not exercised by any test: ${out.tests.uncovered.join(', ')}`
            : '';
          const tested = out.tests ? `, ${out.tests.passed} tests passed${uncovered}` : ', no tests';
          const lines = [
            `pushed ${policySet} revision ${r.revision} (parent ${r.parentRevision ?? '-'}${tested}): ${diffLine(r.diff)}`,
          ];
          if (r.impact) lines.push(impactLine(r.impact));
          return { result: out, text: lines.join('\n') };
        },
        gate,
      );
    }
    case 'get':
      return withTarget(values, io, async (t) => {
        const r = (await t.execute({
          operation: 'get',
          policySet,
          revision: optionalInteger('revision', values.revision),
        })) as PolicyRevision;
        return {
          result: r,
          text: `${policySet} revision ${r.revision} by ${r.actor} at ${r.createdAt}: "${r.reason}"\n${JSON.stringify(r.document, null, 2)}`,
        };
      });
    case 'revisions':
      return withTarget(values, io, async (t) => {
        const page = (await t.execute({
          operation: 'list',
          policySet,
          limit: optionalInteger('limit', values.limit),
          before: optionalInteger('before', values.before),
        })) as RevisionPage;
        if (page.revisions.length === 0 && values.before === undefined)
          throw new AdminError('not-found', `policy set ${policySet} has no revisions in ${t.description}`);
        const lines = [
          '  rev  parent  created                   actor  changes  reason',
          ...page.revisions.map(revisionLine),
        ];
        // Revisions count from 1: a page ending at revision 1 is the last one.
        if (page.nextBefore !== undefined && page.nextBefore > 1)
          lines.push(`more: ${olderRevisionsCommand(values, page.nextBefore)}`);
        return { result: page, text: lines.join('\n') };
      });
    case 'diff': {
      const usage = 'usage: governance diff <from-revision> <to-revision> [--set <name>]';
      const revision = (index: number, what: string) => {
        const value = args[index];
        const n = Number(value);
        if (value === undefined) throw new UsageError(`missing <${what}>; ${usage}`);
        if (!Number.isInteger(n) || n < 1)
          throw new UsageError(`<${what}> must be a revision number (1 or more), got "${value}"; ${usage}`);
        return n;
      };
      const from = revision(0, 'from-revision');
      const to = revision(1, 'to-revision');
      return withTarget(values, io, async (t) => {
        const d = (await t.execute({ operation: 'diff', policySet, from, to })) as RevisionDiff;
        return { result: d, text: diffText(d) };
      });
    }
    case 'rollback': {
      const toRevision = integer(
        'revision',
        positional(args, 0, 'the revision: governance rollback <revision>'),
        1,
      );
      const expectedRevision = integer('expected-revision', values['expected-revision'], 1);
      const reason = required('reason', values.reason);
      return withTarget(values, io, async (t) => {
        const out = (await t.execute({
          operation: 'rollback',
          policySet,
          toRevision,
          expectedRevision,
          reason,
        })) as {
          revision: RevisionMetadata;
          restored: number;
        };
        return {
          result: out,
          text: `rolled back ${policySet} to the content of revision ${out.restored} as revision ${out.revision.revision}: ${diffLine(out.revision.diff)}`,
        };
      });
    }
    case 'roles':
      return roles(args, values, io);
    case 'impact': {
      const named =
        values.table ??
        values.function ??
        values.url ??
        io.env.POLICY_TABLE_NAME ??
        io.env.GOVERNANCE_ADMIN_FUNCTION;
      return impactCommand(args, values, io, named ? () => targetOf(values, io) : undefined);
    }
    case 'whoami':
      return withTarget(values, io, async (t) => {
        const me = (await t.execute({ operation: 'whoami' })) as { principal: string; role: string | null };
        return { result: me, text: `${me.principal}: ${me.role ?? 'no role'}` };
      });
    default:
      throw unknownCommand(name, COMMANDS);
  }
}

const COMMANDS = [
  'validate',
  'test',
  'explain',
  'push',
  'get',
  'revisions',
  'diff',
  'rollback',
  'roles',
  'whoami',
  'impact',
] as const;

/** The options that chose the target, so a suggested command pastes and reaches the same store. */
function targetFlags(values: Values): string[] {
  const keys = ['endpoint', 'table', 'function', 'url', 'region', 'set'] as const;
  return keys.flatMap((key) => (values[key] === undefined ? [] : [`--${key}`, shellWord(values[key])]));
}

function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

function olderRevisionsCommand(values: Values, before: number): string {
  const limit = values.limit === undefined ? [] : ['--limit', values.limit];
  return ['governance', 'revisions', ...limit, '--before', String(before), ...targetFlags(values)].join(' ');
}

/**
 * A push names the head it expects; creating a set is said out loud (`--create-set`), since the
 * decision function reads only its configured set and a typo in --set would otherwise start a new one.
 */
function pushExpectedRevision(values: Values, policySet: string): number {
  const given = values['expected-revision'];
  if (values['create-set'] === true) {
    if (given !== undefined && given !== '0')
      throw new UsageError('--create-set writes revision 1: leave out --expected-revision (or give 0)');
    return 0;
  }
  const expected = integer('expected-revision', given);
  if (expected === 0) {
    throw new UsageError(
      `--expected-revision 0 creates policy set ${policySet}; say so with --create-set (the decision function reads only its POLICY_SET_NAME)`,
    );
  }
  return expected;
}

interface StoredRoles {
  readonly revision: number;
  readonly mapping?: RoleMapping;
  readonly roles?: RoleMapping;
}

function roles(args: readonly string[], values: Values, io: Io): Promise<Outcome> {
  const text = (r: StoredRoles) => {
    const m = r.mapping ?? r.roles;
    const source = r.revision === 0 ? 'from configuration' : `revision ${r.revision}`;
    const lines = [`role mapping (${source}):`];
    for (const field of ['admins', 'editors', 'viewers'] as const)
      lines.push(`  ${field}: ${m?.[field].join(', ') || '-'}`);
    return lines.join('\n');
  };
  const file = args[0];
  if (file === undefined) {
    return withTarget(values, io, async (t) => {
      const current = (await t.execute({ operation: 'get-roles' })) as StoredRoles;
      return { result: current, text: text(current) };
    });
  }
  const request: AdminRequest = {
    operation: 'put-roles',
    roles: readJson(file, io.cwd),
    expectedRevision: integer('expected-revision', values['expected-revision']),
    reason: required('reason', values.reason),
  };
  return withTarget(values, io, async (t) => {
    const stored = (await t.execute(request)) as StoredRoles;
    return { result: stored, text: text(stored) };
  });
}

async function withTarget(
  values: Values,
  io: Io,
  run: (target: Target) => Promise<Outcome>,
  impact?: TableTargetOptions['impact'],
): Promise<Outcome> {
  const target = targetOf(values, io, impact);
  try {
    return await run(target);
  } finally {
    target.close();
  }
}

/**
 * Runs the CLI; returns the exit code. User errors (bad flags, invalid policies, conflicts, roles)
 * print one clear message and never a stack trace; anything unexpected is reported as the store or
 * function being unavailable (exit 6).
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(argv, OPTIONS);
  } catch (error) {
    return report(error, json, io);
  }
  const values = parsed.values as Values;
  const [name, ...args] = parsed.positionals;
  if (values.help || name === undefined || name === 'help') {
    io.stdout.write(USAGE);
    return name === undefined && !values.help ? EXIT.usage : EXIT.ok;
  }
  try {
    const outcome = await command(name, args, values, io);
    io.stdout.write(`${json ? JSON.stringify(outcome.result, null, 2) : outcome.text}\n`);
    return outcome.code ?? EXIT.ok;
  } catch (error) {
    return report(error, json, io);
  }
}

/** Every failure as the admin API reports it, so `--json` errors have one shape whatever went wrong. */
function asAdminError(error: unknown): AdminError {
  if (error instanceof AdminError) return error;
  if (error instanceof UsageError) return new AdminError('bad-request', error.message);
  const message = error instanceof Error ? error.message : String(error);
  return new AdminError('unavailable', `policy store or admin function unavailable: ${message}`);
}

/**
 * The CLI's words for a conflict: the flag to retry with (`--expected-revision N`, not the API's
 * `expectedRevision`), or the existing set's head when --create-set met one.
 */
function conflictMessage(error: AdminError): string {
  const head = error.details.headRevision;
  if (typeof head !== 'number') return error.message;
  const what = error.message.split('; nothing was written')[0];
  return error.details.expectedRevision === 0
    ? `${what}; nothing was written: the set already exists, push with --expected-revision ${head} after reviewing revision ${head}`
    : `${what}; nothing was written. Review revision ${head} (governance get --revision ${head}), reapply your change and retry with --expected-revision ${head}`;
}

/** The problem document, exit code and human lines of a failure. */
function describe(error: unknown): { problem: Record<string, unknown>; code: number; lines: string[] } {
  const admin = asAdminError(error);
  const errors = Array.isArray(admin.details.errors) ? admin.details.errors.map((e) => `  ${String(e)}`) : [];
  const tests = (admin.details.tests as TestOutcome | undefined)?.results ?? [];
  const failures = tests.filter((r) => !r.passed).map((r) => `  ✗ ${r.name}: ${r.message ?? ''}`);
  const flips = ((admin.details.impact as WindowImpact | undefined)?.flips ?? []).flatMap(groupLines);
  const message = admin.code === 'conflict' ? conflictMessage(admin) : admin.message;
  // A usage mistake is one line; the pointer to --help only when no suggestion says it already.
  const usageHint =
    admin.code === 'bad-request' && !/did you mean|usage:/.test(message)
      ? ' (governance --help for usage)'
      : '';
  return {
    problem: { ...admin.toProblem(), detail: message },
    code: admin.exitCode,
    lines: [`error: ${message}${usageHint}`, ...errors, ...failures, ...flips],
  };
}

function report(error: unknown, json: boolean, io: Io): number {
  const { problem, code, lines } = describe(error);
  if (json) io.stdout.write(`${JSON.stringify({ error: problem, exitCode: code }, null, 2)}\n`);
  else io.stderr.write(`${lines.join('\n')}\n`);
  return code;
}
