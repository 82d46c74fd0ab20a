import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { bundled } from './bundle.js';
import { PortInUseError } from './ports.js';

const CHILD = fileURLToPath(new URL('./service-child.ts', import.meta.url));
const REPO_ROOT = resolve(dirname(CHILD), '..');

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServiceProcessOptions {
  /** `axon` or `orbit`: names the process in messages. */
  readonly name: string;
  /** Path of the service's main.ts, relative to the repository root. */
  readonly main: string;
  /** 0: the service binds a port the kernel picks, kept across restarts (`url` is known once started). */
  readonly port: number;
  readonly env: Readonly<Record<string, string>>;
  /** How long `start` waits for `GET /health?ready=1` to answer 200. */
  readonly readyTimeoutMs?: number;
  /** Copy the service's JSON log lines (stdout) and, once ready, its stderr to this process's. */
  readonly echo?: boolean;
  /** Kill the service after this long whatever happens (bounded runs); unbounded when undefined. */
  readonly maxLifetimeMs?: number;
  /** Extra node flags, e.g. `--cpu-prof` (which NODE_OPTIONS may not carry). */
  readonly nodeArgs?: readonly string[];
  /**
   * Start the service from an esbuild bundle of main.ts, as its image does, instead of through tsx:
   * a fraction of the start CPU, for suites that start many processes. Stack traces then name the
   * bundle, not the sources.
   */
  readonly bundle?: boolean;
}

/**
 * Live supervision of one service process, started exactly as in its container (`main.ts` + environment
 * variables) on 127.0.0.1: start, wait until ready, signal, wait for exit, restart; counts its log lines
 * by message so callers can assert on what it logged.
 */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<ExitInfo> | undefined;
  private readonly counts = new Map<string, number>();
  private readonly samples = new Map<string, Record<string, unknown>[]>();
  private stderrTail = '';
  private ready = false;
  private boundPort: number | undefined;
  private listening = false;

  constructor(private readonly options: ServiceProcessOptions) {}

  get url(): string {
    const port = this.port;
    if (port === 0) throw new Error(`${this.options.name} has no port before it first starts`);
    return `http://127.0.0.1:${port}`;
  }

  private get port(): number {
    return this.boundPort ?? this.options.port;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How many log lines with this exact `msg` the process wrote (all its lives together). */
  logCount(msg: string): number {
    return this.counts.get(msg) ?? 0;
  }

  /** The first few log lines with this `msg`, parsed: what a failed check quotes. */
  logSamples(msg: string): readonly Record<string, unknown>[] {
    return this.samples.get(msg) ?? [];
  }

  async start(): Promise<void> {
    if (this.child) throw new Error(`${this.options.name} is already running (pid ${this.child.pid})`);
    const lifetime = this.options.maxLifetimeMs;
    const entry = this.options.bundle
      ? [await bundled(CHILD), await bundled(resolve(REPO_ROOT, this.options.main))]
      : ['--import', 'tsx', CHILD, this.options.main];
    const args = [...(this.options.nodeArgs ?? []), ...entry];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...this.options.env,
        PORT: String(this.port),
        // Loopback only: nothing the local platform starts is reachable from the machine's network.
        HOST: '127.0.0.1',
        ...(lifetime ? { LOCAL_MAX_LIFETIME_MS: String(lifetime) } : {}),
      },
      stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
    });
    child.on('message', (message: { listening?: unknown }) => {
      if (typeof message.listening !== 'number' || this.child !== child) return;
      this.boundPort = message.listening;
      this.listening = true;
    });
    this.ready = false;
    this.listening = false;
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        resolve({ code, signal });
      });
    });
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        this.count(line);
        if (this.options.echo) process.stdout.write(`${line}\n`);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
      // Before it is ready a failure is reported once, by start(); after, a crash shows as it happens.
      if (this.options.echo && this.ready) process.stderr.write(chunk);
    });
    await this.waitReady(this.options.readyTimeoutMs ?? 20_000);
    this.ready = true;
  }

  /** Sends a signal; `SIGKILL` is a crash, `SIGTERM` the ECS stop. */
  signal(signal: NodeJS.Signals): void {
    if (!this.child) throw new Error(`${this.options.name} is not running`);
    this.child.kill(signal);
  }

  /** Resolves with the exit of the current process, or rejects after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<ExitInfo> {
    if (!this.exited) throw new Error(`${this.options.name} was never started`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.options.name} did not exit within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the process if it runs: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<ExitInfo | undefined> {
    if (!this.child) return undefined;
    this.child.kill('SIGTERM');
    try {
      return await this.waitExit(graceMs);
    } catch {
      this.child?.kill('SIGKILL');
      return this.waitExit(graceMs);
    }
  }

  private count(line: string): void {
    const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
    if (msg === undefined) return;
    this.counts.set(msg, (this.counts.get(msg) ?? 0) + 1);
    const kept = this.samples.get(msg) ?? [];
    if (kept.length < 3 && !line.includes('"level":"info"')) {
      try {
        kept.push(JSON.parse(line) as Record<string, unknown>);
        this.samples.set(msg, kept);
      } catch {
        // a partial line; the count is enough
      }
    }
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.child) {
        const exit = await this.exited;
        if (this.stderrTail.includes('EADDRINUSE')) {
          throw new PortInUseError([{ component: this.options.name, port: this.port }]);
        }
        throw new Error(
          `${this.options.name} exited during start (code ${exit?.code}, signal ${exit?.signal}): ${this.stderrTail}`,
        );
      }
      // Only once this child has bound: before, whatever answers on the port is someone else.
      if (this.listening) {
        try {
          const res = await request(`${this.url}/health?ready=1`, { signal: AbortSignal.timeout(1_000) });
          await res.body.dump();
          if (res.statusCode === 200) return;
        } catch {
          // bound but not answering yet
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop(1_000);
    throw new Error(`${this.options.name} was not ready within ${timeoutMs} ms: ${this.stderrTail}`);
  }
}
