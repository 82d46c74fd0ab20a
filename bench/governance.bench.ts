import { execFile } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { DECISION_FUNCTION_ENV } from '../contracts/service-env.js';
import {
  type CompiledPolicy,
  compilePolicy,
  type DecisionRequest,
  type PolicyDocument,
  parsePolicy,
  type Statement,
} from '../lambdas/governance/engine/index.js';
import { seedPolicyTable } from '../lambdas/governance/seed.js';
import { DECISION_BUNDLING, lambdaBuildOptions } from '../lib/constructs/lambda-bundle.js';
import { LAMBDA_NODE_OPTIONS } from '../lib/constructs/lambda-function.js';
import { cedar, cedarCall, preparse } from '../test/support/cedar.js';
import { startDynalite } from '../test/support/dynalite.js';
import { isEntryScript } from './entry.js';
import { type Figure, percentile, printTable } from './report.js';

const SIZES = [10, 100, 1000] as const;
const REQUESTS = 10_000;
/** Time per size; Cedar evaluates every policy on every call, so it gets more time for fewer calls. */
const ENGINE_BUDGET_MS = 2_000;
const CEDAR_BUDGET_MS = 6_000;
/** Fresh processes per side; handler and baseline alternate. */
const COLD_RUNS = 15;

/** Deterministic PRNG (mulberry32), so every run measures the same policies and requests. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A policy shaped like a real one grows: statements spread over many services and intents (one
 * service per ten statements, 3 verbs × 40 objects), a fifth of them denies, some globbed, some
 * conditioned on environment or a context attribute.
 */
function syntheticPolicy(size: number, random: () => number): PolicyDocument {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const services = Array.from({ length: Math.max(3, size / 10) }, (_, i) => `svc${i}`);
  const verbs = ['read', 'write', 'reason'];
  const objects = Array.from({ length: 40 }, (_, i) => `obj${i}`);
  const callers = Array.from({ length: 20 }, (_, i) => `caller${i}`);
  const statements = Array.from({ length: size }, (_, i): Statement => {
    const action = random() < 0.2 ? `${pick(verbs)}:*` : `${pick(verbs)}:${pick(objects)}`;
    const conditions =
      random() < 0.3
        ? random() < 0.5
          ? { environments: [pick(['dev', 'staging', 'prod'] as const)] }
          : { context: [{ attribute: 'tenant', in: ['acme', 'globex'] }] }
        : undefined;
    return {
      id: `s${i}`,
      effect: random() < 0.2 ? 'deny' : 'allow',
      principals: [pick(services)],
      // Half the statements name verified callers (or any), as a policy of Orbit's callers would.
      ...(random() < 0.5 ? { callers: [random() < 0.1 ? '*' : pick(callers)] } : {}),
      actions: [action],
      ...(conditions ? { conditions } : {}),
    };
  });
  return parsePolicy({ version: 1, statements });
}

/** Half the requests aim at a statement's principal and intent, half are random (mostly default deny). */
function syntheticRequests(document: PolicyDocument, count: number, random: () => number): DecisionRequest[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: count }, (): DecisionRequest => {
    const aimed = random() < 0.5 ? pick(document.statements) : undefined;
    const principal = aimed ? (aimed.principals[0] ?? 'svc0') : `svc${Math.floor(random() * 200)}`;
    const action = aimed
      ? (aimed.actions[0] ?? 'read:obj0').replace('*', `obj${Math.floor(random() * 40)}`)
      : `${pick(['read', 'write', 'reason'])}:obj${Math.floor(random() * 40)}`;
    const caller = aimed?.callers?.[0] ?? `caller${Math.floor(random() * 20)}`;
    return {
      principal,
      caller: caller === '*' ? 'caller0' : caller,
      action,
      environment: pick(['dev', 'staging', 'prod'] as const),
      time: Date.UTC(2026, 0, 5, 12),
      attributes: { tenant: pick(['acme', 'globex', 'initech']) },
    };
  });
}

interface Measured {
  readonly perSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
  /** Decisions of the timed calls, in request order (a prefix of the requests when time ran out). */
  readonly allowed: readonly boolean[];
}

/**
 * Time-boxed: a quarter of the budget warms up (cedar-wasm needs seconds before its code is
 * optimized), half measures throughput in a tight loop, and the rest times calls one by one for
 * p50/p99 (each sample includes ~50 ns of clock reads).
 */
function measure(
  requests: readonly DecisionRequest[],
  call: (r: DecisionRequest) => boolean,
  budgetMs: number,
): Measured {
  const cycle = (ms: number) => {
    const end = performance.now() + ms;
    let n = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 50; i++) call(requests[n++ % requests.length] as DecisionRequest);
    }
    return n;
  };
  cycle(budgetMs / 4);
  const start = performance.now();
  const calls = cycle(budgetMs / 2);
  const perSecond = calls / ((performance.now() - start) / 1000);
  const samples: number[] = [];
  const allowed: boolean[] = [];
  const end = performance.now() + budgetMs / 4;
  for (const r of requests) {
    if (samples.length >= 100 && performance.now() > end) break;
    const t = process.hrtime.bigint();
    allowed.push(call(r));
    samples.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  samples.sort((a, b) => a - b);
  return { perSecond, p50Us: percentile(samples, 50), p99Us: percentile(samples, 99), allowed };
}

function decisionBench(): Figure[] {
  const figures: Figure[] = [];
  for (const size of SIZES) {
    const random = prng(size);
    const document = syntheticPolicy(size, random);
    const requests = syntheticRequests(document, REQUESTS, random);
    const policy: CompiledPolicy = compilePolicy(document, 1);
    const setId = `bench-${size}`;
    preparse(setId, document);

    const ours = measure(requests, (r) => policy.decide(r).allowed, ENGINE_BUDGET_MS);
    const theirs = measure(
      requests,
      (r) => {
        const answer = cedar.statefulIsAuthorized(cedarCall(setId, r));
        return answer.type === 'success' && answer.response.decision === 'allow';
      },
      CEDAR_BUDGET_MS,
    );
    const mismatches = theirs.allowed.filter((a, i) => a !== ours.allowed[i]).length;
    if (mismatches > 0) throw new Error(`${mismatches} decisions differ from Cedar at ${size} statements`);
    const allowShare = (100 * ours.allowed.filter(Boolean).length) / ours.allowed.length;

    const label = (what: string) => `${size} statements: ${what}`;
    figures.push(
      {
        name: label('engine decisions/s'),
        value: ours.perSecond,
        unit: '/s',
        baseline: { name: 'cedar-wasm', value: theirs.perSecond },
      },
      { name: label('engine p50'), value: ours.p50Us, unit: 'µs' },
      { name: label('engine p99'), value: ours.p99Us, unit: 'µs' },
      { name: label('cedar-wasm decisions/s'), value: theirs.perSecond, unit: '/s' },
      { name: label('cedar-wasm p50'), value: theirs.p50Us, unit: 'µs' },
      { name: label('cedar-wasm p99'), value: theirs.p99Us, unit: 'µs' },
      {
        name: label('requests decided by both, all agreeing'),
        value: theirs.allowed.length,
        unit: `(${allowShare.toFixed(0)}% allowed)`,
      },
    );
  }
  return figures;
}

/** The decision function's build (lib/constructs/lambda-bundle.ts), minified as deployed or not. */
function lambdaBuild(entry: string, outfile: string, minify: boolean): BuildOptions {
  return lambdaBuildOptions(entry, outfile, { ...DECISION_BUNDLING, minify });
}

interface ColdStart {
  /** Wall-clock milliseconds of the module import. */
  readonly init: number;
  /** CPU milliseconds (user + system, all threads) of the module import: less sensitive to a busy machine. */
  readonly initCpu: number;
  readonly first: number;
  readonly second: number;
}

/**
 * Milliseconds a fresh Node process spends importing `module` and, optionally, answering two
 * decisions. Asynchronous, so the dynalite and KMS stand-ins in this process keep serving the child.
 */
async function coldStart(module: string, env: Record<string, string>, invoke: boolean): Promise<ColdStart> {
  const script = `
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const m = await import(${JSON.stringify(module)});
    const t1 = performance.now();
    const used = process.cpuUsage(cpu);
    let t2 = t1, t3 = t1;
    if (${invoke}) {
      const r = await m.handler({ service: 'orbit', intent: 'reason:deep', caller: { clientId: 'demo-app' } });
      if (!r.allowed || !r.token) throw new Error('unexpected decision ' + JSON.stringify(r));
      t2 = performance.now();
      await m.handler({ service: 'orbit', intent: 'reason:fast', caller: { clientId: 'demo-app' } });
      t3 = performance.now();
    }
    const initCpu = (used.user + used.system) / 1000;
    process.stderr.write('\\n' + JSON.stringify({ init: t1 - t0, initCpu, first: t2 - t1, second: t3 - t2 }) + '\\n');
    process.exit(0);`;
  const { stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  const line = stderr.split('\n').find((l) => l.startsWith('{"init"'));
  if (!line) throw new Error(`cold start printed no timing:\n${stderr}`);
  return JSON.parse(line) as ColdStart;
}

/**
 * KMS `Sign` on a loopback port (AWS JSON 1.1, as the SDK speaks it), with a P-256 key of this
 * process: the deployed function signs every allow, so its first decision includes loading the KMS
 * client and one Sign call.
 */
async function startKmsSign(keyId: string): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (req.headers['x-amz-target'] !== 'TrentService.Sign') {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'UnsupportedOperationException', message: 'Sign only' }));
        return;
      }
      const message = Buffer.from((JSON.parse(body) as { Message: string }).Message, 'base64');
      const signature = sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
      res.end(
        JSON.stringify({
          KeyId: keyId,
          Signature: signature.toString('base64'),
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function spread(values: readonly number[], digits = 0): { median: number; text: string } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => percentile(sorted, p);
  const show = (v: number) => v.toFixed(digits);
  return { median: at(50), text: `(p25–p75 ${show(at(25))}–${show(at(75))}, min ${show(at(0))})` };
}

async function bundleBench(): Promise<Figure[]> {
  // Inside node_modules so the external AWS SDK resolves as it does from the Lambda runtime.
  const root = join(process.cwd(), 'node_modules', '.cache');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, 'governance-bench-'));
  const dynamo = await startDynalite();
  const keyId = 'arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-4000-8000-000000000000';
  const kms = await startKmsSign(keyId);
  try {
    const minified = join(dir, 'index.mjs');
    await build(lambdaBuild('lambdas/governance/handler.ts', minified, true));
    await build(lambdaBuild('lambdas/governance/handler.ts', join(dir, 'plain.mjs'), false));
    // The baseline is bundled alike: the same esbuild options applied to a bare client import.
    const sdkEntry = join(dir, 'sdk-only.ts');
    writeFileSync(
      sdkEntry,
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const client = new DynamoDBClient({});\n",
    );
    const sdkOnly = join(dir, 'sdk-only.mjs');
    await build(lambdaBuild(sdkEntry, sdkOnly, true));
    const size = (file: string) => statSync(file).size;

    await seedPolicyTable({ endpoint: dynamo.endpoint, tableName: 'bench-policies' });
    // What the deployed function's environment holds (lib/stacks/governance-stack.ts), with the
    // stand-ins' endpoints; the SDK's Node-version notice is off, as on the Lambda runtime's Node.
    const env = {
      NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
      POWERTOOLS_SERVICE_NAME: 'bench-governance-decide',
      [DECISION_FUNCTION_ENV.tableName]: 'bench-policies',
      [DECISION_FUNCTION_ENV.policySet]: 'default',
      [DECISION_FUNCTION_ENV.cacheTtlMs]: '30000',
      [DECISION_FUNCTION_ENV.environment]: 'dev',
      [DECISION_FUNCTION_ENV.decisionTokenKeyId]: keyId,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    // Alternate handler and baseline, so a busy moment of the machine falls on both alike.
    const runs: ColdStart[] = [];
    const sdkRuns: ColdStart[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      runs.push(await coldStart(minified, env, true));
      sdkRuns.push(await coldStart(sdkOnly, env, false));
    }
    const init = spread(runs.map((r) => r.init));
    const sdkInit = spread(sdkRuns.map((r) => r.init));
    const initCpu = spread(runs.map((r) => r.initCpu));
    const sdkInitCpu = spread(sdkRuns.map((r) => r.initCpu));
    // Each handler run over the baseline run right after it: a busy stretch of the machine cancels out.
    const paired = spread(
      runs.map((r, i) => r.init / (sdkRuns[i]?.init ?? Number.NaN)),
      2,
    );
    return [
      {
        name: 'minified handler bundle (target < 500 KB)',
        value: size(minified) / 1024,
        unit: 'KB',
        baseline: { name: 'unminified', value: size(join(dir, 'plain.mjs')) / 1024 },
      },
      // Node reads and parses the map at import under --enable-source-maps.
      { name: 'its source map', value: size(`${minified}.map`) / 1024, unit: 'KB' },
      // The target (issue 18: ≤ 1.2×) is held to the CPU ratio: the function runs on a fraction of
      // a vCPU (512–1024 MB of 1769 MB per vCPU), where the compiler and GC threads that run beside
      // the main thread here take turns with it, so all-thread CPU predicts init there; wall on
      // this shared 2-core machine is printed beside it, and is the higher of the two when quiet.
      {
        name: 'handler init (module import, wall)',
        value: init.median,
        unit: `ms ${init.text}`,
        baseline: { name: 'bare DynamoDB client import', value: sdkInit.median },
      },
      {
        name: 'handler init (module import, CPU; target ≤ 1.2×)',
        value: initCpu.median,
        unit: `ms ${initCpu.text}`,
        baseline: { name: 'bare DynamoDB client import', value: sdkInitCpu.median },
      },
      {
        name: 'handler init over the baseline run beside it (wall, median of pairs)',
        value: paired.median,
        unit: `× ${paired.text}`,
      },
      {
        name: 'first decision (loads + compiles head, loads KMS client, signs)',
        value: spread(runs.map((r) => r.first)).median,
        unit: 'ms',
      },
      {
        name: 'second decision (cached head, signs)',
        value: spread(runs.map((r) => r.second)).median,
        unit: 'ms',
      },
      { name: 'bare DynamoDB client import (wall)', value: sdkInit.median, unit: `ms ${sdkInit.text}` },
      { name: 'bare DynamoDB client import (CPU)', value: sdkInitCpu.median, unit: `ms ${sdkInitCpu.text}` },
    ];
  } finally {
    await kms.close();
    await dynamo.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Governance: engine vs cedar-wasm on the same requests, the Lambda bundle and its cold start. */
export async function runGovernanceBench(): Promise<Figure[]> {
  const decisions = decisionBench();
  printTable(
    `governance decisions: engine vs cedar-wasm statefulIsAuthorized on the same ${REQUESTS} requests`,
    decisions,
  );
  const bundle = await bundleBench();
  printTable(
    `governance Lambda bundle and cold start (medians of ${COLD_RUNS} fresh processes each)`,
    bundle,
  );
  return [...decisions, ...bundle];
}

/**
 * Alone: `tsx bench/governance.bench.ts [decisions | cold-start]`; `decisions` is what a policy-engine
 * change needs to check, `cold-start` the handler init ratio.
 */
if (isEntryScript(import.meta.url)) {
  const part = process.argv[2];
  if (part === 'decisions') printTable('governance decisions: engine vs cedar-wasm', decisionBench());
  else if (part === 'cold-start')
    printTable(
      `governance Lambda bundle and cold start (medians of ${COLD_RUNS} fresh processes each)`,
      await bundleBench(),
    );
  else await runGovernanceBench();
}
