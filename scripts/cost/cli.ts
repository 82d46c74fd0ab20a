import { parseArgs } from 'node:util';
import { ENVIRONMENT_NAMES, isEnvironmentName } from '../../contracts/environments.js';
import { stageNames } from './assembly.js';
import { CostInputError } from './errors.js';
import { type Estimate, estimate } from './estimate.js';
import { type EnvironmentDiff, formatDiffMarkdown, formatText, toJson } from './report.js';

const USAGE =
  'usage: npm run cost -- --env <env> [--usage <file>] [--assembly <dir>] [--json]\n' +
  '       npm run cost -- --diff --base <base cdk.out> --head <head cdk.out> [--markdown | --json]';

function checkEnv(env: string | undefined): string {
  if (env === undefined)
    throw new CostInputError(`--env is required (one of ${ENVIRONMENT_NAMES.join(', ')})`);
  if (!isEnvironmentName(env)) {
    throw new CostInputError(`unknown environment ${env}; expected one of ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  return env;
}

/** Each platform environment present in either assembly, priced on both sides with its default usage. */
function diff(baseDir: string, headDir: string): EnvironmentDiff[] {
  const inBase = new Set(stageNames(baseDir));
  const inHead = new Set(stageNames(headDir));
  const price = (dir: string, env: string, present: Set<string>): Estimate | undefined =>
    present.has(env) ? estimate({ assemblyDir: dir, env }) : undefined;
  return ENVIRONMENT_NAMES.filter((env) => inBase.has(env) || inHead.has(env)).map((env) => ({
    env,
    base: price(baseDir, env, inBase),
    head: price(headDir, env, inHead),
  }));
}

/** Runs the command; returns the exit code (0 printed, 2 bad input). */
export function run(
  argv: readonly string[],
  out: (text: string) => void,
  err: (text: string) => void,
): number {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        env: { type: 'string' },
        usage: { type: 'string' },
        assembly: { type: 'string', default: 'cdk.out' },
        json: { type: 'boolean', default: false },
        diff: { type: 'boolean', default: false },
        base: { type: 'string' },
        head: { type: 'string' },
        markdown: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.diff) {
      if (!values.base || !values.head)
        throw new CostInputError('--diff needs --base <dir> and --head <dir>');
      const diffs = diff(values.base, values.head);
      out(
        values.json
          ? JSON.stringify(
              diffs.map(({ env, base, head }) => ({ env, base: base?.total ?? 0, head: head?.total ?? 0 })),
              null,
              2,
            )
          : formatDiffMarkdown(diffs),
      );
      return 0;
    }
    const result = estimate({
      assemblyDir: values.assembly,
      env: checkEnv(values.env),
      usageFile: values.usage,
    });
    out(values.json ? JSON.stringify(toJson(result), null, 2) : formatText(result));
    return 0;
  } catch (error) {
    if (error instanceof CostInputError) {
      err(`cost: ${error.message}`);
      return 2;
    }
    // parseArgs refuses unknown or malformed options with a coded TypeError.
    if (String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      err(`cost: ${(error as Error).message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}
