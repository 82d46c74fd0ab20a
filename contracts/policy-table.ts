/**
 * The policy table's key layout, shared by the store, the seeding helper and the CDK table so the
 * three cannot drift: `PK=POLICYSET#<name>`, `SK=REV#<10-digit zero-padded revision>`.
 */
export const PARTITION_KEY = 'PK';
export const SORT_KEY = 'SK';

/** A policy set name: lowercase, digits, `_` and `-`, e.g. `default`. */
export const POLICY_SET_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Ten digits of zero padding keep lexical order equal to numeric order up to 9,999,999,999. */
export const MAX_REVISION = 9_999_999_999;

export function policySetKey(policySet: string): string {
  return `POLICYSET#${policySet}`;
}

export function revisionKey(revision: number): string {
  return `REV#${String(revision).padStart(10, '0')}`;
}
