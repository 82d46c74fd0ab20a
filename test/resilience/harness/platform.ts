import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { seedPolicyTable } from '../../../lambdas/governance/seed.js';
import { PolicyStore } from '../../../lambdas/governance/store/index.js';
import { rotate } from '../../../lambdas/secret-rotation/rotation.js';
import { type InvokeEndpoint, startInvokeEndpoint } from '../../../local/invoke-endpoint.js';
import { LocalFileSecretStore } from '../../../services/shared/secrets.js';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.js';
import { FileSecretsManager } from './file-secrets-manager.js';
import { type DecisionHandler, loadDecisionHandler, TABLE } from './governance.js';
import { ServiceProcess } from './process.js';

export { TABLE } from './governance.js';
export const SIGNING_SECRET_ID = 'local/orbit/signing-key';
export const VERIFICATION_SECRET_ID = 'local/axon/verification-keys';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Timeouts at Service Connect's 5 s bound, for scenarios whose subject is not a timeout: a shared
 * 2-core machine can stall a process for longer than Orbit's production timeouts without the platform
 * doing anything wrong.
 */
export const UNHURRIED: PlatformOptions = { axonTimeoutMs: 5_000, governanceTimeoutMs: 5_000 };

/** How governance behaves right now: answering, answering late, or throwing (a failed invoke). */
export type GovernanceMode = { kind: 'up' } | { kind: 'slow'; delayMs: number } | { kind: 'error' };

export interface PlatformOptions {
  /** Orbit's decision cache (GOVERNANCE_CACHE_TTL_MS). */
  readonly orbitDecisionTtlMs?: number;
  /** The governance Lambda's compiled-policy cache (POLICY_CACHE_TTL_MS). */
  readonly policyCacheTtlMs?: number;
  readonly governanceTimeoutMs?: number;
  readonly axonTimeoutMs?: number;
  readonly axonRetries?: number;
  readonly breakerThreshold?: number;
  readonly breakerHalfOpenMs?: number;
  readonly shutdownDrainMs?: number;
  readonly keyRefreshMs?: number;
  readonly orbitLogLevel?: string;
  readonly axonLogLevel?: string;
}

interface GovernanceSwitch {
  mode: GovernanceMode;
  readonly handler: DecisionHandler;
  readonly port: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The platform on loopback, built from the same parts as `npm start`: dynalite seeded with the
 * default policy, the real governance decision handler behind a Lambda Invoke endpoint (with a switch
 * to make it slow or failing), file-backed secrets, and Axon and Orbit as separate Node processes
 * that the scenarios can kill, restart and SIGTERM.
 */
export class LocalPlatform {
  private constructor(
    readonly dynamo: LocalDynamo,
    readonly store: PolicyStore,
    private readonly dynamoClient: DynamoDBClient,
    private endpoint: InvokeEndpoint,
    private readonly governance: GovernanceSwitch,
    readonly secretsDir: string,
    readonly axon: ServiceProcess,
    readonly orbit: ServiceProcess,
    readonly settings: Required<PlatformOptions>,
  ) {}

  /** How governance behaves from now on. */
  set governanceMode(mode: GovernanceMode) {
    this.governance.mode = mode;
  }

  static async start(options: PlatformOptions = {}): Promise<LocalPlatform> {
    const settings: Required<PlatformOptions> = {
      orbitDecisionTtlMs: 2_000,
      policyCacheTtlMs: 1_000,
      // Orbit's own defaults: scenarios about timeouts set theirs; the others must not trip on a busy
      // shared machine.
      governanceTimeoutMs: 1_000,
      axonTimeoutMs: 2_000,
      axonRetries: 2,
      breakerThreshold: 5,
      breakerHalfOpenMs: 1_000,
      shutdownDrainMs: 5_000,
      keyRefreshMs: 1_000,
      orbitLogLevel: 'warn',
      axonLogLevel: 'warn',
      ...options,
    };
    const dynamo = await startDynalite();
    await seedPolicyTable({ endpoint: dynamo.endpoint, tableName: TABLE });
    const dynamoClient = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'local',
      credentials: LOCAL_CREDENTIALS,
    });
    const store = new PolicyStore({ client: dynamoClient, tableName: TABLE });
    const handler = await loadDecisionHandler(store, settings.policyCacheTtlMs);

    const secretsDir = await mkdtemp(join(tmpdir(), 'resilience-secrets-'));
    const secrets = new LocalFileSecretStore(secretsDir);
    const keyId = randomUUID();
    const key = randomBytes(32).toString('base64');
    await secrets.putSecretValue(SIGNING_SECRET_ID, keyId, JSON.stringify({ signingKey: key }));
    await secrets.putSecretValue(
      VERIFICATION_SECRET_ID,
      randomUUID(),
      JSON.stringify({ keys: { [keyId]: key } }),
    );

    const [axonPort, orbitPort, endpointPort] = [await freePort(), await freePort(), await freePort()];
    const common = {
      // Loopback only: nothing the suite starts is reachable from outside this machine.
      HOST: '127.0.0.1',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      LOCAL_SECRETS_DIR: secretsDir,
      SHUTDOWN_DRAIN_MS: String(settings.shutdownDrainMs),
      KEY_REFRESH_MS: String(settings.keyRefreshMs),
    };
    const axon = new ServiceProcess({
      name: 'axon',
      main: 'services/axon/main.ts',
      port: axonPort,
      env: { ...common, VERIFICATION_SECRET_ID, LOG_LEVEL: settings.axonLogLevel },
    });
    const orbit = new ServiceProcess({
      name: 'orbit',
      main: 'services/orbit/main.ts',
      port: orbitPort,
      env: {
        ...common,
        LOG_LEVEL: settings.orbitLogLevel,
        AXON_URL: `http://127.0.0.1:${axonPort}`,
        GOVERNANCE_FUNCTION_NAME: 'governance',
        AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${endpointPort}`,
        GOVERNANCE_TIMEOUT_MS: String(settings.governanceTimeoutMs),
        GOVERNANCE_CACHE_TTL_MS: String(settings.orbitDecisionTtlMs),
        SIGNING_SECRET_ID,
        AXON_TIMEOUT_MS: String(settings.axonTimeoutMs),
        AXON_RETRIES: String(settings.axonRetries),
        BREAKER_THRESHOLD: String(settings.breakerThreshold),
        BREAKER_HALF_OPEN_MS: String(settings.breakerHalfOpenMs),
      },
    });
    const governance: GovernanceSwitch = { mode: { kind: 'up' }, handler, port: endpointPort };
    const platform = new LocalPlatform(
      dynamo,
      store,
      dynamoClient,
      await openEndpoint(governance),
      governance,
      secretsDir,
      axon,
      orbit,
      settings,
    );
    try {
      await Promise.all([axon.start(), orbit.start()]);
    } catch (error) {
      await platform.close();
      throw error;
    }
    return platform;
  }

  /** Governance invocations answered so far (by the endpoint currently open). */
  get governanceInvocations(): number {
    return this.endpoint.invocations;
  }

  /** Takes the Lambda endpoint off the network (connection refused), as when Lambda is unreachable. */
  async takeGovernanceOffline(): Promise<void> {
    await this.endpoint.close();
  }

  async bringGovernanceOnline(): Promise<void> {
    this.endpoint = await openEndpoint(this.governance);
  }

  /** Publishes a new head revision of the `default` policy set, as the admin API's `put` does. */
  async publishPolicy(document: unknown, reason: string): Promise<number> {
    const head = (await this.store.getHeadRevision('default')) ?? 0;
    const written = await this.store.putRevision('default', {
      document,
      expectedRevision: head,
      actor: 'resilience-suite',
      reason,
    });
    return written.revision;
  }

  /**
   * Rotates Orbit's signing key with the real rotation Lambda code, step by step, against the same
   * secret files the running services read. Returns the new key id.
   */
  async rotateSigningKey(): Promise<string> {
    const secretsManager = new FileSecretsManager(this.secretsDir);
    const client = secretsManager.asClient();
    const token = randomUUID();
    await secretsManager.startRotation(SIGNING_SECRET_ID, token);
    const quiet = { info: () => undefined, warn: () => undefined };
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      const event = { Step: step, SecretId: SIGNING_SECRET_ID, ClientRequestToken: token };
      await rotate(event as SecretsManagerRotationEvent, {
        client,
        verificationSecretId: VERIFICATION_SECRET_ID,
        logger: quiet,
      });
    }
    return token;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.orbit.stop(), this.axon.stop()]);
    await this.endpoint?.close().catch(() => undefined);
    this.dynamoClient.destroy();
    await this.dynamo.close();
    await rm(this.secretsDir, { recursive: true, force: true });
  }
}

/** The Lambda Invoke endpoint serving the real decision handler, behaving as the switch says. */
function openEndpoint(governance: GovernanceSwitch): Promise<InvokeEndpoint> {
  const context = { functionName: 'governance' };
  return startInvokeEndpoint(
    {
      governance: async (event) => {
        const mode = governance.mode;
        if (mode.kind === 'slow') await new Promise((r) => setTimeout(r, mode.delayMs));
        if (mode.kind === 'error') throw new Error('governance is failing (injected)');
        return governance.handler(event, { ...context, awsRequestId: randomUUID() });
      },
    },
    governance.port,
  );
}
