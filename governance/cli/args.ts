import { parseArgs } from 'node:util';
import { didYouMean } from '../../lambdas/governance/engine/index.js';

/** A mistake in how the CLI was called: one line on stderr, exit code 2. */
export class UsageError extends Error {}

export type OptionSpec = Readonly<
  Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>
>;

/**
 * Parses the command line against `options`, reporting each mistake in one line the user can act on
 * (`unknown option --reasn (did you mean --reason?)`, `--reason needs a value`) instead of Node's
 * parser text. A string option directly followed by another option has no value (`--reason --json`);
 * `--reason=--json` passes that text on purpose, as `--max-flips=-1` passes a value starting with a
 * dash (which the command then judges).
 */
export function parseCommandLine(
  argv: readonly string[],
  options: OptionSpec,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const known = Object.keys(options).map((name) => `--${name}`);
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (spec === undefined) {
      throw new UsageError(`unknown option ${token.rawName}${didYouMean(`--${token.name}`, known, '')}`);
    }
    if (spec.type === 'string') checkStringValue(token.rawName, token.value, token.inlineValue === true);
    else if (token.inlineValue) throw new UsageError(`${token.rawName} takes no value`);
  }
  const parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  return {
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
  };
}

/** Throws the one line saying what is wrong with a string option's value, if anything is. */
function checkStringValue(rawName: string, value: string | undefined, inline: boolean): void {
  if (value === undefined || (!inline && value.startsWith('--'))) {
    throw new UsageError(`${rawName} needs a value`);
  }
  // Node's strict parser takes `--x -1` for a forgotten value; the `=` form says it is one.
  if (!inline && value.startsWith('-')) {
    throw new UsageError(`${rawName} ${value}: write a value starting with "-" as ${rawName}=${value}`);
  }
}

/** One line for an unknown command, with the closest known one. */
export function unknownCommand(name: string, commands: readonly string[]): UsageError {
  return new UsageError(`unknown command "${name}"${didYouMean(name, commands)}`);
}
