/**
 * The one assembler of the local platform: `npm start`, the e2e tests, the services bench and the
 * resilience harness all call `startPlatform` (the harness layers its faults on top through
 * `wrapGovernance` and the components' stop/start, it builds nothing of its own).
 *
 * Adding a component (a token issuer, a replay store, a decision log, ...): write `local/<thing>.ts`
 * exporting `start<Thing>(...)` that resolves to an object with `stop()` (or `close()`); in
 * `startPlatform`, start it in dependency order and register it with `running.add(stop)` so it
 * stops in reverse order, also when a later component fails to start; hand the services what they need
 * through `axonEnv` / `orbitEnv` (the same variables as in their task definitions); expose it on
 * `Platform`; claim a fixed port in `portClaims` with its variable in `PORT_VARIABLES` (options.ts).
 */

import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AXON_ENV } from '../contracts/service-env.js';
import { seedPolicyTable } from '../lambdas/governance/seed.js';
import { PolicyStore } from '../lambdas/governance/store/index.js';
import { LocalFileSecretStore } from '../services/shared/secrets.js';
import { startDecisionLog } from './decision-log.js';
import { writeLocalDecisionKey } from './decision-token-key.js';
import { type LocalDynamo, startDynamo } from './dynamo.js';
import { loadDecisionFunction } from './governance.js';
import { type InvokeEndpoint, type LambdaHandler, startInvokeEndpoint } from './invoke-endpoint.js';
import { type LocalIssuer, startLocalIssuer } from './issuer.js';
import { assertPortsFree, type PortClaim } from './ports.js';
import { createReplayTable } from './replay-table.js';
import { ServiceProcess } from './service-process.js';

export { platformOptionsFromEnv, REPO_ROOT } from './options.js';
export { freePort } from './ports.js';

export const LOCAL_PREFIX = 'axon-orbit-local';
export const NAMES = {
  functionName: `${LOCAL_PREFIX}-governance`,
  tableName: `${LOCAL_PREFIX}-policies`,
  signingSecretId: `${LOCAL_PREFIX}/orbit/signing-key`,
  verificationSecretId: `${LOCAL_PREFIX}/axon/verification-keys`,
  replayTableName: `${LOCAL_PREFIX}-replay`,
} as const;

/** The environment the local decision function decides as (policy conditions on `environment` see it). */
export const LOCAL_ENVIRONMENT = 'local';

export interface PlatformOptions {
  /** 0 picks a free port. */
  readonly orbitPort: number;
  readonly axonPort: number;
  readonly lambdaPort: number;
  readonly dynamoPort: number;
  readonly region: string;
  readonly secretsDir: string;
  /** Base64 of 32 bytes; a fresh random key when undefined. */
  readonly signingKey: string | undefined;
  readonly signingKeyId: string;
  readonly logLevel: string;
  /** Where the services' and the decision function's logs go: the terminal, or nowhere (tests, bench). */
  readonly logs: 'inherit' | 'ignore';
  /** The policy set the decision function reads (`POLICY_SET_NAME`). */
  readonly policySet: string;
  /** The decision function's compiled-policy cache (`POLICY_CACHE_TTL_MS`). */
  readonly policyCacheTtlMs: number;
  /** Extra environment for Axon and Orbit (e.g. GOVERNANCE_CACHE_TTL_MS, BREAKER_THRESHOLD). */
  readonly serviceEnv: Readonly<Record<string, string>>;
  /**
   * Extra environment for one service only, applied after `serviceEnv` and over what the platform
   * sets (Orbit's `AXON_URL` included).
   */
  readonly axonEnv?: Readonly<Record<string, string>>;
  readonly orbitEnv?: Readonly<Record<string, string>>;
  /** Wraps the decision function behind the invoke endpoint (fault injection: delay, failure). */
  readonly wrapGovernance?: (handler: LambdaHandler) => LambdaHandler;
  /** Bounded runs kill the service processes after this long, whatever happens. */
  readonly maxLifetimeMs?: number;
  /** A JSONL file every decision is appended to (`LOCAL_DECISION_LOG`), for `governance impact`; none when absent. */
  readonly decisionLog?: string;
  /** The local token issuer's port; 0 or absent picks a free one. */
  readonly issuerPort?: number;
  /** Extra node flags for Orbit's process (the services bench profiles it with `--cpu-prof`). */
  readonly orbitNodeArgs?: readonly string[];
  /** Start Axon and Orbit from esbuild bundles instead of through tsx (ServiceProcessOptions.bundle). */
  readonly bundleServices?: boolean;
}

/** The Lambda Invoke endpoint serving the decision function; stop/start model Lambda being unreachable. */
export interface LocalLambda {
  readonly url: string;
  readonly invocations: number;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export interface Platform {
  readonly orbitUrl: string;
  readonly axonUrl: string;
  readonly lambdaUrl: string;
  readonly dynamoUrl: string;
  readonly keyId: string;
  readonly secrets: LocalFileSecretStore;
  readonly store: PolicyStore;
  readonly axon: ServiceProcess;
  /** Axon's environment: more Axon processes started with it behave as more tasks of the service. */
  readonly axonEnv: Readonly<Record<string, string>>;
  readonly orbit: ServiceProcess;
  readonly lambda: LocalLambda;
  /** The OAuth2 issuer Orbit trusts here: tokens for the callers of local/callers.json. */
  readonly issuer: LocalIssuer;
  readonly options: PlatformOptions;
  readonly invocations: () => number;
  /** SIGTERMs both services (they drain), then stops the rest; resolves with the services' exit codes. */
  stop(): Promise<{ axon: number | null; orbit: number | null }>;
}

/** Everything started so far, stopped last-started first (also when a later component fails to start). */
class Running {
  private readonly stops: (() => Promise<unknown>)[] = [];

  add(stop: () => Promise<unknown>): void {
    this.stops.push(stop);
  }

  async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop().catch(() => undefined);
  }
}

/** Powertools' names for the pino level the services use, so one LOG_LEVEL sets all three. */
function powertoolsLevel(options: PlatformOptions): string {
  if (options.logs === 'ignore') return 'SILENT';
  if (options.logLevel === 'fatal') return 'CRITICAL';
  return options.logLevel.toUpperCase();
}

/** Writes Orbit's signing secret and Axon's key set the way the rotation Lambda leaves them. */
async function writeKeys(secrets: LocalFileSecretStore, keyId: string, key: string): Promise<void> {
  await secrets.putSecretValue(NAMES.signingSecretId, keyId, JSON.stringify({ signingKey: key }));
  await secrets.putSecretValue(
    NAMES.verificationSecretId,
    `set-${keyId}`,
    JSON.stringify({ keys: { [keyId]: key } }),
  );
}

async function startLambda(handler: LambdaHandler, port: number): Promise<LocalLambda> {
  const functions = { [NAMES.functionName]: handler };
  let endpoint: InvokeEndpoint | undefined = await startInvokeEndpoint(functions, port);
  const boundPort = Number(new URL(endpoint.url).port);
  const url = endpoint.url;
  let earlier = 0;
  return {
    url,
    get invocations() {
      return earlier + (endpoint?.invocations ?? 0);
    },
    async stop() {
      if (!endpoint) return;
      earlier += endpoint.invocations;
      const closing = endpoint;
      endpoint = undefined;
      await closing.close();
    },
    async start() {
      endpoint ??= await startInvokeEndpoint(functions, boundPort);
    },
  };
}

function portClaims(options: PlatformOptions): PortClaim[] {
  return [
    { component: 'orbit', port: options.orbitPort },
    { component: 'axon', port: options.axonPort },
    { component: 'lambda', port: options.lambdaPort },
    { component: 'dynamo', port: options.dynamoPort },
  ];
}

/**
 * The whole request path on loopback: dynalite seeded with governance/policies/default.json, the real
 * governance decision handler behind a Lambda Invoke endpoint in this process, file-backed secrets, and
 * Axon and Orbit as child processes started exactly as in their containers (main.ts + environment).
 * Throws `PortInUseError` naming every busy fixed port before starting anything.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  await assertPortsFree(portClaims(options));
  const running = new Running();
  try {
    const dynamo: LocalDynamo = await startDynamo(options.dynamoPort);
    running.add(() => dynamo.close());
    await seedPolicyTable({
      endpoint: dynamo.endpoint,
      tableName: NAMES.tableName,
      policySet: options.policySet,
      region: options.region,
    });
    const dynamoClient = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: options.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    running.add(async () => dynamoClient.destroy());
    const store = new PolicyStore({ client: dynamoClient, tableName: NAMES.tableName });
    await createReplayTable(dynamoClient, NAMES.replayTableName);

    const decisionTokenKeyFile = await writeLocalDecisionKey(options.secretsDir);
    const decide = await loadDecisionFunction({
      decisionTokenKeyFile,
      store,
      policySet: options.policySet,
      environment: LOCAL_ENVIRONMENT,
      cacheTtlMs: options.policyCacheTtlMs,
      powertoolsLogLevel: powertoolsLevel(options),
      functionName: NAMES.functionName,
    });
    if (options.decisionLog) {
      const decisionLog = await startDecisionLog(options.decisionLog);
      running.add(() => decisionLog.stop());
    }
    const lambda = await startLambda(options.wrapGovernance?.(decide) ?? decide, options.lambdaPort);
    running.add(() => lambda.stop());

    const issuer = await startLocalIssuer({ port: options.issuerPort ?? 0 });
    running.add(() => issuer.stop());

    const secrets = new LocalFileSecretStore(options.secretsDir);
    await writeKeys(secrets, options.signingKeyId, options.signingKey ?? randomBytes(32).toString('base64'));

    const common = {
      AWS_REGION: options.region,
      LOG_LEVEL: options.logLevel,
      LOCAL_SECRETS_DIR: options.secretsDir,
      // Orbit's SDK client needs credentials to sign Invoke; the local endpoint checks none.
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      ...options.serviceEnv,
    };
    const axonEnv = {
      ...common,
      VERIFICATION_SECRET_ID: NAMES.verificationSecretId,
      // Every Axon process of the platform shares one replay table, as the tasks of a service do.
      [AXON_ENV.replayTableName]: NAMES.replayTableName,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      [AXON_ENV.decisionTokenLocalKeyFile]: decisionTokenKeyFile,
      ...options.axonEnv,
    };
    const orbitEnv = {
      ...common,
      GOVERNANCE_FUNCTION_NAME: NAMES.functionName,
      AWS_ENDPOINT_URL_LAMBDA: lambda.url,
      SIGNING_SECRET_ID: NAMES.signingSecretId,
      ...issuer.orbitEnv(),
      ...options.orbitEnv,
    };
    const service = (name: 'axon' | 'orbit', port: number, env: Record<string, string>) =>
      new ServiceProcess({
        name,
        main: `services/${name}/main.ts`,
        port,
        env,
        echo: options.logs === 'inherit',
        readyTimeoutMs: 60_000,
        maxLifetimeMs: options.maxLifetimeMs,
        bundle: options.bundleServices ?? false,
        ...(name === 'orbit' && options.orbitNodeArgs ? { nodeArgs: options.orbitNodeArgs } : {}),
      });
    const drainMs = Number(options.serviceEnv.SHUTDOWN_DRAIN_MS ?? 20_000);
    const axon = service('axon', options.axonPort, axonEnv);
    running.add(() => axon.stop(drainMs + 5_000));
    const axonStarted = axon.start();
    // Orbit is told Axon's address: known at once for a fixed port, once Axon has bound for port 0.
    if (options.axonPort === 0) await axonStarted;
    // A caller's AXON_URL (the bench's trivial target) still wins over the platform's Axon.
    const orbit = service('orbit', options.orbitPort, { AXON_URL: axon.url, ...orbitEnv });
    running.add(() => orbit.stop(drainMs + 5_000));
    await Promise.all([axonStarted, orbit.start()]);

    let stopping: Promise<{ axon: number | null; orbit: number | null }> | undefined;
    return {
      orbitUrl: orbit.url,
      axonUrl: axon.url,
      lambdaUrl: lambda.url,
      dynamoUrl: dynamo.endpoint,
      keyId: options.signingKeyId,
      secrets,
      store,
      axon,
      axonEnv,
      orbit,
      lambda,
      issuer,
      options,
      invocations: () => lambda.invocations,
      stop: () => {
        stopping ??= (async () => {
          // Both drain at once, as ECS stops a service's tasks; then what they depended on.
          const [orbitExit, axonExit] = await Promise.all([
            orbit.stop(drainMs + 5_000),
            axon.stop(drainMs + 5_000),
          ]);
          await running.stopAll();
          return { axon: axonExit?.code ?? null, orbit: orbitExit?.code ?? null };
        })();
        return stopping;
      },
    };
  } catch (error) {
    await running.stopAll();
    throw error;
  }
}
