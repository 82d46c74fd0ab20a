import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FastifyInstance } from 'fastify';
import { request as undiciRequest } from 'undici';
import { parseRoleMapping } from '../../../contracts/admin-roles.js';
import type { FunctionUrlEvent } from '../../../lambdas/governance/admin/http.js';
import { RoleStore } from '../../../lambdas/governance/admin/role-store.js';
import { AdminService } from '../../../lambdas/governance/admin/service.js';
import { DecisionTokenIssuer, LocalEs256Signer } from '../../../lambdas/governance/decision-token/index.js';
import { seedPolicyTable } from '../../../lambdas/governance/seed.js';
import { PolicyStore } from '../../../lambdas/governance/store/index.js';
import type { LocalIssuer } from '../../../local/issuer.js';
import { buildAxonApp } from '../../../services/axon/app.js';
import { DecisionTokenVerifier } from '../../../services/axon/decision-token.js';
import { buildOrbitApp } from '../../../services/orbit/app.js';
import { AxonClient } from '../../../services/orbit/axon-client.js';
import type { Governance, GovernanceOutcome } from '../../../services/orbit/governance.js';
import { createLogger } from '../../../services/shared/logger.js';
import type { SigningKey } from '../../../services/shared/sigv4.js';
import { testCallers } from '../../support/callers.js';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.js';
import { newKey, REGION } from '../../support/services.js';
import { type DecisionHandler, loadDecisionHandler, TABLE } from '../harness/governance.js';

export interface FuzzRequest {
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly payload?: string;
}

export interface FuzzResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export type Send = (request: FuzzRequest) => Promise<FuzzResponse>;

/**
 * `inject` drives Fastify in-process (what `npm run resilience` uses: 10,000 cases in seconds);
 * `loopback` sends real HTTP on 127.0.0.1 (what jest uses, since `inject` cannot load under jest).
 */
export type Transport = 'inject' | 'loopback';

export const ADMIN_ARN = 'arn:aws:iam::123456789012:role/policy-admin';
export const EDITOR_ARN = 'arn:aws:iam::123456789012:role/policy-editor';
export const VIEWER_ARN = 'arn:aws:iam::123456789012:role/policy-viewer';

export interface DecisionTokenKit {
  readonly environment: string;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Issues tokens as governance does here (5 s lifetime). */
  readonly issuer: DecisionTokenIssuer;
}

export interface FuzzEnvironment {
  readonly orbit: Send;
  /** The token issuer Orbit trusts here, and a valid `Authorization` value of a caller it allows. */
  readonly issuer: LocalIssuer;
  readonly authorization: string;
  readonly axon: Send;
  /** Axon as deployed: it also requires governance's decision token for the intent and caller. */
  readonly governedAxon: Send;
  readonly key: SigningKey;
  /** Governance's token key pair here (kid `fuzz-governance`), for valid and forged tokens alike. */
  readonly decisionTokens: DecisionTokenKit;
  readonly decide: DecisionHandler;
  readonly admin: (event: FunctionUrlEvent) => Promise<{ statusCode: number; body: string }>;
  close(): Promise<void>;
}

/** The governance Lambda called in-process, in the shape Orbit's client returns. */
function inProcessGovernance(decide: DecisionHandler): Governance {
  return {
    async decide(intent, correlationId, caller): Promise<GovernanceOutcome> {
      const result = (await decide(
        { service: 'orbit', caller, intent, correlationId },
        { awsRequestId: correlationId, functionName: 'governance' },
      )) as {
        allowed: boolean;
        reason: string;
        policyRevision: number | null;
        decisionId: string;
        statementId?: string;
      };
      return { kind: 'decision', cached: false, ...result };
    },
  };
}

/** `base` is the URL of an app that is already listening. */
async function transport(app: FastifyInstance, kind: Transport, base?: string): Promise<Send> {
  if (kind === 'inject') {
    await app.ready();
    return async (req) => {
      const res = await app.inject({
        method: req.method as 'POST',
        url: req.url,
        headers: req.headers ?? {},
        ...(req.payload === undefined ? {} : { payload: req.payload }),
      });
      return { statusCode: res.statusCode, headers: res.headers as FuzzResponse['headers'], body: res.body };
    };
  }
  const origin = base ?? (await app.listen({ port: 0, host: '127.0.0.1' }));
  return async (req) => {
    const res = await undiciRequest(`${origin}${req.url}`, {
      method: req.method as 'POST',
      headers: req.headers ?? {},
      body: req.payload,
    });
    const body = await res.body.text();
    return { statusCode: res.statusCode, headers: res.headers, body };
  };
}

/**
 * Everything the fuzzers hit, in one process: dynalite with the default policy, the real decision
 * handler and admin handler, Axon (on loopback, since Orbit's client speaks HTTP to it) and Orbit.
 */
export async function startFuzzEnvironment(kind: Transport): Promise<FuzzEnvironment> {
  const dynamo: LocalDynamo = await startDynalite();
  await seedPolicyTable({ endpoint: dynamo.endpoint, tableName: TABLE });
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const store = new PolicyStore({ client, tableName: TABLE });
  const decide = await loadDecisionHandler(store, 30_000);
  const adminService = new AdminService({
    store,
    roles: new RoleStore(client, TABLE),
    configuredRoles: parseRoleMapping({ admins: [ADMIN_ARN], editors: [EDITOR_ARN], viewers: [VIEWER_ARN] }),
  });
  // Imported only now: its Powertools logger reads the log level (set above) when the module loads.
  const { createAdminHandler } = await import('../../../lambdas/governance/admin/http.js');
  const admin = createAdminHandler(adminService, 'local');

  const logger = createLogger('fuzz', 'silent');
  const key = newKey();
  const axonApp = buildAxonApp({
    logger,
    region: REGION,
    keys: { get: (id) => (id === key.keyId ? key.secret : undefined), loaded: true },
  });
  const axonBase = await axonApp.listen({ port: 0, host: '127.0.0.1' });
  const tokenKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const decisionTokens: DecisionTokenKit = {
    environment: 'fuzz',
    kid: 'fuzz-governance',
    ...tokenKeys,
    issuer: new DecisionTokenIssuer(new LocalEs256Signer(tokenKeys.privateKey, 'fuzz-governance'), 'fuzz', 5),
  };
  const governedAxonApp = buildAxonApp({
    logger,
    region: REGION,
    keys: { get: (id) => (id === key.keyId ? key.secret : undefined), loaded: true },
    tokens: new DecisionTokenVerifier({
      environment: decisionTokens.environment,
      keys: {
        loaded: true,
        key: async (kid) => (kid === decisionTokens.kid ? decisionTokens.publicKey : undefined),
      },
    }),
  });
  const axonUrl = new URL(axonBase);
  const axonClient = new AxonClient({
    baseUrl: axonUrl,
    region: REGION,
    keys: { current: () => key },
    attemptTimeoutMs: 5_000,
    retries: 1,
    breakerThreshold: 1_000,
    halfOpenAfterMs: 1_000,
    logger,
  });
  const callers = await testCallers();
  const orbitApp = buildOrbitApp({
    logger,
    governance: inProcessGovernance(decide),
    axon: axonClient,
    callers: callers.guard,
    ready: () => true,
  });
  return {
    orbit: await transport(orbitApp, kind),
    issuer: callers.issuer,
    authorization: (await callers.bearer()).authorization as string,
    axon: await transport(axonApp, kind, axonBase),
    governedAxon: await transport(governedAxonApp, kind),
    key,
    decisionTokens,
    decide,
    admin,
    async close() {
      await orbitApp.close();
      await callers.issuer.stop();
      await axonClient.close();
      await axonApp.close();
      await governedAxonApp.close();
      client.destroy();
      await dynamo.close();
    },
  };
}
