import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type InvokeEndpoint, startInvokeEndpoint } from '../../local/invoke-endpoint.js';
import { governanceDouble, localLambdaClient } from '../../test/support/fakes.js';
import { memoryLogger } from '../../test/support/services.js';
import { GovernanceClient } from './governance.js';

const { logger } = memoryLogger('orbit');
const calls: unknown[] = [];
const slow = { delayMs: 300 };
const broken = { fail: true };
let endpoint: InvokeEndpoint;
const lambdas: ReturnType<typeof localLambdaClient>[] = [];
function lambdaClient(url: string) {
  const lambda = localLambdaClient(url);
  lambdas.push(lambda);
  return lambda;
}

beforeAll(async () => {
  endpoint = await startInvokeEndpoint({
    governance: governanceDouble({ calls }),
    'slow-governance': governanceDouble(slow),
    'broken-governance': governanceDouble(broken),
    'nonsense-governance': async () => ({ allowed: 'yes' }),
  });
});
afterAll(async () => {
  for (const l of lambdas) l.destroy();
  await endpoint.close();
});

function client(
  functionName: string,
  options: { cacheTtlMs?: number; timeoutMs?: number; now?: () => number } = {},
) {
  return new GovernanceClient({
    lambda: lambdaClient(endpoint.url),
    functionName,
    timeoutMs: options.timeoutMs ?? 1000,
    cacheTtlMs: options.cacheTtlMs ?? 0,
    logger,
    ...(options.now ? { now: options.now } : {}),
  });
}

const CALLER = { clientId: 'demo-app', tenant: 'acme' };

describe('governance client (real SDK Invoke against the local endpoint)', () => {
  it('sends the contract event and returns the decision', async () => {
    const decision = await client('governance').decide('reason:summarize', 'corr-12345678', CALLER);
    expect(decision).toMatchObject({
      kind: 'decision',
      allowed: true,
      statementId: 'orbit-reasons-on-axon',
      cached: false,
    });
    expect(calls.at(-1)).toEqual({
      service: 'orbit',
      caller: CALLER,
      intent: 'reason:summarize',
      correlationId: 'corr-12345678',
    });
  });

  it('returns denials with their reason', async () => {
    await expect(client('governance').decide('admin:drop', 'c-12345678', CALLER)).resolves.toMatchObject({
      allowed: false,
      reason: 'no statement allows orbit:admin:drop',
    });
  });

  it('fails closed on timeout, function error, unknown function and nonsense payloads', async () => {
    await expect(
      client('slow-governance', { timeoutMs: 100 }).decide('reason:x', 'c-12345678', CALLER),
    ).resolves.toEqual({
      kind: 'unavailable',
      reason: 'governance did not answer within 100 ms',
    });
    await expect(client('broken-governance').decide('reason:x', 'c-12345678', CALLER)).resolves.toEqual({
      kind: 'unavailable',
      reason: 'governance function error',
    });
    await expect(client('missing').decide('reason:x', 'c-12345678', CALLER)).resolves.toMatchObject({
      kind: 'unavailable',
    });
    await expect(client('nonsense-governance').decide('reason:x', 'c-12345678', CALLER)).resolves.toEqual({
      kind: 'unavailable',
      reason: 'governance returned an invalid decision',
    });
  });

  it('fails closed when the endpoint is down', async () => {
    const down = new GovernanceClient({
      lambda: lambdaClient('http://127.0.0.1:9'),
      functionName: 'governance',
      timeoutMs: 1000,
      cacheTtlMs: 1000,
      logger,
    });
    await expect(down.decide('reason:x', 'c-12345678', CALLER)).resolves.toEqual({
      kind: 'unavailable',
      reason: 'governance unreachable',
    });
  });

  it('caches decisions per intent for the TTL, shares one invoke between concurrent asks, and expires', async () => {
    let now = 1_000;
    const cached = client('governance', { cacheTtlMs: 5_000, now: () => now });
    const before = endpoint.invocations;
    const answers = await Promise.all(
      [1, 2, 3].map(() => cached.decide('reason:cache', 'c-12345678', CALLER)),
    );
    expect(endpoint.invocations - before).toBe(1);
    expect(answers.filter((a) => a.kind === 'decision' && a.cached)).toHaveLength(2);
    now += 4_999;
    await cached.decide('reason:cache', 'c-12345678', CALLER);
    expect(endpoint.invocations - before).toBe(1);
    now += 2;
    await cached.decide('reason:cache', 'c-12345678', CALLER);
    expect(endpoint.invocations - before).toBe(2);
    // Another caller, or the same client for another tenant, is a decision of its own.
    await cached.decide('reason:cache', 'c-12345678', { clientId: 'batch-reports' });
    await cached.decide('reason:cache', 'c-12345678', { ...CALLER, tenant: 'globex' });
    expect(endpoint.invocations - before).toBe(4);
  });

  it('never caches a failure', async () => {
    broken.fail = true;
    const flaky = client('broken-governance', { cacheTtlMs: 60_000 });
    await expect(flaky.decide('reason:x', 'c-12345678', CALLER)).resolves.toMatchObject({
      kind: 'unavailable',
    });
    broken.fail = false;
    await expect(flaky.decide('reason:x', 'c-12345678', CALLER)).resolves.toMatchObject({
      kind: 'decision',
      allowed: true,
    });
  });
});
