/**
 * Metric names the admin handler emits and the admin alarm watches (namespace `AxonOrbit`,
 * dimensions Service, Environment). A module of its own so CDK code can import it without loading
 * the handler's dependencies.
 */
export const ADMIN_METRICS = {
  namespace: 'AxonOrbit',
  service: 'governance-admin',
  requests: 'AdminRequests',
  rejected: 'AdminRejected',
  errors: 'AdminErrors',
} as const;
