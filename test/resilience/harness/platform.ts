import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { request } from 'undici';
import { AXON_ENV, ORBIT_ENV } from '../../../contracts/service-env.js';
import type { PolicyStore } from '../../../lambdas/governance/store/index.js';
import { rotate } from '../../../lambdas/secret-rotation/rotation.js';
import type { LambdaHandler } from '../../../local/invoke-endpoint.js';
import { NAMES, type Platform, platformOptionsFromEnv, startPlatform } from '../../../local/platform.js';
import type { ServiceProcess } from '../../../local/service-process.js';
import type { RateLimits } from '../../../services/orbit/rate-limit.js';
import { FileSecretsManager } from './file-secrets-manager.js';
import { silenceLambdaTelemetry } from './quiet.js';

/**
 * Timeouts at Service Connect's 5 s bound, for scenarios whose subject is not a timeout: a shared
 * 2-core machine can stall a process for longer than Orbit's production timeouts without the platform
 * doing anything wrong.
 */
export const UNHURRIED: PlatformOptions = {
  axonTimeoutMs: 5_000,
  governanceTimeoutMs: 5_000,
  replayTimeoutMs: 5_000,
};

/** How governance behaves right now: answering, answering late, or throwing (a failed invoke). */
export type GovernanceMode = { kind: 'up' } | { kind: 'slow'; delayMs: number } | { kind: 'error' };

/** No service process outlives a run, whatever happens to the suite. */
const MAX_LIFETIME_MS = 600_000;

export interface PlatformOptions {
  /** Orbit's decision cache (GOVERNANCE_CACHE_TTL_MS). */
  readonly orbitDecisionTtlMs?: number;
  /** The governance Lambda's compiled-policy cache (POLICY_CACHE_TTL_MS). */
  readonly policyCacheTtlMs?: number;
  readonly governanceTimeoutMs?: number;
  readonly axonTimeoutMs?: number;
  /** How long Axon waits on its replay store before refusing a request (REPLAY_TIMEOUT_MS). */
  readonly replayTimeoutMs?: number;
  readonly axonRetries?: number;
  readonly breakerThreshold?: number;
  readonly breakerHalfOpenMs?: number;
  readonly shutdownDrainMs?: number;
  readonly keyRefreshMs?: number;
  readonly orbitLogLevel?: string;
  readonly axonLogLevel?: string;
  /** Orbit's per-caller token buckets (RATE_LIMITS); by default far above what any scenario sends. */
  readonly rateLimits?: RateLimits;
}

/** The governance fault switch, layered over the real decision function. */
function faultable(switchboard: { mode: GovernanceMode }, decide: LambdaHandler): LambdaHandler {
  return async (event) => {
    const mode = switchboard.mode;
    if (mode.kind === 'slow') await new Promise((r) => setTimeout(r, mode.delayMs));
    if (mode.kind === 'error') throw new Error('governance is failing (injected)');
    return decide(event);
  };
}

/**
 * The local platform of `npm start` (local/platform.ts) on free loopback ports with the scenarios'
 * settings, plus the faults they inject: governance slow, failing or unreachable, services killed and
 * signalled (through `axon` / `orbit`), policies published and the signing key rotated under load.
 */
export class LocalPlatform {
  private readonly switchboard: { mode: GovernanceMode } = { mode: { kind: 'up' } };
  private platform: Platform | undefined;

  private constructor(
    readonly secretsDir: string,
    readonly settings: Required<PlatformOptions>,
  ) {}

  static async start(options: PlatformOptions = {}): Promise<LocalPlatform> {
    const settings: Required<PlatformOptions> = {
      orbitDecisionTtlMs: 2_000,
      policyCacheTtlMs: 1_000,
      // Orbit's own defaults: scenarios about timeouts set theirs; the others must not trip on a busy
      // shared machine.
      governanceTimeoutMs: 1_000,
      axonTimeoutMs: 2_000,
      replayTimeoutMs: 1_000,
      axonRetries: 2,
      breakerThreshold: 5,
      breakerHalfOpenMs: 1_000,
      shutdownDrainMs: 5_000,
      keyRefreshMs: 1_000,
      orbitLogLevel: 'warn',
      axonLogLevel: 'warn',
      rateLimits: { default: { '*': { perSecond: 1_000_000, burst: 1_000_000 } }, callers: {} },
      ...options,
    };
    silenceLambdaTelemetry();
    const harness = new LocalPlatform(await mkdtemp(join(tmpdir(), 'resilience-secrets-')), settings);
    try {
      harness.platform = await startPlatform({
        ...platformOptionsFromEnv({}),
        orbitPort: 0,
        axonPort: 0,
        lambdaPort: 0,
        dynamoPort: 0,
        secretsDir: harness.secretsDir,
        signingKeyId: randomUUID(),
        logs: 'ignore',
        policyCacheTtlMs: settings.policyCacheTtlMs,
        maxLifetimeMs: MAX_LIFETIME_MS,
        // Nine scenarios start some twenty service processes: from bundles, not each through tsx.
        bundleServices: true,
        wrapGovernance: (decide) => faultable(harness.switchboard, decide),
        serviceEnv: {
          SHUTDOWN_DRAIN_MS: String(settings.shutdownDrainMs),
          KEY_REFRESH_MS: String(settings.keyRefreshMs),
        },
        axonEnv: {
          LOG_LEVEL: settings.axonLogLevel,
          [AXON_ENV.replayTimeoutMs]: String(settings.replayTimeoutMs),
        },
        orbitEnv: {
          LOG_LEVEL: settings.orbitLogLevel,
          GOVERNANCE_TIMEOUT_MS: String(settings.governanceTimeoutMs),
          GOVERNANCE_CACHE_TTL_MS: String(settings.orbitDecisionTtlMs),
          AXON_TIMEOUT_MS: String(settings.axonTimeoutMs),
          AXON_RETRIES: String(settings.axonRetries),
          BREAKER_THRESHOLD: String(settings.breakerThreshold),
          BREAKER_HALF_OPEN_MS: String(settings.breakerHalfOpenMs),
          [ORBIT_ENV.rateLimits]: JSON.stringify(settings.rateLimits),
        },
      });
    } catch (error) {
      await harness.close();
      throw error;
    }
    return harness;
  }

  private get running(): Platform {
    if (!this.platform) throw new Error('the platform is not running');
    return this.platform;
  }

  get axon(): ServiceProcess {
    return this.running.axon;
  }

  get orbit(): ServiceProcess {
    return this.running.orbit;
  }

  /** Axon's environment, to start more Axon processes (more tasks of the service) beside it. */
  get axonEnv(): Readonly<Record<string, string>> {
    return this.running.axonEnv;
  }

  get store(): PolicyStore {
    return this.running.store;
  }

  /** How governance behaves from now on. */
  set governanceMode(mode: GovernanceMode) {
    this.switchboard.mode = mode;
  }

  /** The local Lambda Invoke endpoint Orbit asks governance through. */
  get lambdaUrl(): string {
    return this.running.lambdaUrl;
  }

  /** Governance invocations answered so far. */
  get governanceInvocations(): number {
    return this.running.invocations();
  }

  /** Takes the Lambda endpoint off the network (connection refused), as when Lambda is unreachable. */
  takeGovernanceOffline(): Promise<void> {
    return this.running.lambda.stop();
  }

  bringGovernanceOnline(): Promise<void> {
    return this.running.lambda.start();
  }

  /** `Bearer <access token>` from the platform's issuer for a caller of local/callers.json. */
  async bearer(clientId = 'demo-app'): Promise<string> {
    return `Bearer ${await this.running.issuer.token(clientId)}`;
  }

  /** One `POST /dispatch` of `intent` as `authorization` (a warm-up, a probe): its status code. */
  async dispatch(intent: string, authorization: string): Promise<number> {
    const res = await request(`${this.orbit.url}/dispatch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ intent }),
      signal: AbortSignal.timeout(10_000),
    });
    await res.body.dump();
    return res.statusCode;
  }

  /** Publishes a new head revision of the policy set, as the admin API's `put` does. */
  async publishPolicy(document: unknown, reason: string): Promise<number> {
    const policySet = this.running.options.policySet;
    const head = (await this.store.getHeadRevision(policySet)) ?? 0;
    const written = await this.store.putRevision(policySet, {
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
    await secretsManager.startRotation(NAMES.signingSecretId, token);
    const quiet = { info: () => undefined, warn: () => undefined };
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      const event = { Step: step, SecretId: NAMES.signingSecretId, ClientRequestToken: token };
      await rotate(event as SecretsManagerRotationEvent, {
        client,
        verificationSecretId: NAMES.verificationSecretId,
        logger: quiet,
      });
    }
    return token;
  }

  async close(): Promise<void> {
    await this.platform?.stop();
    await rm(this.secretsDir, { recursive: true, force: true });
  }
}
