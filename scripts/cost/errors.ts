/** A mistake the user can fix (missing assembly, unknown environment, bad usage file): one line, exit 2. */
export class CostInputError extends Error {
  override readonly name = 'CostInputError';
}
