import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServiceProcessOptions {
  /** `axon` or `orbit`: names the process in messages. */
  readonly name: string;
  /** Path of the service's main.ts, relative to the repository root. */
  readonly main: string;
  readonly port: number;
  readonly env: Readonly<Record<string, string>>;
  /** How long `start` waits for `GET /health?ready=1` to answer 200. */
  readonly readyTimeoutMs?: number;
}

/** Live supervision of one service process: start, wait until ready, signal, wait for exit, restart. */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<ExitInfo> | undefined;
  private readonly counts = new Map<string, number>();
  private readonly samples = new Map<string, Record<string, unknown>[]>();
  private stderrTail = '';

  constructor(private readonly options: ServiceProcessOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
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
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, this.options.main], {
      env: { ...process.env, ...this.options.env, PORT: String(this.options.port) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
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
      for (const line of lines) this.count(line);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
    });
    await this.waitReady(this.options.readyTimeoutMs ?? 20_000);
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
        throw new Error(
          `${this.options.name} exited during start (code ${exit?.code}, signal ${exit?.signal}): ${this.stderrTail}`,
        );
      }
      try {
        const res = await request(`${this.url}/health?ready=1`, { signal: AbortSignal.timeout(1_000) });
        await res.body.dump();
        if (res.statusCode === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop(1_000);
    throw new Error(`${this.options.name} was not ready within ${timeoutMs} ms: ${this.stderrTail}`);
  }
}
