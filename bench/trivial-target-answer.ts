/** The `service` the trivial target names in every answer, by which the bench knows who answered. */
export const TRIVIAL_TARGET_SERVICE = 'trivial-target';
