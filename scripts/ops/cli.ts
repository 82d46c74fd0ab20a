import { parseArgs } from 'node:util';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ENVIRONMENT_NAMES, type EnvironmentName, isEnvironmentName } from '../../contracts/environments.js';
import { ConfigError, type EnvironmentConfig, loadConfig, type ProcessEnv } from '../../lib/config/index.js';
import type { AwsClients } from './aws.js';
import { CREDENTIALS_HINT, describeAwsError, isCredentialsError } from './aws-errors.js';
import { type Check, EXIT, exitCodeOf, runChecks, runChecksInOrder } from './checks.js';
import { DeployedStacks } from './deployed-stacks.js';
import type { Clock } from './poll.js';
import { type CommandError, type CommandReport, formatJson, formatTable, summarize } from './report.js';

/** A mistake in how the command was called (unknown option, environment or alarm): exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Everything a command's checks may use, resolved once before any check runs. */
export interface CommandContext {
  readonly config: EnvironmentConfig;
  readonly env: ProcessEnv;
  readonly aws: AwsClients;
  readonly stacks: DeployedStacks;
  /** The account the credentials belong to (and the configured one, when configured). */
  readonly account: string;
  /** `aws`, `aws-cn`, `aws-us-gov`: from the caller's ARN, for building ARNs. */
  readonly partition: string;
  readonly clock: Clock;
}

export interface OperatorCommand {
  readonly name: string;
  /** What it is for, first line of `--help`. */
  readonly summary: string;
  /** Options besides `--env`, `--json` and `--help`, with their usage text. */
  readonly options?: Readonly<Record<string, { readonly type: 'string'; readonly usage: string }>>;
  /** The IAM actions the command calls, printed by `--help` so an operator role can be granted them. */
  readonly permissions: readonly string[];
  /** Checks that change nothing run concurrently; `sequential` runs them in order (drills). */
  readonly sequential?: boolean;
  checks(context: CommandContext, options: Readonly<Record<string, string | undefined>>): Promise<Check[]>;
}

export interface CliDeps {
  readonly env: ProcessEnv;
  readonly clients: (region: string) => AwsClients;
  readonly clock: Clock;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export function usageOf(command: OperatorCommand): string {
  const extra = Object.entries(command.options ?? {});
  const synopsis = extra.map(([name]) => ` [--${name} <${name}>]`).join('');
  return [
    `usage: npm run ${command.name} -- --env <${ENVIRONMENT_NAMES.join('|')}>${synopsis} [--json]`,
    '',
    command.summary,
    '  --env    the environment (account and region from lib/config and <ENV>_ACCOUNT_ID / <ENV>_REGION)',
    ...extra.map(([name, o]) => `  --${name.padEnd(6)} ${o.usage}`),
    '  --json   one JSON document (shape in scripts/ops/report.ts) instead of the table',
    'exit codes: 0 every check passed, 1 a check failed or could not run, 2 usage, configuration or credentials',
    `IAM actions used: ${command.permissions.join(', ')}`,
  ].join('\n');
}

interface Parsed {
  readonly envName: string | undefined;
  readonly json: boolean;
  readonly help: boolean;
  readonly options: Readonly<Record<string, string | undefined>>;
}

function parse(command: OperatorCommand, argv: readonly string[]): Parsed {
  const extra = Object.fromEntries(Object.keys(command.options ?? {}).map((k) => [k, { type: 'string' }]));
  // `--json` is honoured even when the rest of the line is wrong, so scripts always get JSON back.
  const json = argv.includes('--json');
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        env: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        ...(extra as Record<string, { type: 'string' }>),
      },
      strict: true,
      allowPositionals: false,
    });
    const options = Object.fromEntries(
      Object.keys(command.options ?? {}).map((k) => [
        k,
        (values as Record<string, unknown>)[k] as string | undefined,
      ]),
    );
    return { envName: values.env, json, help: values.help === true, options };
  } catch (thrown) {
    throw Object.assign(new UsageError(firstLine(thrown)), { json });
  }
}

function firstLine(thrown: unknown): string {
  const { message } = thrown as { message?: unknown };
  if (typeof message !== 'string') return String(thrown);
  return message.split('\n')[0] ?? message;
}

/** Ends a command before its checks run (exit 2), with the one line that says why. */
class Stop extends Error {
  constructor(
    readonly kind: CommandError['kind'],
    message: string,
  ) {
    super(message);
  }
}

interface KnownSoFar {
  environment: string | null;
  region: string | null;
  account: string | null;
}

function environmentOf(envName: string | undefined): EnvironmentName {
  if (envName === undefined)
    throw new Stop('usage', `--env is required; one of ${ENVIRONMENT_NAMES.join(', ')}`);
  if (!isEnvironmentName(envName)) {
    throw new Stop(
      'usage',
      `unknown environment "${envName}"; valid environments: ${ENVIRONMENT_NAMES.join(', ')}`,
    );
  }
  return envName;
}

function configOf(name: EnvironmentName, env: ProcessEnv): EnvironmentConfig {
  try {
    return loadConfig(name, env);
  } catch (thrown) {
    if (thrown instanceof ConfigError) throw new Stop('config', thrown.message);
    throw thrown;
  }
}

/** Who the credentials are, proven by STS, and that they belong to the configured account. */
async function identify(
  aws: AwsClients,
  config: EnvironmentConfig,
): Promise<{ account: string; partition: string }> {
  let caller: { Account?: string; Arn?: string };
  try {
    caller = await aws.sts.send(new GetCallerIdentityCommand({}));
  } catch (thrown) {
    if (isCredentialsError(thrown)) throw new Stop('credentials', CREDENTIALS_HINT);
    throw new Stop('credentials', `could not verify the credentials: ${describeAwsError(thrown).detail}`);
  }
  const account = caller.Account ?? '';
  if (config.account !== undefined && config.account !== account) {
    throw new Stop(
      'credentials',
      `the credentials are for account ${account} but ${config.name} is configured for ${config.account}; switch profile or role`,
    );
  }
  return { account, partition: caller.Arn?.split(':')[1] ?? 'aws' };
}

/** Resolves everything the checks need; fills `partial` as it learns, for the error report. */
async function contextOf(parsed: Parsed, deps: CliDeps, partial: KnownSoFar): Promise<CommandContext> {
  const name = environmentOf(parsed.envName);
  partial.environment = name;
  const config = configOf(name, deps.env);
  partial.region = config.region;
  const aws = deps.clients(config.region);
  const identity = await identify(aws, config);
  partial.account = identity.account;
  return {
    config,
    env: deps.env,
    aws,
    stacks: new DeployedStacks(aws.cloudFormation, config.prefix, config.name),
    account: identity.account,
    partition: identity.partition,
    clock: deps.clock,
  };
}

/** The checks to run; a failure to find them (a denied call, a missing stack) becomes one failed row. */
async function checksOf(command: OperatorCommand, context: CommandContext, parsed: Parsed): Promise<Check[]> {
  try {
    return await command.checks(context, parsed.options);
  } catch (thrown) {
    if (thrown instanceof UsageError) throw new Stop('usage', thrown.message);
    return [{ id: 'discover', title: `find what ${command.name} checks`, run: () => Promise.reject(thrown) }];
  }
}

/**
 * Runs an operator command: parse, resolve the environment's config, prove the credentials work
 * (and belong to the configured account), resolve and run the checks, print the table or JSON.
 * Returns the exit code: 0 all passed, 1 a check failed or errored, 2 usage/config/credentials.
 */
export async function runCommand(
  command: OperatorCommand,
  argv: readonly string[],
  deps: CliDeps,
): Promise<number> {
  const partial: KnownSoFar = { environment: null, region: null, account: null };
  let json = argv.includes('--json');
  let checks: Check[];
  try {
    let parsed: Parsed;
    try {
      parsed = parse(command, argv);
    } catch (thrown) {
      throw new Stop('usage', `${firstLine(thrown)} (see --help)`);
    }
    json = parsed.json;
    if (parsed.help) {
      deps.out(usageOf(command));
      return EXIT.ok;
    }
    checks = await checksOf(command, await contextOf(parsed, deps, partial), parsed);
  } catch (thrown) {
    if (!(thrown instanceof Stop)) throw thrown;
    const report: CommandReport = {
      command: command.name,
      ...partial,
      exitCode: EXIT.usage,
      summary: summarize([]),
      checks: [],
      error: { kind: thrown.kind, message: thrown.message },
    };
    if (json) deps.out(formatJson(report));
    else deps.err(formatTable(report).join('\n'));
    return EXIT.usage;
  }
  const results = command.sequential ? await runChecksInOrder(checks) : await runChecks(checks);
  const report: CommandReport = {
    command: command.name,
    ...partial,
    exitCode: exitCodeOf(results),
    summary: summarize(results),
    checks: results,
    error: null,
  };
  deps.out(json ? formatJson(report) : formatTable(report).join('\n'));
  return report.exitCode;
}
