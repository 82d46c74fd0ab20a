import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ORBIT_ENV } from '../../contracts/service-env.js';
import { type CallerConfig, type EnvironmentConfig, rateLimitsOf, removalPolicyOf } from '../config/index.js';
import { acknowledge } from '../nag.js';

export interface CallerIdentityProps {
  /** Reads `config.callers` (issuer, callers, scopes, limits) and the prefix and removal policy. */
  readonly config: EnvironmentConfig;
}

/** One claim the ALB checks beyond `iss`, `exp`, `nbf` and `iat` (CloudFormation's AdditionalClaims). */
export interface RequiredClaim {
  readonly name: string;
  readonly format: 'single-string' | 'string-array' | 'space-separated-values';
  readonly values: readonly string[];
}

/** How Cognito names client-credentials access tokens' claims. */
const COGNITO_CLIENT_ID_CLAIM = 'client_id';
const COGNITO_ACCESS_TOKEN = { name: 'token_use', value: 'access' } as const;
/** Client-credentials tokens live this long; callers fetch a new one per hour at most. */
const ACCESS_TOKEN_VALIDITY = Duration.minutes(60);

/**
 * Who may call Orbit. By default an Amazon Cognito user pool of this environment: no users, a
 * resource server with one scope per intent class, a domain serving the client-credentials token
 * endpoint, and one app client (with a generated secret) per configured caller. Or, by config, an
 * external issuer this environment only trusts. Either way it says what Orbit's tasks and the ALB
 * verify tokens against.
 */
export class CallerIdentity extends Construct {
  /** The tokens' `iss`, exactly. */
  readonly issuer: string;
  readonly jwksUrl: string;
  /** Expected `aud`; undefined: not checked (Cognito access tokens carry none). */
  readonly audience: string | undefined;
  readonly clientIdClaim: string;
  readonly tenantClaim: string | undefined;
  /** Claims Orbit requires present besides `exp` and the client id claim. */
  readonly requiredClaims: readonly string[];
  /** Claims the ALB checks by value. */
  readonly albClaims: readonly RequiredClaim[];
  /** Undefined for an external issuer. */
  readonly userPool: cognito.UserPool | undefined;
  /** Where callers fetch tokens (Cognito only). */
  readonly tokenEndpoint: string | undefined;
  private readonly clients = new Map<string, string>();
  private readonly config: EnvironmentConfig;

  constructor(scope: Construct, id: string, props: CallerIdentityProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const { issuer } = config.callers;
    if (issuer.kind === 'external') {
      this.issuer = issuer.issuer;
      this.jwksUrl = issuer.jwksUrl;
      this.audience = issuer.audience;
      this.clientIdClaim = issuer.clientIdClaim;
      this.tenantClaim = issuer.tenantClaim;
      this.requiredClaims = [];
      this.albClaims =
        issuer.audience === undefined
          ? []
          : [{ name: 'aud', format: 'single-string', values: [issuer.audience] }];
      this.userPool = undefined;
      this.tokenEndpoint = undefined;
      // The external issuer's client ids are the configured names: Orbit needs no CALLER_NAMES.
      for (const caller of config.callers.callers) this.clients.set(caller.name, caller.name);
      return;
    }

    const stack = Stack.of(this);
    this.userPool = this.createUserPool();
    const domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: issuer.domainPrefix },
    });
    this.tokenEndpoint = `${domain.baseUrl()}/oauth2/token`;
    this.issuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;
    this.jwksUrl = `${this.issuer}/.well-known/jwks.json`;
    this.audience = undefined;
    this.clientIdClaim = COGNITO_CLIENT_ID_CLAIM;
    // Client-credentials tokens carry no custom claims without a pre-token-generation trigger.
    this.tenantClaim = undefined;
    this.requiredClaims = [COGNITO_ACCESS_TOKEN.name, 'scope'];
    this.albClaims = [
      { name: COGNITO_ACCESS_TOKEN.name, format: 'single-string', values: [COGNITO_ACCESS_TOKEN.value] },
    ];
    this.addClients(this.userPool);
    new CfnOutput(this, 'TokenEndpoint', {
      value: this.tokenEndpoint,
      description: 'Client-credentials token endpoint of the callers user pool',
    });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId, description: 'Callers user pool' });
  }

  /** The id tokens of `caller` carry in the client id claim. */
  clientIdOf(caller: CallerConfig): string {
    const id = this.clients.get(caller.name);
    if (id === undefined) throw new Error(`caller "${caller.name}" is not configured`);
    return id;
  }

  /**
   * Orbit's `AUTH_*`, `CALLER_NAMES` and `RATE_LIMITS` variables for tokens of this issuer. With
   * Cognito, `CALLER_NAMES` maps each generated app client id to its caller's name (CloudFormation
   * fills the ids in at deploy), so policies and `RATE_LIMITS` name callers the same in every
   * environment and a client id outside the map is refused.
   */
  orbitEnvironment(): Record<string, string> {
    const stack = Stack.of(this);
    const env: Record<string, string> = {
      [ORBIT_ENV.authIssuer]: this.issuer,
      [ORBIT_ENV.authJwksUrl]: this.jwksUrl,
      [ORBIT_ENV.authClientIdClaim]: this.clientIdClaim,
      [ORBIT_ENV.rateLimits]: stack.toJsonString(rateLimitsOf(this.config.callers)),
    };
    if (this.userPool !== undefined) {
      const names = Object.fromEntries(
        this.config.callers.callers.map((caller) => [this.clientIdOf(caller), caller.name]),
      );
      env[ORBIT_ENV.callerNames] = stack.toJsonString(names);
    }
    if (this.audience !== undefined) env[ORBIT_ENV.authAudience] = this.audience;
    if (this.tenantClaim !== undefined) env[ORBIT_ENV.authTenantClaim] = this.tenantClaim;
    if (this.requiredClaims.length > 0) env[ORBIT_ENV.authRequiredClaims] = this.requiredClaims.join(',');
    return env;
  }

  private createUserPool(): cognito.UserPool {
    const { config } = this;
    const pool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${config.prefix}-callers`,
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      accountRecovery: cognito.AccountRecovery.NONE,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: config.name === 'prod',
      removalPolicy: removalPolicyOf(config),
    });
    const noUsers =
      'Machine callers only: the pool has no users (self sign-up off, no sign-in client), so user password, MFA and user threat protection have nothing to protect.';
    for (const rule of ['AwsSolutions-COG1', 'AwsSolutions-COG2', 'AwsSolutions-COG3', 'AwsSolutions-COG8']) {
      acknowledge(pool, rule, noUsers);
    }
    return pool;
  }

  private addClients(pool: cognito.UserPool): void {
    const { callers, intentClasses, resourceServer } = this.config.callers;
    const server = pool.addResourceServer('Orbit', {
      identifier: resourceServer,
      userPoolResourceServerName: `${this.config.prefix}-orbit`,
      scopes: intentClasses.map(
        (intentClass) =>
          new cognito.ResourceServerScope({
            scopeName: intentClass,
            scopeDescription: `Dispatch ${intentClass}:* intents through Orbit`,
          }),
      ),
    });
    for (const caller of callers) {
      const client = pool.addClient(`Caller-${caller.name}`, {
        userPoolClientName: caller.name,
        generateSecret: true,
        authFlows: {},
        oAuth: {
          flows: { clientCredentials: true },
          scopes: caller.intentClasses.map((intentClass) =>
            cognito.OAuthScope.resourceServer(
              server,
              new cognito.ResourceServerScope({ scopeName: intentClass, scopeDescription: intentClass }),
            ),
          ),
        },
        accessTokenValidity: ACCESS_TOKEN_VALIDITY,
        enableTokenRevocation: true,
        preventUserExistenceErrors: true,
      });
      this.clients.set(caller.name, client.userPoolClientId);
      new CfnOutput(this, `ClientId-${caller.name}`, {
        value: client.userPoolClientId,
        description: `App client id of caller ${caller.name} (its secret: aws cognito-idp describe-user-pool-client)`,
      });
    }
  }
}
