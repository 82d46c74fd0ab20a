/** A configuration mistake. The message names the field and what would have been accepted. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${field} ${problem}`);
    this.name = 'ConfigError';
  }
}
