import { INTENT_PATTERN } from '../../contracts/intent.js';
import { type BucketLimit, parseRateLimits, type RateLimits } from '../../contracts/rate-limits.js';
import { ConfigError } from './errors.js';
import type { EnvironmentName } from './types.js';

/** One machine caller of Orbit (OAuth2 client credentials). */
export interface CallerConfig {
  /**
   * Cognito: the app client's name (its client id is generated at deploy). External issuer: the
   * client id its tokens carry in the client id claim.
   */
  readonly name: string;
  /** Intent classes the caller is granted a scope for (`reason` → scope `orbit/reason`). */
  readonly intentClasses: readonly string[];
  /** Orbit's limits for this caller per intent class (`*`: any class), per Orbit task; absent: the default. */
  readonly rateLimits?: Readonly<Record<string, BucketLimit>>;
}

/** Who issues caller tokens: a Cognito user pool this environment creates, or an issuer it trusts. */
export type CallerIssuerConfig =
  | {
      readonly kind: 'cognito';
      /**
       * Prefix of the pool's domain `https://<prefix>.auth.<region>.amazoncognito.com`, whose
       * `/oauth2/token` endpoint serves client-credentials tokens. Unique per region across AWS.
       */
      readonly domainPrefix: string;
    }
  | {
      readonly kind: 'external';
      /** The tokens' `iss`, exactly (https URL). */
      readonly issuer: string;
      /** The issuer's JWKS (https URL, reachable from the VPC's NAT gateways). */
      readonly jwksUrl: string;
      /** The tokens' `aud`; absent: not checked. */
      readonly audience?: string;
      /** The claim naming the client (RFC 9068: `client_id`). */
      readonly clientIdClaim: string;
      /** The claim naming the caller's tenant; absent: callers have no tenant. */
      readonly tenantClaim?: string;
    };

/** AWS WAF's rate-based rule on the internal ALB: the fleet-wide backstop behind Orbit's per-task limits. */
export interface WafRateConfig {
  /** Requests one client IP may send within `windowSeconds` before WAF blocks it (10 to 2,000,000,000). */
  readonly limit: number;
  /** WAF's evaluation window: 60, 120, 300 or 600 seconds. */
  readonly windowSeconds: 60 | 120 | 300 | 600;
}

/** Who may call Orbit, and how much. */
export interface CallersConfig {
  readonly issuer: CallerIssuerConfig;
  /** The resource server's identifier: scopes are `<resourceServer>/<intent class>`. */
  readonly resourceServer: string;
  /** The intent classes the resource server defines a scope for. */
  readonly intentClasses: readonly string[];
  readonly callers: readonly CallerConfig[];
  /** Orbit's limits of any caller without its own, per intent class; `*` is required. */
  readonly defaultRateLimits: Readonly<Record<string, BucketLimit>>;
  readonly waf: WafRateConfig;
}

const callers: readonly CallerConfig[] = [
  { name: 'demo-app', intentClasses: ['reason'] },
  { name: 'batch-reports', intentClasses: ['reason'], rateLimits: { reason: { perSecond: 20, burst: 40 } } },
];
const defaultRateLimits = { '*': { perSecond: 50, burst: 100 } };
const cognito = (prefix: string): CallerIssuerConfig => ({
  kind: 'cognito',
  domainPrefix: `${prefix}-callers`,
});

export const CALLERS: Readonly<Record<EnvironmentName, CallersConfig>> = {
  dev: {
    issuer: cognito('axon-orbit-dev'),
    resourceServer: 'orbit',
    intentClasses: ['reason'],
    callers,
    defaultRateLimits,
    waf: { limit: 6_000, windowSeconds: 60 },
  },
  staging: {
    issuer: cognito('axon-orbit-staging'),
    resourceServer: 'orbit',
    intentClasses: ['reason'],
    callers,
    defaultRateLimits,
    waf: { limit: 12_000, windowSeconds: 60 },
  },
  prod: {
    issuer: cognito('axon-orbit-prod'),
    resourceServer: 'orbit',
    intentClasses: ['reason'],
    callers,
    defaultRateLimits,
    waf: { limit: 36_000, windowSeconds: 60 },
  },
};

/** Orbit's `RATE_LIMITS` document, each caller keyed by its name (Orbit names callers before limiting them). */
export function rateLimitsOf(config: CallersConfig): RateLimits {
  const limits: Record<string, Readonly<Record<string, BucketLimit>>> = {};
  for (const caller of config.callers) {
    if (caller.rateLimits !== undefined) limits[caller.name] = caller.rateLimits;
  }
  return { default: config.defaultRateLimits, callers: limits };
}

/** A caller name: a Cognito app client name and a CloudFormation id, and a client id Orbit accepts. */
const CALLER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Cognito domain prefixes: lower-case letters, digits and inner hyphens; no reserved words. */
const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED_IN_DOMAIN = ['aws', 'amazon', 'cognito'] as const;
const RESOURCE_SERVER = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const WAF_WINDOWS: readonly number[] = [60, 120, 300, 600];
/** ALB JWT verification and Orbit fetch over TLS only. */
const HTTPS_URL = /^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/;
const CLAIM = /^[A-Za-z0-9_:.-]{1,64}$/;

function isIntentClass(value: string): boolean {
  return INTENT_PATTERN.test(value) && !value.includes(':');
}

function validateIssuer(field: string, issuer: CallerIssuerConfig): void {
  if (issuer.kind === 'cognito') {
    const reserved = RESERVED_IN_DOMAIN.find((word) => issuer.domainPrefix.includes(word));
    if (!DOMAIN_PREFIX.test(issuer.domainPrefix) || reserved !== undefined) {
      throw new ConfigError(
        `${field}.domainPrefix`,
        `must be 1-63 lower-case letters, digits and inner hyphens without "aws", "amazon" or "cognito", got "${issuer.domainPrefix}"`,
      );
    }
    return;
  }
  for (const key of ['issuer', 'jwksUrl'] as const) {
    if (!HTTPS_URL.test(issuer[key])) {
      throw new ConfigError(`${field}.${key}`, `must be an https:// URL, got "${issuer[key]}"`);
    }
  }
  for (const key of ['clientIdClaim', 'tenantClaim'] as const) {
    const claim = issuer[key];
    if (claim !== undefined && !CLAIM.test(claim)) {
      throw new ConfigError(`${field}.${key}`, `must be a claim name such as client_id, got "${claim}"`);
    }
  }
  if (issuer.audience !== undefined && issuer.audience.trim() === '') {
    throw new ConfigError(`${field}.audience`, 'must not be empty (omit it to skip the check)');
  }
}

function validateCaller(field: string, caller: CallerConfig, intentClasses: readonly string[]): void {
  if (!CALLER_NAME.test(caller.name)) {
    throw new ConfigError(
      `${field}.name`,
      `must be 1-63 lower-case letters, digits and hyphens, starting with a letter or digit, got "${caller.name}"`,
    );
  }
  if (caller.intentClasses.length === 0) {
    throw new ConfigError(`${field}.intentClasses`, 'must name at least one intent class');
  }
  caller.intentClasses.forEach((intentClass, i) => {
    if (!intentClasses.includes(intentClass)) {
      throw new ConfigError(
        `${field}.intentClasses[${i}]`,
        `"${intentClass}" has no scope; the resource server defines: ${intentClasses.join(', ')}`,
      );
    }
  });
}

/** Checks limits with the parser Orbit starts with, so the CDK never writes a document Orbit refuses. */
function checkLimits(field: string, limits: Readonly<Record<string, BucketLimit>>, isDefault: boolean): void {
  const anyCaller = { '*': { perSecond: 1, burst: 1 } };
  const document = isDefault ? { default: limits } : { default: anyCaller, callers: { caller: limits } };
  try {
    parseRateLimits(JSON.stringify(document), 'RATE_LIMITS');
  } catch (error) {
    // The parser names the field inside its document: `RATE_LIMITS.default.*.burst must ...`.
    const message = (error as Error).message;
    const at = message.indexOf(' ');
    const inner = message.slice(0, at).replace(/^RATE_LIMITS\.(default|callers\.caller)/, '');
    throw new ConfigError(`${field}${inner}`, message.slice(at + 1));
  }
}

/** Throws a `ConfigError` naming the first invalid field of `<env>.callers`. */
export function validateCallers(env: string, config: CallersConfig): void {
  const field = `${env}.callers`;
  validateIssuer(`${field}.issuer`, config.issuer);
  if (!RESOURCE_SERVER.test(config.resourceServer)) {
    throw new ConfigError(
      `${field}.resourceServer`,
      `must be 1-64 lower-case letters, digits, ".", "_" and "-", got "${config.resourceServer}"`,
    );
  }
  if (config.intentClasses.length === 0 || config.intentClasses.length > 25) {
    throw new ConfigError(
      `${field}.intentClasses`,
      `must name 1 to 25 intent classes, got ${config.intentClasses.length}`,
    );
  }
  config.intentClasses.forEach((intentClass, i) => {
    if (!isIntentClass(intentClass)) {
      throw new ConfigError(
        `${field}.intentClasses[${i}]`,
        `must be one intent segment such as "reason", got "${intentClass}"`,
      );
    }
  });
  if (config.callers.length === 0) {
    throw new ConfigError(`${field}.callers`, 'must name at least one caller: Orbit admits nobody else');
  }
  const seen = new Set<string>();
  config.callers.forEach((caller, i) => {
    validateCaller(`${field}.callers[${i}]`, caller, config.intentClasses);
    if (seen.has(caller.name)) {
      throw new ConfigError(`${field}.callers[${i}].name`, `"${caller.name}" is configured twice`);
    }
    seen.add(caller.name);
  });
  checkLimits(`${field}.defaultRateLimits`, config.defaultRateLimits, true);
  config.callers.forEach((caller, i) => {
    if (caller.rateLimits !== undefined) {
      checkLimits(`${field}.callers[${i}].rateLimits`, caller.rateLimits, false);
    }
  });
  const { waf } = config;
  if (!Number.isInteger(waf.limit) || waf.limit < 10 || waf.limit > 2_000_000_000) {
    throw new ConfigError(`${field}.waf.limit`, `must be an integer from 10 to 2000000000, got ${waf.limit}`);
  }
  if (!WAF_WINDOWS.includes(waf.windowSeconds)) {
    throw new ConfigError(
      `${field}.waf.windowSeconds`,
      `must be one of ${WAF_WINDOWS.join(', ')} (WAF's evaluation windows), got ${waf.windowSeconds}`,
    );
  }
}
