import type { FastifyInstance } from 'fastify';

export interface DrainOptions {
  /** How long in-flight requests may take to finish before their connections are cut. */
  readonly drainMs: number;
  /** Runs after the server closed (timers, key refreshers, metrics flush). */
  readonly onClosed?: () => void | Promise<void>;
}

/**
 * Graceful stop: the server stops accepting connections, idle keep-alive connections are closed,
 * in-flight requests finish; after `drainMs` the remaining connections are destroyed so the process
 * always exits inside the ECS stop timeout. Resolves with whether the drain completed in time.
 */
export async function drain(app: FastifyInstance, options: DrainOptions): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      app.server.closeAllConnections();
      resolve(false);
    }, options.drainMs);
  });
  // A keep-alive connection that was busy when close() began turns idle once its response is sent;
  // Node does not close it by itself, so idle connections are reaped until the server has closed.
  const reaper = setInterval(() => app.server.closeIdleConnections(), 50);
  const closed = app.close().then(() => true as const);
  const completed = await Promise.race([closed, deadline]);
  clearTimeout(timer);
  clearInterval(reaper);
  if (!completed) await closed;
  await options.onClosed?.();
  return completed;
}

/** Wires SIGTERM/SIGINT to `drain` once, then exits 0 (or 1 if the drain itself failed). */
export function exitOnSignals(app: FastifyInstance, options: DrainOptions): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal, drainMs: options.drainMs }, 'draining');
    drain(app, options).then(
      (completed) => {
        app.log.info({ completed }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
