import type { LineItem, Pricer } from '../model.js';

/** Key specs billed at the asymmetric request rate (RSA 2048 and HMAC keys bill like symmetric keys). */
const ASYMMETRIC_RATE = /^(ECC_|SM2|ML_DSA|RSA_3072|RSA_4096)/;

/** KMS keys (monthly) and their requests: symmetric keys from usage, asymmetric keys per request served. */
export const kmsPricer: Pricer = {
  types: ['AWS::KMS::Key'],
  price(context) {
    const { usage } = context;
    const lines: LineItem[] = [];
    for (const key of context.graph.ofType('AWS::KMS::Key')) {
      const spec = String(key.properties.KeySpec ?? 'SYMMETRIC_DEFAULT');
      lines.push(context.line(key, `key-months (${spec})`, 1, 'kms.key.month'));
      if (spec === 'SYMMETRIC_DEFAULT') {
        lines.push(context.line(key, 'requests', usage.kmsRequestsPerSymmetricKey, 'kms.symmetric.request'));
      } else {
        const requests = usage.requestsPerMonth * usage.kmsSignsPerRequest;
        const rate = ASYMMETRIC_RATE.test(spec) ? 'kms.asymmetric.request' : 'kms.symmetric.request';
        lines.push(context.line(key, `${key.properties.KeyUsage ?? 'SIGN_VERIFY'} requests`, requests, rate));
      }
    }
    return { lines };
  },
};

/** Secrets Manager secrets and their API calls. */
export const secretsPricer: Pricer = {
  types: ['AWS::SecretsManager::Secret'],
  price(context) {
    return {
      lines: context.graph
        .ofType('AWS::SecretsManager::Secret')
        .flatMap((secret) => [
          context.line(secret, 'secret-months', 1, 'secrets.secret.month'),
          context.line(secret, 'API calls', context.usage.secretsApiCallsPerSecret, 'secrets.apiCall'),
        ]),
    };
  },
};

/** WAFv2 web ACLs: the ACL, its rules, and the requests of the load balancers it is associated with. */
export const wafPricer: Pricer = {
  types: ['AWS::WAFv2::WebACL'],
  price(context) {
    const { graph, usage } = context;
    const lines: LineItem[] = [];
    for (const acl of graph.ofType('AWS::WAFv2::WebACL')) {
      const rules = ((acl.properties.Rules ?? []) as unknown[]).length;
      const associated = graph.ofType('AWS::WAFv2::WebACLAssociation').some((association) => {
        const target = graph.resolve(association, association.properties.WebACLArn);
        return target?.stack === acl.stack && target.logicalId === acl.logicalId;
      });
      lines.push(
        context.line(acl, 'web ACL-months', 1, 'waf.webAcl.month'),
        context.line(acl, 'rule-months', rules, 'waf.rule.month'),
        context.line(
          acl,
          associated ? 'requests inspected' : 'requests (no association)',
          associated ? usage.requestsPerMonth : 0,
          'waf.request',
        ),
      );
    }
    return { lines };
  },
};

/** Cognito app clients with the client-credentials grant (M2M): per client and per token request. */
export const cognitoPricer: Pricer = {
  types: ['AWS::Cognito::UserPoolClient'],
  price(context) {
    const m2m = context.graph
      .ofType('AWS::Cognito::UserPoolClient')
      .filter((client) =>
        ((client.properties.AllowedOAuthFlows ?? []) as string[]).includes('client_credentials'),
      );
    return {
      lines: m2m.flatMap((client) => [
        context.line(client, 'M2M app client-months', 1, 'cognito.m2m.appClient.month'),
        context.line(
          client,
          'token requests (usage split over clients)',
          context.usage.cognitoTokenRequestsPerMonth / m2m.length,
          'cognito.m2m.tokenRequest',
        ),
      ]),
    };
  },
};

/** AWS Private CA: the CA per month by mode, and the certificates it issues. */
export const privateCaPricer: Pricer = {
  types: ['AWS::ACMPCA::CertificateAuthority'],
  price(context) {
    return {
      lines: context.graph.ofType('AWS::ACMPCA::CertificateAuthority').flatMap((ca) => {
        const shortLived = ca.properties.UsageMode === 'SHORT_LIVED_CERTIFICATE';
        return [
          context.line(
            ca,
            `CA-months (${shortLived ? 'short-lived certificate' : 'general-purpose'} mode)`,
            1,
            shortLived ? 'pca.shortLived.month' : 'pca.general.month',
          ),
          context.line(
            ca,
            'certificates issued',
            context.usage.privateCaCertificatesPerMonth,
            shortLived ? 'pca.shortLived.certificate' : 'pca.general.certificate',
          ),
        ];
      }),
    };
  },
};
