import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildSync } from 'esbuild';
import { runSmoke, smokeOptionsFromEnv } from './smoke.js';

/** A stand-in Orbit on loopback whose answers each test can bend. */
let behaviour: {
  healthStatus: number;
  ready: boolean;
  allowEverything: boolean;
  echoCorrelation: boolean;
} = { healthStatus: 200, ready: true, allowEverything: false, echoCorrelation: true };

const server: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => {
    body += chunk.toString();
  });
  req.on('end', () => {
    const correlationId = String(req.headers['x-correlation-id'] ?? '');
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(behaviour.healthStatus, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok', service: 'orbit', ready: behaviour.ready }));
      return;
    }
    const { intent } = JSON.parse(body) as { intent: string };
    if (behaviour.allowEverything || intent.startsWith('reason:')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: 'dispatched',
          correlationId: behaviour.echoCorrelation ? correlationId : 'other',
          intent,
          decision: { decisionId: 'd-1', policyRevision: 3 },
          result: {},
        }),
      );
      return;
    }
    res.writeHead(403, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'governance-denied', decisionId: 'd-2' }));
  });
});

let baseUrl = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const smoke = () =>
  runSmoke({ baseUrl, allowedIntent: 'reason:smoke', deniedIntent: 'smoke:denied', timeoutMs: 2000 });

describe('runSmoke', () => {
  it('passes when health is ready, the allowed intent dispatches and the other is denied', async () => {
    behaviour = { healthStatus: 200, ready: true, allowEverything: false, echoCorrelation: true };
    const results = await smoke();
    expect(results.map((r) => [r.check, r.ok])).toEqual([
      ['health', true],
      ['dispatch allowed', true],
      ['dispatch denied', true],
    ]);
    expect(results[1]?.detail).toBe('200, decision d-1 (policy revision 3)');
  });

  it('fails health when Orbit is up but not ready', async () => {
    behaviour = { ...behaviour, ready: false };
    const [health] = await smoke();
    expect(health).toEqual({ check: 'health', ok: false, detail: 'GET /health reports ready=false' });
    behaviour = { ...behaviour, ready: true };
  });

  it('fails when governance lets everything through', async () => {
    behaviour = { ...behaviour, allowEverything: true };
    const [, , denied] = await smoke();
    expect(denied?.ok).toBe(false);
    expect(denied?.detail).toBe('POST /dispatch smoke:denied answered 200, expected 403');
    behaviour = { ...behaviour, allowEverything: false };
  });

  it('fails when the correlation id is not carried through', async () => {
    behaviour = { ...behaviour, echoCorrelation: false };
    const [, allowed] = await smoke();
    expect(allowed?.detail).toBe('the response does not carry the correlation id sent');
    behaviour = { ...behaviour, echoCorrelation: true };
  });

  it('reports an unreachable ALB as a failed check, not a crash', async () => {
    const results = await runSmoke({
      baseUrl: 'http://127.0.0.1:1',
      allowedIntent: 'reason:smoke',
      deniedIntent: 'smoke:denied',
      timeoutMs: 500,
    });
    expect(results.every((r) => !r.ok)).toBe(true);
  });
});

describe('smokeOptionsFromEnv', () => {
  it('applies defaults for the intents and the timeout', () => {
    expect(smokeOptionsFromEnv({ SMOKE_BASE_URL: 'http://alb.internal' })).toEqual({
      baseUrl: 'http://alb.internal',
      allowedIntent: 'reason:smoke',
      deniedIntent: 'smoke:must-be-denied',
      timeoutMs: 10_000,
    });
  });

  it('names the variable that is wrong', () => {
    expect(() => smokeOptionsFromEnv({})).toThrow(/SMOKE_BASE_URL must be an http\(s\) URL/);
    expect(() => smokeOptionsFromEnv({ SMOKE_BASE_URL: 'http://a', SMOKE_DENIED_INTENT: 'rm -rf' })).toThrow(
      /SMOKE_DENIED_INTENT must be an intent/,
    );
    expect(() => smokeOptionsFromEnv({ SMOKE_BASE_URL: 'http://a', SMOKE_TIMEOUT_MS: '5' })).toThrow(
      /SMOKE_TIMEOUT_MS must be an integer from 100 to 120000/,
    );
  });
});

describe('smoke-entry bundle (what smoke-ecs.sh runs in the task)', () => {
  /** The same esbuild options as smoke-ecs.sh, run the same way: `node --input-type=module -e`. */
  const runBundle = (env: Record<string, string>) => {
    const [bundle] = buildSync({
      entryPoints: [new URL('./smoke-entry.ts', import.meta.url).pathname],
      bundle: true,
      platform: 'node',
      format: 'esm',
      minify: true,
      target: 'node20',
      write: false,
      logLevel: 'warning',
    }).outputFiles;
    const code = bundle?.text ?? '';
    return new Promise<{ code: number | null; stdout: string; size: number }>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
        env: { PATH: process.env.PATH ?? '', ...env },
      });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.on('close', (exit) => resolve({ code: exit, stdout, size: code.length }));
    });
  };

  it('fits an ECS command override, prints one JSON line per check and exits 0 when all pass', async () => {
    behaviour = { healthStatus: 200, ready: true, allowEverything: false, echoCorrelation: true };
    const result = await runBundle({ SMOKE_BASE_URL: baseUrl });
    expect(result.size).toBeLessThan(6000);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { smoke: { check: string; ok: boolean } });
    expect(lines.map((l) => [l.smoke.check, l.smoke.ok])).toEqual([
      ['health', true],
      ['dispatch allowed', true],
      ['dispatch denied', true],
    ]);
    expect(result.code).toBe(0);
  });

  it('exits 1 when a check fails and 2 when it is misconfigured', async () => {
    behaviour = { ...behaviour, allowEverything: true };
    expect((await runBundle({ SMOKE_BASE_URL: baseUrl })).code).toBe(1);
    behaviour = { ...behaviour, allowEverything: false };
    const misconfigured = await runBundle({});
    expect(misconfigured.code).toBe(2);
    expect(misconfigured.stdout).toContain('SMOKE_BASE_URL must be an http(s) URL');
  });
});
