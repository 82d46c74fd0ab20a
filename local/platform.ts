import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LocalFileSecretStore } from '../services/shared/secrets.js';
import { type LocalDynamo, startDynamo } from './dynamo.js';
import { type InvokeEndpoint, type LambdaHandler, startInvokeEndpoint } from './invoke-endpoint.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCAL_PREFIX = 'axon-orbit-local';
export const NAMES = {
  functionName: `${LOCAL_PREFIX}-governance`,
  tableName: `${LOCAL_PREFIX}-policies`,
  signingSecretId: `${LOCAL_PREFIX}/orbit/signing-key`,
  verificationSecretId: `${LOCAL_PREFIX}/axon/verification-keys`,
} as const;

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
  /** Where the services' JSON logs go: the terminal, or nowhere (tests, bench). */
  readonly logs: 'inherit' | 'ignore';
  /** The governance handler module (exports `handler(event)`), loaded by path. */
  readonly governanceHandler: string;
  /** Extra environment for Axon and Orbit (e.g. GOVERNANCE_CACHE_TTL_MS, BREAKER_THRESHOLD). */
  readonly serviceEnv: Readonly<Record<string, string>>;
}

export interface Platform {
  readonly orbitUrl: string;
  readonly axonUrl: string;
  readonly lambdaUrl: string;
  readonly dynamoUrl: string;
  readonly keyId: string;
  readonly secrets: LocalFileSecretStore;
  readonly options: PlatformOptions;
  readonly invocations: () => number;
  /** SIGTERMs both services (they drain), then closes the endpoints; resolves with their exit codes. */
  stop(): Promise<{ axon: number | null; orbit: number | null }>;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 65535)
    throw new Error(`${name} must be a port number 0-65535, got "${raw}"`);
  return value;
}

/** `npm start` settings from the environment; every variable is documented in README. */
export function platformOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): PlatformOptions {
  const signingKey = env.LOCAL_SIGNING_KEY || undefined;
  if (signingKey !== undefined && Buffer.from(signingKey, 'base64').length < 32) {
    throw new Error('LOCAL_SIGNING_KEY must be base64 of at least 32 bytes (e.g. `openssl rand -base64 32`)');
  }
  const signingKeyId = env.LOCAL_SIGNING_KEY_ID || `local-${randomBytes(4).toString('hex')}`;
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(signingKeyId)) {
    throw new Error(`LOCAL_SIGNING_KEY_ID must be 1-128 of A-Z a-z 0-9 . _ -, got "${signingKeyId}"`);
  }
  return {
    orbitPort: port(env, 'ORBIT_PORT', 8080),
    axonPort: port(env, 'AXON_PORT', 8081),
    lambdaPort: port(env, 'LOCAL_LAMBDA_PORT', 9001),
    dynamoPort: port(env, 'LOCAL_DYNAMODB_PORT', 8000),
    region: env.AWS_REGION || 'eu-west-1',
    secretsDir: resolve(env.LOCAL_SECRETS_DIR || resolve(REPO_ROOT, '.local/secrets')),
    signingKey,
    signingKeyId,
    logLevel: env.LOG_LEVEL || 'info',
    logs: 'inherit',
    governanceHandler: resolve(REPO_ROOT, 'lambdas/governance/handler.ts'),
    serviceEnv: {},
  };
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const p = typeof address === 'object' && address ? address.port : 0;
      server.close(() => res(p));
    });
  });
}

interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

function startService(
  name: 'axon' | 'orbit',
  servicePort: number,
  env: Record<string, string>,
  logs: 'inherit' | 'ignore',
): Service {
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${name}/main.ts`], {
    cwd: REPO_ROOT,
    // Loopback only: the local platform is never reachable from the network the machine is on.
    env: { ...process.env, ...env, PORT: String(servicePort), HOST: '127.0.0.1' },
    stdio: ['ignore', logs, 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (logs === 'inherit') process.stderr.write(chunk);
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { name, child, url: `http://127.0.0.1:${servicePort}`, exited, stderr: () => stderr };
}

async function waitReady(service: Service, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  service.exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`${service.name} exited with ${exitCode} before it was ready:\n${service.stderr()}`);
    }
    try {
      const res = await fetch(`${service.url}/health?ready=1`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${service.name} was not ready within ${timeoutMs} ms:\n${service.stderr()}`);
}

async function stopService(service: Service, graceMs: number): Promise<number | null> {
  if (service.child.exitCode !== null) return service.child.exitCode;
  service.child.kill('SIGTERM');
  const timer = setTimeout(() => service.child.kill('SIGKILL'), graceMs);
  const code = await service.exited;
  clearTimeout(timer);
  return code;
}

/** Powertools' names for the pino level the services use, so one LOG_LEVEL quiets all three. */
function powertoolsLevel(level: string): string {
  if (level === 'fatal') return 'CRITICAL';
  return level.toUpperCase();
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

/**
 * The whole request path on loopback: dynalite seeded with governance/policies/default.json, a Lambda
 * Invoke endpoint running the governance handler in this process, and Axon and Orbit as child
 * processes started exactly as in their containers (main.ts + environment variables).
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const started: { close(): Promise<unknown> }[] = [];
  const services: Service[] = [];
  const cleanup = async () => {
    for (const s of services) await stopService(s, 5_000);
    for (const c of started.reverse()) await c.close();
  };
  try {
    const dynamo: LocalDynamo = await startDynamo(options.dynamoPort);
    started.push(dynamo);
    const { seedPolicyTable } = (await import(
      pathToFileURL(resolve(REPO_ROOT, 'lambdas/governance/seed.ts')).href
    )) as {
      seedPolicyTable(o: { endpoint: string; tableName: string; region?: string }): Promise<unknown>;
    };
    await seedPolicyTable({ endpoint: dynamo.endpoint, tableName: NAMES.tableName, region: options.region });

    // The handler reads its configuration when its module loads, exactly as in Lambda.
    Object.assign(process.env, {
      POLICY_TABLE_NAME: NAMES.tableName,
      POLICY_SET_NAME: process.env.POLICY_SET_NAME || 'default',
      ENVIRONMENT: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: options.region,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID || 'local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY || 'local',
      POWERTOOLS_LOG_LEVEL: options.logs === 'ignore' ? 'SILENT' : powertoolsLevel(options.logLevel),
      POWERTOOLS_METRICS_DISABLED: options.logs === 'ignore' ? 'true' : 'false',
    });
    const module = (await import(pathToFileURL(options.governanceHandler).href)) as {
      handler?: LambdaHandler;
    };
    if (typeof module.handler !== 'function')
      throw new Error(`${options.governanceHandler} exports no handler function`);
    const governance = module.handler;
    const lambda: InvokeEndpoint = await startInvokeEndpoint(
      { [NAMES.functionName]: (event) => governance(event) },
      options.lambdaPort,
    );
    started.push(lambda);

    const secrets = new LocalFileSecretStore(options.secretsDir);
    await writeKeys(secrets, options.signingKeyId, options.signingKey ?? randomBytes(32).toString('base64'));

    const axonPort = options.axonPort || (await freePort());
    const orbitPort = options.orbitPort || (await freePort());
    const common = {
      AWS_REGION: options.region,
      LOG_LEVEL: options.logLevel,
      LOCAL_SECRETS_DIR: options.secretsDir,
      // Orbit's SDK client needs credentials to sign Invoke; the local endpoint checks none.
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID || 'local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY || 'local',
      ...options.serviceEnv,
    };
    const axon = startService(
      'axon',
      axonPort,
      { ...common, VERIFICATION_SECRET_ID: NAMES.verificationSecretId },
      options.logs,
    );
    services.push(axon);
    const orbit = startService(
      'orbit',
      orbitPort,
      {
        ...common,
        AXON_URL: axon.url,
        GOVERNANCE_FUNCTION_NAME: NAMES.functionName,
        AWS_ENDPOINT_URL_LAMBDA: lambda.url,
        SIGNING_SECRET_ID: NAMES.signingSecretId,
      },
      options.logs,
    );
    services.push(orbit);
    await Promise.all([waitReady(axon), waitReady(orbit)]);

    let stopping: Promise<{ axon: number | null; orbit: number | null }> | undefined;
    return {
      orbitUrl: orbit.url,
      axonUrl: axon.url,
      lambdaUrl: lambda.url,
      dynamoUrl: dynamo.endpoint,
      keyId: options.signingKeyId,
      secrets,
      options,
      invocations: () => lambda.invocations,
      stop: () => {
        stopping ??= (async () => {
          const drainMs = Number(options.serviceEnv.SHUTDOWN_DRAIN_MS ?? 20_000);
          const [orbitCode, axonCode] = await Promise.all([
            stopService(orbit, drainMs + 5_000),
            stopService(axon, drainMs + 5_000),
          ]);
          for (const c of started.reverse()) await c.close();
          return { axon: axonCode, orbit: orbitCode };
        })();
        return stopping;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
