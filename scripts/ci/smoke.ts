/**
 * The post-deploy smoke test: Orbit answers `/health`, a dispatch the default policy allows goes
 * through governance to Axon and back, and one it does not allow is denied by governance. It runs
 * inside the VPC (see smoke-ecs.sh), so this module depends on nothing but Node's own `fetch`.
 */
export interface SmokeOptions {
  /** Orbit behind the internal ALB, e.g. `http://internal-axon-orbit-dev-123.eu-west-1.elb.amazonaws.com`. */
  readonly baseUrl: string;
  /** An intent the policy allows (default policy: `reason:*` for Orbit). */
  readonly allowedIntent: string;
  /** An intent no statement allows, so governance must deny it. */
  readonly deniedIntent: string;
  readonly timeoutMs: number;
  readonly fetchImpl?: typeof fetch;
  /** Correlation ids are random by default; tests fix them. */
  readonly correlationId?: (check: string) => string;
}

export interface CheckResult {
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

type Json = Record<string, unknown>;

async function call(
  options: SmokeOptions,
  method: 'GET' | 'POST',
  path: string,
  correlationId: string,
  body?: Json,
): Promise<{ status: number; headers: Headers; json: Json | undefined }> {
  const fetchImpl = options.fetchImpl ?? fetch;
  const response = await fetchImpl(new URL(path, options.baseUrl), {
    method,
    headers: {
      'x-correlation-id': correlationId,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const text = await response.text();
  let json: Json | undefined;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json };
}

async function check(name: string, run: () => Promise<string>): Promise<CheckResult> {
  try {
    return { check: name, ok: true, detail: await run() };
  } catch (error) {
    return { check: name, ok: false, detail: (error as Error).message };
  }
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

export async function runSmoke(options: SmokeOptions): Promise<CheckResult[]> {
  const idFor = options.correlationId ?? ((name: string) => `smoke-${name}-${crypto.randomUUID()}`);
  const health = await check('health', async () => {
    const { status, json } = await call(options, 'GET', '/health', idFor('health'));
    expect(status === 200, `GET /health answered ${status}, expected 200`);
    expect(json?.ready === true, `GET /health reports ready=${String(json?.ready)}`);
    return `200, service ${String(json?.service)}`;
  });

  const allowed = await check('dispatch allowed', async () => {
    const id = idFor('allowed');
    const { status, json } = await call(options, 'POST', '/dispatch', id, { intent: options.allowedIntent });
    expect(status === 200, `POST /dispatch ${options.allowedIntent} answered ${status}, expected 200`);
    expect(json?.correlationId === id, 'the response does not carry the correlation id sent');
    const decision = json?.decision as Json | undefined;
    expect(typeof decision?.decisionId === 'string', 'the response names no governance decision');
    return `200, decision ${String(decision?.decisionId)} (policy revision ${String(decision?.policyRevision)})`;
  });

  const denied = await check('dispatch denied', async () => {
    const { status, headers, json } = await call(options, 'POST', '/dispatch', idFor('denied'), {
      intent: options.deniedIntent,
    });
    expect(status === 403, `POST /dispatch ${options.deniedIntent} answered ${status}, expected 403`);
    expect(
      (headers.get('content-type') ?? '').startsWith('application/problem+json'),
      'the denial is not application/problem+json',
    );
    expect(typeof json?.decisionId === 'string', 'the denial names no governance decision');
    return `403, decision ${String(json?.decisionId)}`;
  });

  return [health, allowed, denied];
}

const INTENT = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;

/** Reads the options from the environment the smoke task is started with; a bad value names its variable. */
export function smokeOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): SmokeOptions {
  const baseUrl = env.SMOKE_BASE_URL ?? '';
  if (!/^https?:\/\/[^\s/]+/.test(baseUrl)) {
    throw new Error(`SMOKE_BASE_URL must be an http(s) URL, got "${baseUrl}"`);
  }
  const allowedIntent = env.SMOKE_ALLOWED_INTENT || 'reason:smoke';
  const deniedIntent = env.SMOKE_DENIED_INTENT || 'smoke:must-be-denied';
  for (const [name, value] of [
    ['SMOKE_ALLOWED_INTENT', allowedIntent],
    ['SMOKE_DENIED_INTENT', deniedIntent],
  ] as const) {
    if (!INTENT.test(value))
      throw new Error(`${name} must be an intent such as reason:smoke, got "${value}"`);
  }
  const timeoutMs = Number(env.SMOKE_TIMEOUT_MS || 10_000);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100 || timeoutMs > 120_000) {
    throw new Error(`SMOKE_TIMEOUT_MS must be an integer from 100 to 120000, got "${env.SMOKE_TIMEOUT_MS}"`);
  }
  return { baseUrl, allowedIntent, deniedIntent, timeoutMs };
}
