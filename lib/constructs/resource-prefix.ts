/** Physical-name prefixes a construct may put in front of table, alias and role names. */
const RESOURCE_PREFIX = /^[a-z0-9-]{1,40}$/;

/** Throws, naming the construct, unless `prefix` is 1–40 lower-case letters, digits or '-'. */
export function assertResourcePrefix(construct: string, prefix: string): void {
  if (!RESOURCE_PREFIX.test(prefix)) {
    throw new Error(`${construct} prefix must be 1–40 lower-case letters, digits or '-', got "${prefix}"`);
  }
}
