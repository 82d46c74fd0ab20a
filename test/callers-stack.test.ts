import { describe, expect, it } from '@jest/globals';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { parseCallerNames } from '../contracts/caller-names.js';
import { parseRateLimits } from '../contracts/rate-limits.js';
import { ORBIT_ENV } from '../contracts/service-env.js';
import {
  CALLERS,
  type CallersConfig,
  ConfigError,
  type EnvironmentConfig,
  loadConfig,
  validateConfig,
} from '../lib/config/index.js';
import { CallerIdentity } from '../lib/constructs/caller-identity.js';
import { buildEnvironments } from './support/environments.js';
import { fixtureApp } from './support/fixture-app.js';
import { TEST_PROCESS_ENV } from './support/platform.js';

const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
const built = buildEnvironments(ENVIRONMENTS);
const of = (env: string) => {
  const b = built[env];
  if (!b) throw new Error(`no environment ${env}`);
  return { ...b, callers: b.template('Callers') };
};

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON, navigated by the assertions themselves
type Cfn = any;
const orbitEnvironment = (t: Template): Record<string, Cfn> => {
  const [task] = Object.values(
    t.findResources('AWS::ECS::TaskDefinition', {
      Properties: { Family: Match.stringLikeRegexp('-orbit$') },
    }),
  ) as Cfn[];
  const container = task.Properties.ContainerDefinitions.find((c: Cfn) => c.Name === 'orbit');
  return Object.fromEntries(container.Environment.map((e: Cfn) => [e.Name, e.Value]));
};

describe('CallersStack: the default issuer is a Cognito user pool per environment', () => {
  it.each(ENVIRONMENTS)(
    '%s: a user pool without users, a token domain and a resource server with one scope per intent class',
    (env) => {
      const { callers } = of(env);
      callers.hasResourceProperties('AWS::Cognito::UserPool', {
        UserPoolName: `axon-orbit-${env}-callers`,
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        DeletionProtection: env === 'prod' ? 'ACTIVE' : 'INACTIVE',
      });
      callers.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: `axon-orbit-${env}-callers` });
      callers.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
        Identifier: 'orbit',
        Scopes: CALLERS[env].intentClasses.map((c) => Match.objectLike({ ScopeName: c })),
      });
    },
  );

  it('retains the pool in prod: replacing it would change the issuer and every client secret', () => {
    of('prod').callers.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('creates one client-credentials app client with a generated secret per configured caller, scoped to its intent classes', () => {
    const { callers } = of('prod');
    const clients = Object.values(callers.findResources('AWS::Cognito::UserPoolClient')) as Cfn[];
    expect(clients.map((c) => c.Properties.ClientName).sort()).toEqual(
      CALLERS.prod.callers.map((c) => c.name).sort(),
    );
    for (const client of clients) {
      expect(client.Properties).toMatchObject({
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthFlowsUserPoolClient: true,
      });
      // No user sign-in flow: the client can only trade its secret for an access token.
      expect(client.Properties.ExplicitAuthFlows ?? []).toEqual([]);
      expect(JSON.stringify(client.Properties.AllowedOAuthScopes)).toContain('/reason');
    }
  });

  it('publishes the token endpoint and each client id as outputs (docs/setup.md reads them)', () => {
    const outputs = of('dev').callers.toJSON().Outputs as Record<string, Cfn>;
    const names = Object.keys(outputs);
    expect(names.some((n) => n.startsWith('CallerIdentityTokenEndpoint'))).toBe(true);
    for (const caller of CALLERS.dev.callers) {
      expect(
        names.some((n) => n.startsWith(`CallerIdentityClientId${caller.name.replaceAll('-', '')}`)),
      ).toBe(true);
    }
  });
});

describe('Orbit trusts the environment issuer', () => {
  it.each(ENVIRONMENTS)(
    '%s: Orbit gets AUTH_ISSUER, AUTH_JWKS_URL, the client id claim, required claims and RATE_LIMITS',
    (env) => {
      const vars = orbitEnvironment(of(env).servicesTemplate);
      for (const name of [
        ORBIT_ENV.authIssuer,
        ORBIT_ENV.authJwksUrl,
        ORBIT_ENV.authClientIdClaim,
        ORBIT_ENV.authRequiredClaims,
        ORBIT_ENV.rateLimits,
      ]) {
        expect(vars[name]).toBeDefined();
      }
      const issuer = JSON.stringify(vars[ORBIT_ENV.authIssuer]);
      expect(issuer).toContain('https://cognito-idp.eu-west-1.');
      expect(JSON.stringify(vars[ORBIT_ENV.authJwksUrl])).toContain('/.well-known/jwks.json');
      expect(vars[ORBIT_ENV.authClientIdClaim]).toBe('client_id');
      expect(vars[ORBIT_ENV.authRequiredClaims]).toBe('token_use,scope');
      // Cognito access tokens carry no `aud`: an audience check would refuse every token.
      expect(vars[ORBIT_ENV.authAudience]).toBeUndefined();
    },
  );

  it('writes CALLER_NAMES that Orbit parses: each generated app client id (filled in at deploy) to its caller name', () => {
    const { stack, servicesTemplate } = of('prod');
    const raw = orbitEnvironment(servicesTemplate)[ORBIT_ENV.callerNames] as Cfn;
    const [separator, parts] = raw['Fn::Join'] as [string, Cfn[]];
    expect(separator).toBe('');
    // Every client id is a reference CloudFormation resolves, never a value typed into config.
    const references = parts.filter((p) => typeof p !== 'string');
    expect(references).toHaveLength(CALLERS.prod.callers.length);
    const placeholder = (p: Cfn) => `client${references.indexOf(p)}`;
    const names = parseCallerNames(parts.map((p) => (typeof p === 'string' ? p : placeholder(p))).join(''));
    expect([...names.values()].sort()).toEqual(CALLERS.prod.callers.map((c) => c.name).sort());
    // Each id is read from the callers stack, beside the name of the app client it belongs to.
    expect(JSON.stringify(references)).toContain(`"StackName":"${stack('Callers').stackName}"`);
    const clients = of('prod').callers.findResources('AWS::Cognito::UserPoolClient') as Record<string, Cfn>;
    for (const [clientId, name] of names) {
      const reference = JSON.stringify(references[Number(clientId.slice('client'.length))]);
      const [logicalId] = Object.entries(clients).find(([, c]) => c.Properties.ClientName === name) ?? [];
      expect(reference).toContain(logicalId);
    }
  });

  it('writes RATE_LIMITS keyed by caller name, the same document in every environment', () => {
    const limits = ENVIRONMENTS.map(
      (env) => orbitEnvironment(of(env).servicesTemplate)[ORBIT_ENV.rateLimits],
    );
    expect(new Set(limits).size).toBe(1);
    const parsed = parseRateLimits(limits[0] as string);
    expect(parsed.default).toEqual(CALLERS.prod.defaultRateLimits);
    expect(parsed.callers).toEqual({ 'batch-reports': { reason: { perSecond: 20, burst: 40 } } });
  });
});

describe('an external issuer instead of Cognito', () => {
  const external = (
    overrides: Partial<Extract<CallersConfig['issuer'], { kind: 'external' }>> = {},
  ): EnvironmentConfig => {
    const base = loadConfig('staging', TEST_PROCESS_ENV);
    return {
      ...base,
      callers: {
        ...base.callers,
        issuer: {
          kind: 'external',
          issuer: 'https://login.example.com/tenant-a',
          jwksUrl: 'https://login.example.com/tenant-a/keys',
          audience: 'api://orbit',
          clientIdClaim: 'azp',
          tenantClaim: 'tid',
          ...overrides,
        },
      },
    };
  };

  it('creates no user pool and points Orbit at the issuer named in config', () => {
    const stack = new Stack(fixtureApp(), 'Callers');
    const identity = new CallerIdentity(stack, 'CallerIdentity', { config: external() });
    const env = stack.resolve(identity.orbitEnvironment()) as Record<string, Cfn>;
    expect(Template.fromStack(stack).findResources('AWS::Cognito::UserPool')).toEqual({});
    expect(env).toMatchObject({
      [ORBIT_ENV.authIssuer]: 'https://login.example.com/tenant-a',
      [ORBIT_ENV.authJwksUrl]: 'https://login.example.com/tenant-a/keys',
      [ORBIT_ENV.authAudience]: 'api://orbit',
      [ORBIT_ENV.authClientIdClaim]: 'azp',
      [ORBIT_ENV.authTenantClaim]: 'tid',
    });
    // External callers are named by the client id their tokens carry: no map to translate it.
    expect(env[ORBIT_ENV.callerNames]).toBeUndefined();
    expect(parseRateLimits(env[ORBIT_ENV.rateLimits]).callers['batch-reports']).toBeDefined();
    expect(identity.albClaims).toEqual([{ name: 'aud', format: 'single-string', values: ['api://orbit'] }]);
  });

  it('refuses a plain-http issuer or JWKS URL at synth, naming the field', () => {
    expect(() => validateConfig(external({ jwksUrl: 'http://login.example.com/keys' }))).toThrow(
      'Invalid configuration: staging.callers.issuer.jwksUrl must be an https:// URL, got "http://login.example.com/keys"',
    );
  });
});

describe('callers config validation', () => {
  const withCallers = (callers: Partial<CallersConfig>): EnvironmentConfig => {
    const base = loadConfig('dev', TEST_PROCESS_ENV);
    return { ...base, callers: { ...base.callers, ...callers } };
  };
  const messageOf = (config: EnvironmentConfig): string => {
    try {
      validateConfig(config);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error('expected a ConfigError');
  };

  it.each([
    [
      'a reserved word in the domain prefix',
      { issuer: { kind: 'cognito', domainPrefix: 'orbit-cognito' } as const },
      'dev.callers.issuer.domainPrefix must be 1-63 lower-case letters',
    ],
    ['no callers', { callers: [] }, 'dev.callers.callers must name at least one caller'],
    [
      'a caller twice',
      {
        callers: [
          { name: 'a', intentClasses: ['reason'] },
          { name: 'a', intentClasses: ['reason'] },
        ],
      },
      'dev.callers.callers[1].name "a" is configured twice',
    ],
    [
      'a caller scoped to an intent class without a scope',
      { callers: [{ name: 'a', intentClasses: ['write'] }] },
      'dev.callers.callers[0].intentClasses[0] "write" has no scope; the resource server defines: reason',
    ],
    [
      'an intent class that is not one segment',
      { intentClasses: ['reason:deep'] },
      'dev.callers.intentClasses[0] must be one intent segment',
    ],
    [
      'a default without "*"',
      { defaultRateLimits: { reason: { perSecond: 1, burst: 1 } } },
      'dev.callers.defaultRateLimits must have a "*" entry',
    ],
    [
      'a caller limit with a fractional burst',
      {
        callers: [
          { name: 'a', intentClasses: ['reason'], rateLimits: { reason: { perSecond: 5, burst: 1.5 } } },
        ],
      },
      'dev.callers.callers[0].rateLimits.reason.burst must be an integer from 1 to 1000000',
    ],
    [
      'a WAF limit below 10',
      { waf: { limit: 5, windowSeconds: 60 } as const },
      'dev.callers.waf.limit must be an integer from 10',
    ],
    [
      'a WAF window WAF does not offer',
      { waf: { limit: 100, windowSeconds: 30 as 60 } },
      'dev.callers.waf.windowSeconds must be one of 60, 120, 300, 600',
    ],
  ])('refuses %s, naming the field', (_, callers, message) => {
    expect(messageOf(withCallers(callers as Partial<CallersConfig>))).toContain(
      `Invalid configuration: ${message}`,
    );
  });

  it('accepts every shipped environment', () => {
    for (const env of ENVIRONMENTS)
      expect(() => validateConfig(loadConfig(env, TEST_PROCESS_ENV))).not.toThrow();
  });
});

describe('the internal ALB verifies caller tokens before Orbit does (HTTPS listeners only)', () => {
  const productionRule = (t: Template): Cfn => {
    const [rule] = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::ListenerRule')) as Cfn[];
    return rule.Properties;
  };

  it.each(['staging', 'prod'])(
    '%s: the production rule verifies the token (order 1) and then forwards (order 2)',
    (env) => {
      const { servicesTemplate } = of(env);
      const [verify, forward] = productionRule(servicesTemplate).Actions as Cfn[];
      expect(verify).toMatchObject({
        Type: 'jwt-validation',
        Order: 1,
        JwtValidationConfig: {
          // Set by the escape hatch: aws-cdk-lib's authenticateJwt has no additionalClaims.
          AdditionalClaims: [{ Name: 'token_use', Format: 'single-string', Values: ['access'] }],
        },
      });
      // The ALB checks the same issuer and keys Orbit is configured with.
      const vars = orbitEnvironment(servicesTemplate);
      expect(verify.JwtValidationConfig.Issuer).toEqual(vars[ORBIT_ENV.authIssuer]);
      expect(verify.JwtValidationConfig.JwksEndpoint).toEqual(vars[ORBIT_ENV.authJwksUrl]);
      // ECS blue/green owns these weights: the template keeps blue 100, green 0.
      expect(forward.Type).toBe('forward');
      expect(forward.Order).toBe(2);
      expect(forward.ForwardConfig.TargetGroups.map((g: Cfn) => g.Weight)).toEqual([100, 0]);
    },
  );

  it('staging: the rule ECS shifts is the one that verifies tokens', () => {
    const { servicesTemplate } = of('staging');
    const [ruleId] = Object.keys(servicesTemplate.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
    servicesTemplate.hasResourceProperties('AWS::ECS::Service', {
      LoadBalancers: [
        Match.objectLike({
          AdvancedConfiguration: Match.objectLike({ ProductionListenerRule: { Ref: ruleId } }),
        }),
      ],
    });
  });

  it.each(['staging', 'prod'])(
    '%s: the ALB may fetch the public JWKS on 443 (its subnets route out through NAT)',
    (env) => {
      of(env).servicesTemplate.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^Internal ALB'),
        SecurityGroupEgress: Match.arrayWith([
          Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 }),
        ]),
      });
    },
  );

  it('reaches Cognito through NAT, never a cognito-idp interface endpoint (PrivateLink carries no client-credentials flow and no pool with a domain)', () => {
    const network = of('prod').template('Network');
    const endpoints = JSON.stringify(network.findResources('AWS::EC2::VPCEndpoint'));
    expect(endpoints).not.toContain('cognito-idp');
    expect(Object.keys(network.findResources('AWS::EC2::NatGateway')).length).toBeGreaterThan(0);
  });

  it('dev: an HTTP listener cannot verify tokens, so the rule only forwards and Orbit checks alone', () => {
    const { servicesTemplate } = of('dev');
    const actions = productionRule(servicesTemplate).Actions as Cfn[];
    expect(actions.map((a) => a.Type)).toEqual(['forward']);
    servicesTemplate.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Protocol: 'HTTP' });
    const alb = Object.values(
      servicesTemplate.findResources('AWS::EC2::SecurityGroup', {
        Properties: { GroupDescription: Match.stringLikeRegexp('^Internal ALB') },
      }),
    ) as Cfn[];
    expect(JSON.stringify(alb[0].Properties.SecurityGroupEgress ?? [])).not.toContain('0.0.0.0/0');
  });
});

describe('a WAF rate-based rule is the fleet-wide backstop on the ALB', () => {
  it.each(ENVIRONMENTS)(
    '%s: a REGIONAL web ACL (the only scope an ALB accepts) blocks one IP over the configured rate with a 429',
    (env) => {
      const { servicesTemplate } = of(env);
      const { limit, windowSeconds } = CALLERS[env].waf;
      servicesTemplate.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        DefaultAction: { Allow: {} },
        Rules: [
          Match.objectLike({
            Statement: {
              RateBasedStatement: {
                Limit: limit,
                EvaluationWindowSec: windowSeconds,
                AggregateKeyType: 'IP',
              },
            },
            Action: { Block: { CustomResponse: Match.objectLike({ ResponseCode: 429 }) } },
          }),
        ],
      });
    },
  );

  it('associates the web ACL with the internal ALB', () => {
    const { servicesTemplate } = of('prod');
    const [aclId] = Object.keys(servicesTemplate.findResources('AWS::WAFv2::WebACL'));
    const [albId] = Object.keys(servicesTemplate.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
    servicesTemplate.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: albId },
      WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
    });
  });

  it('logs blocked requests only, to a log group WAF accepts (name starts with aws-waf-logs-, ARN without ":*")', () => {
    const { servicesTemplate } = of('prod');
    servicesTemplate.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: 'aws-waf-logs-axon-orbit-prod-orbit',
    });
    const [logging] = Object.values(
      servicesTemplate.findResources('AWS::WAFv2::LoggingConfiguration'),
    ) as Cfn[];
    const destination = JSON.stringify(logging.Properties.LogDestinationConfigs);
    expect(destination).toContain(':log-group:aws-waf-logs-axon-orbit-prod-orbit"');
    expect(logging.Properties.LoggingFilter).toEqual({
      DefaultBehavior: 'DROP',
      Filters: [
        {
          Behavior: 'KEEP',
          Requirement: 'MEETS_ANY',
          Conditions: [{ ActionCondition: { Action: 'BLOCK' } }],
        },
      ],
    });
  });
});
