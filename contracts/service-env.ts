/**
 * The environment variables each runtime reads. The CDK sets them, the local platform sets them,
 * and the runtime's config loader reads them, all by these names.
 */

/** Read by both services. */
export const SERVICE_ENV = {
  port: 'PORT',
  host: 'HOST',
  region: 'AWS_REGION',
  logLevel: 'LOG_LEVEL',
  environment: 'ENVIRONMENT',
  tracesEndpoint: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  shutdownDrainMs: 'SHUTDOWN_DRAIN_MS',
  keyRefreshMs: 'KEY_REFRESH_MS',
  /** Local platform only: secrets come from JSON files in this directory instead of Secrets Manager. */
  localSecretsDir: 'LOCAL_SECRETS_DIR',
} as const;

/** Decision tokens, read by Axon (verifies) and the decision function (signs). */
const DECISION_TOKEN_ENV = {
  /** Governance: the KMS key (ARN) that signs. Axon: the comma-separated key ARNs whose tokens it trusts. */
  decisionTokenKeyId: 'DECISION_TOKEN_KEY_ID',
  /** Local stand-in for KMS: a JSON file `{kid, privateKeyPem, publicKeyPem}`. */
  decisionTokenLocalKeyFile: 'DECISION_TOKEN_LOCAL_KEY_FILE',
} as const;

export const AXON_ENV = {
  ...SERVICE_ENV,
  ...DECISION_TOKEN_ENV,
  verificationSecretId: 'VERIFICATION_SECRET_ID',
  /** The replay table's name (unset: a per-process cache, local use only). */
  replayTableName: 'REPLAY_TABLE_NAME',
  /** How long one replay-store write may take before the request is refused (ms). */
  replayTimeoutMs: 'REPLAY_TIMEOUT_MS',
} as const;

export const ORBIT_ENV = {
  ...SERVICE_ENV,
  axonUrl: 'AXON_URL',
  governanceFunctionName: 'GOVERNANCE_FUNCTION_NAME',
  governanceTimeoutMs: 'GOVERNANCE_TIMEOUT_MS',
  governanceCacheTtlMs: 'GOVERNANCE_CACHE_TTL_MS',
  signingSecretId: 'SIGNING_SECRET_ID',
  axonTimeoutMs: 'AXON_TIMEOUT_MS',
  axonRetries: 'AXON_RETRIES',
  breakerThreshold: 'BREAKER_THRESHOLD',
  breakerHalfOpenMs: 'BREAKER_HALF_OPEN_MS',
  /** Expected `iss` of caller access tokens, exactly. */
  authIssuer: 'AUTH_ISSUER',
  /** Where the issuer publishes its signing keys. */
  authJwksUrl: 'AUTH_JWKS_URL',
  /** Expected `aud`; unset skips the check (Cognito access tokens carry no `aud`). */
  authAudience: 'AUTH_AUDIENCE',
  /** The claim naming the OAuth client (default `client_id`). */
  authClientIdClaim: 'AUTH_CLIENT_ID_CLAIM',
  /** The claim naming the caller's tenant; unset: callers have no tenant. */
  authTenantClaim: 'AUTH_TENANT_CLAIM',
  /**
   * JSON `{"<client id>": "<caller name>"}` (contracts/caller-names.ts): Orbit names a verified caller
   * by its configured name and refuses a client id missing from the map. Unset: the client id is the
   * caller's name (an external issuer whose client ids policies can name as they are).
   */
  callerNames: 'CALLER_NAMES',
  /** Comma-separated claims every token must carry (e.g. `token_use`). */
  authRequiredClaims: 'AUTH_REQUIRED_CLAIMS',
  authClockToleranceS: 'AUTH_CLOCK_TOLERANCE_S',
  authJwksCacheMaxAgeMs: 'AUTH_JWKS_CACHE_MAX_AGE_MS',
  authJwksCooldownMs: 'AUTH_JWKS_COOLDOWN_MS',
  /** Per-caller token buckets, JSON `{default: {<intent class>: {perSecond, burst}}, callers: {...}}`. */
  rateLimits: 'RATE_LIMITS',
} as const;

/** The decision function. */
export const DECISION_FUNCTION_ENV = {
  tableName: 'POLICY_TABLE_NAME',
  policySet: 'POLICY_SET_NAME',
  cacheTtlMs: 'POLICY_CACHE_TTL_MS',
  environment: 'ENVIRONMENT',
  ...DECISION_TOKEN_ENV,
  /** Token lifetime in seconds; set to Orbit's decision-cache TTL. */
  decisionTokenTtlS: 'DECISION_TOKEN_TTL_S',
} as const;

/** The policy administration function. */
export const ADMIN_FUNCTION_ENV = {
  tableName: 'POLICY_TABLE_NAME',
  environment: 'ENVIRONMENT',
  roles: 'ADMIN_ROLES',
  /** The decision function's log group, whose decision lines dry runs and puts replay. */
  decisionLogGroup: 'DECISION_LOG_GROUP',
  /** More flips than this (in the window) refuse a put that does not accept its impact. */
  impactMaxFlips: 'IMPACT_MAX_FLIPS',
  /** Hours of recorded decisions a put is checked against (and a dry run replays by default). */
  impactWindowHours: 'IMPACT_WINDOW_HOURS',
} as const;

/** The signing-key rotation function. */
export const ROTATION_FUNCTION_ENV = {
  verificationSecretId: 'VERIFICATION_SECRET_ID',
} as const;

/** The weekly SLO report function. */
export const SLO_REPORT_FUNCTION_ENV = {
  environment: 'ENVIRONMENT',
  /** The Orbit ALB's CloudWatch `LoadBalancer` dimension, `app/<name>/<id>`. */
  loadBalancer: 'LOAD_BALANCER_DIMENSION',
  /** The SLO targets (contracts/slo.ts `SloConfig`) as JSON. */
  sloTargets: 'SLO_TARGETS',
  /** The warning alarm topic that receives the summary. */
  summaryTopicArn: 'SUMMARY_TOPIC_ARN',
  /** The log-archive bucket that keeps the JSON reports. */
  reportBucket: 'REPORT_BUCKET',
} as const;
