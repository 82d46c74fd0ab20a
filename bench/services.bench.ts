import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import aws4 from 'aws4';
import { ORBIT_ENV } from '../contracts/service-env.js';
import type { LocalIssuer } from '../local/issuer.js';
import { freePort, platformOptionsFromEnv, REPO_ROOT, startPlatform } from '../local/platform.js';
import { TokenVerifier } from '../services/orbit/auth.js';
import { loadAuthSettings } from '../services/orbit/config.js';
import { CallerRateLimiter } from '../services/orbit/rate-limit.js';
import { ReplayCache } from '../services/shared/replay-cache.js';
import {
  type IncomingSignedRequest,
  SignatureVerifier,
  type SigningKey,
  signRequest,
} from '../services/shared/sigv4.js';
import { isEntryScript } from './entry.js';
import { type Figure, printTable } from './report.js';
import { TRIVIAL_TARGET_SERVICE } from './trivial-target-answer.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const REGION = 'eu-west-1';
const REASON_BODY = JSON.stringify({ intent: 'reason:bench', payload: { text: 'hello' } });

interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly total: number;
}

async function load(
  url: string,
  options: Partial<autocannon.Options>,
  seconds = DURATION_S,
): Promise<LoadResult> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, ...options });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    total: result.requests.total,
  };
}

/** µs per call of `fn` over `n` sequential calls. */
async function perCall(n: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 500; i++) await fn(n + i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / n;
}

async function signingFigures(): Promise<Figure[]> {
  const key: SigningKey = { keyId: 'bench-key', secret: randomBytes(32).toString('base64') };
  const url = new URL('http://axon.internal:8081/reason');
  const N = 5_000;
  const sign = (i: number) =>
    signRequest(
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', 'x-axon-nonce': String(i) },
        body: REASON_BODY,
      },
      key,
      REGION,
    );
  const signUs = await perCall(N, sign);
  const aws4Us = await perCall(N, (i) =>
    aws4.sign(
      {
        host: url.host,
        method: 'POST',
        path: '/reason',
        service: 'axon',
        region: REGION,
        body: REASON_BODY,
        headers: { 'x-axon-nonce': String(i) },
      },
      { accessKeyId: key.keyId, secretAccessKey: key.secret },
    ),
  );
  const requests: IncomingSignedRequest[] = [];
  for (let i = 0; i < N + 500; i++) {
    requests.push({
      method: 'POST',
      rawUrl: '/reason',
      headers: await sign(i),
      body: Buffer.from(REASON_BODY),
    });
  }
  const verifier = new SignatureVerifier({
    region: REGION,
    keys: { get: () => key.secret },
    replay: new ReplayCache(),
  });
  let rejected = 0;
  const verifyUs = await perCall(N, async (i) => {
    const result = await verifier.verify(requests[i] as IncomingSignedRequest);
    if (!result.ok) rejected++;
  });
  if (rejected > 0) throw new Error(`verification rejected ${rejected} bench requests`);
  return [
    { name: 'sign (aws4 package, sync)', value: aws4Us, unit: 'µs/request' },
    {
      name: 'sign (signRequest, Orbit: node:crypto, cached key)',
      value: signUs,
      unit: 'µs/request',
      baseline: { name: 'aws4', value: aws4Us },
    },
    { name: 'verify incl. body hash + replay cache (Axon)', value: verifyUs, unit: 'µs/request' },
  ];
}

/**
 * What the governed features cost Orbit per dispatch, in this process: verifying the caller's bearer
 * token (a reused token: the verified-token cache, through verify and through the synchronous
 * cached() the route hook tries first; a fresh token: a full RS256 verify with the JWKS
 * cached) and taking from its rate-limit bucket.
 */
async function callerGuardFigures(issuer: LocalIssuer): Promise<Figure[]> {
  // The settings Orbit starts with when it trusts this issuer.
  const verifier = new TokenVerifier(loadAuthSettings(issuer.orbitEnv()));
  const limiter = new CallerRateLimiter(UNREACHED_LIMITS);
  const reused = `Bearer ${await issuer.token('demo-app')}`;
  const fresh: string[] = [];
  for (let i = 0; i < 1_500; i++) fresh.push(`Bearer ${await issuer.token('demo-app')}`);
  const check = async (authorization: string) => {
    if (!(await verifier.verify(authorization)).ok) throw new Error('the bench token was refused');
  };
  const reusedUs = await perCall(20_000, () => check(reused));
  const recallUs = await perCall(20_000, () => {
    if (verifier.cached(reused) === undefined) throw new Error('the bench token was not cached');
  });
  const freshUs = await perCall(1_000, (i) => check(fresh[i % fresh.length] as string));
  const takeUs = await perCall(20_000, () => limiter.take('demo-app', 'reason'));
  return [
    { name: 'verify a reused token (verified-token cache)', value: reusedUs, unit: 'µs/request' },
    {
      name: "recall a reused token (cached(): Orbit's hook, no promise)",
      value: recallUs,
      unit: 'µs/request',
    },
    { name: 'verify a fresh token (RS256, JWKS cached)', value: freshUs, unit: 'µs/request' },
    { name: "take from the caller's token bucket", value: takeUs, unit: 'µs/request' },
  ];
}

/** A bench-only child process (the bare proxy, the trivial target) on a port of its own. */
function startChild(
  script: string,
  port: number,
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
) {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = (): Promise<void> => {
    child.kill('SIGTERM');
    return exited;
  };
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop };
}

/**
 * CPU time (user + system, ms) a process has used, from /proc (Linux; clock ticks of 10 ms). Per
 * request it is what a run cost the process whatever else the machine was doing, unlike throughput.
 */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at the state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A load run, and the CPU the process under test spent on it (µs per request) where /proc says. */
async function measured(
  pid: number | undefined,
  url: string,
  options: Partial<autocannon.Options>,
): Promise<LoadResult & { readonly cpuUsPerRequest: number | undefined }> {
  const before = cpuMs(pid);
  const result = await load(url, options);
  const after = cpuMs(pid);
  const cpuUsPerRequest =
    before === undefined || after === undefined || result.total === 0
      ? undefined
      : ((after - before) * 1000) / result.total;
  return { ...result, cpuUsPerRequest };
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url, { method: 'POST', signal: AbortSignal.timeout(500) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * Both sides must answer with the trivial target's own answer: a side that forwards anywhere else
 * (Axon, say, through a platform option that did not take) would make the ratio compare other work.
 */
async function assertForwardsToTarget(
  url: string,
  request: { method: 'POST'; headers: Record<string, string>; body: string },
  answerOf: (body: unknown) => unknown,
): Promise<void> {
  const response = await fetch(url, request);
  const body = (await response.json()) as unknown;
  const answer = answerOf(body) as { service?: unknown } | undefined;
  if (response.status !== 200 || answer?.service !== TRIVIAL_TARGET_SERVICE) {
    throw new Error(
      `${url} does not forward to the trivial target: ${response.status} ${JSON.stringify(body)}`,
    );
  }
}

/** Limits the bench never reaches: every request still takes from its caller's bucket. */
const UNREACHED_LIMITS = { default: { '*': { perSecond: 1_000_000, burst: 1_000_000 } }, callers: {} };

/**
 * Services bench. The dispatch ratio: governed Orbit `/dispatch` (bearer-token verification, the
 * caller's rate limit, governance — cached after the first decision —, SigV4 signing) against a bare
 * Fastify + undici pass-through, both forwarding to the same trivial target (so neither pays for
 * Axon), with the same request (token, body) over the same connections, in alternating rounds so
 * that a machine busy with other work slows both alike; the ratio is the median of the rounds. Axon's
 * own cost is in bench/hop.bench.ts. Service logs at warn (request logging is not what is compared).
 * `BENCH_ORBIT_CPU_PROF=<dir>` writes the CPU profiles (node --cpu-prof) of Orbit and of the bare
 * proxy there when they stop, to compare where each spends its time. Their `writev` is wall time
 * (the sender is descheduled while loopback wakes the reader), not CPU: under strace both make the
 * same two writev and two reads per dispatch (Orbit writes ~660 + ~1,260 bytes, the proxy ~200 +
 * ~990), and /proc shows the gap is user time, i.e. JavaScript.
 */
export async function runServicesBench(): Promise<Figure[]> {
  const secretsDir = mkdtempSync(join(tmpdir(), 'bench-services-'));
  const key: SigningKey = { keyId: 'bench-key-1', secret: randomBytes(32).toString('base64') };
  const target = startChild('bench/trivial-target.ts', await freePort(), {});
  const profileDir = process.env.BENCH_ORBIT_CPU_PROF;
  const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const platform = await startPlatform({
    ...platformOptionsFromEnv({}),
    orbitPort: 0,
    axonPort: 0,
    lambdaPort: 0,
    dynamoPort: 0,
    secretsDir,
    signingKey: key.secret,
    signingKeyId: key.keyId,
    logs: 'ignore',
    logLevel: 'warn',
    serviceEnv: { SHUTDOWN_DRAIN_MS: '2000' },
    orbitEnv: {
      [ORBIT_ENV.axonUrl]: target.url,
      [ORBIT_ENV.rateLimits]: JSON.stringify(UNREACHED_LIMITS),
    },
    ...(profileDir ? { orbitNodeArgs: profileArgs } : {}),
  });
  const proxy = startChild(
    'bench/passthrough-proxy.ts',
    await freePort(),
    { TARGET_URL: target.url },
    profileArgs,
  );
  try {
    await Promise.all([waitFor(target.url), waitFor(proxy.url)]);
    const dispatch = {
      method: 'POST' as const,
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await platform.issuer.token('demo-app')}`,
      },
      body: JSON.stringify({ intent: 'reason:bench', payload: { text: 'hello' } }),
    };
    const governedUrl = `${platform.orbitUrl}/dispatch`;
    const bareUrl = `${proxy.url}/dispatch`;
    await assertForwardsToTarget(governedUrl, dispatch, (body) => (body as { result?: unknown }).result);
    await assertForwardsToTarget(bareUrl, dispatch, (body) => body);
    // Warm-up: JIT, connection pools, the token and governance decision caches.
    await load(governedUrl, dispatch, 2);
    await load(bareUrl, dispatch, 2);

    const bare: Awaited<ReturnType<typeof measured>>[] = [];
    const governed: Awaited<ReturnType<typeof measured>>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bare.push(await measured(proxy.pid, bareUrl, dispatch));
      governed.push(await measured(platform.orbit.pid, governedUrl, dispatch));
    }

    const ratios = governed.map((g, i) => g.rps / (bare[i] as LoadResult).rps);
    const ratio = median(ratios);
    const figures: Figure[] = [];
    // Rates vary between rounds on a busy machine; only the per-round ratio compares like with like.
    const describe = (name: string, runs: readonly LoadResult[]) => {
      figures.push(
        {
          name: `${name} rps (median of ${runs.length})`,
          value: median(runs.map((r) => r.rps)),
          unit: `req/s (rounds: ${runs.map((r) => Math.round(r.rps)).join(', ')})`,
        },
        {
          name: `${name} p50 / p99 (median)`,
          value: median(runs.map((r) => r.p50)),
          unit: `ms / ${median(runs.map((r) => r.p99))} ms`,
        },
        {
          name: `${name} non-2xx + errors`,
          value: runs.reduce((n, r) => n + r.non2xx + r.errors, 0),
          unit: `of ${runs.reduce((n, r) => n + r.total, 0)}`,
        },
      );
    };
    describe('(c) bare fastify + undici proxy → trivial target', bare);
    describe('(b) governed orbit /dispatch → trivial target', governed);
    figures.push({
      name: `dispatch ratio (b)/(c), median of rounds [${ratios.map((r) => r.toFixed(2)).join(', ')}]`,
      value: ratio,
      unit: `× (goal ≥ 0.8: ${ratio >= 0.8 ? 'met' : 'not met'})`,
    });
    const cpu = (runs: typeof bare) => runs.map((r) => r.cpuUsPerRequest).filter((v) => v !== undefined);
    if (cpu(bare).length === ROUNDS && cpu(governed).length === ROUNDS) {
      const bareCpu = median(cpu(bare));
      const governedCpu = median(cpu(governed));
      figures.push(
        { name: '(c) bare proxy CPU per request (median)', value: bareCpu, unit: 'µs' },
        {
          name: '(b) governed orbit CPU per request (median)',
          value: governedCpu,
          unit: 'µs',
          baseline: { name: 'bare proxy', value: bareCpu },
        },
        {
          name: 'CPU-bound dispatch ratio (c)/(b) CPU per request',
          value: bareCpu / governedCpu,
          unit: '× (what a machine with a core free per process would give)',
        },
      );
    }
    printTable(
      `services on loopback: autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per run, ${ROUNDS} alternating rounds, governance invocations ${platform.invocations()}`,
      figures,
    );
    const guard = await callerGuardFigures(platform.issuer);
    printTable('caller checks per dispatch (sequential, this process)', guard);
    const signing = await signingFigures();
    printTable('SigV4 per request (sequential, this process)', signing);
    return [...figures, ...guard, ...signing];
  } finally {
    await proxy.stop();
    await platform.stop();
    await target.stop();
    rmSync(secretsDir, { recursive: true, force: true });
  }
}

if (isEntryScript(import.meta.url)) await runServicesBench();
