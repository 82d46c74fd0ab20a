import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions, Level, Logger } from 'pino';

type Method = (obj: unknown, msg?: string, ...args: unknown[]) => void;

/**
 * A request's logger that becomes a pino child only when a line it would write is enabled: Fastify
 * makes a child per request (bindings serialized at once), which a request that logs nothing at
 * the configured level pays for in vain. Lines that are written are the child's, unchanged.
 */
class LazyChildLogger {
  #child: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
  ) {}

  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.materialize().level = level;
  }

  fatal(...args: Parameters<Method>): void {
    this.write('fatal', args);
  }
  error(...args: Parameters<Method>): void {
    this.write('error', args);
  }
  warn(...args: Parameters<Method>): void {
    this.write('warn', args);
  }
  info(...args: Parameters<Method>): void {
    this.write('info', args);
  }
  debug(...args: Parameters<Method>): void {
    this.write('debug', args);
  }
  trace(...args: Parameters<Method>): void {
    this.write('trace', args);
  }
  silent(): void {}

  isLevelEnabled(level: string): boolean {
    return (this.#child ?? this.parent).isLevelEnabled(level);
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.materialize().child(bindings, options);
  }

  private write(level: Level, args: Parameters<Method>): void {
    if (this.#child === undefined && !this.parent.isLevelEnabled(level)) return;
    (this.materialize()[level] as Method)(...args);
  }

  private materialize(): Logger {
    this.#child ??= this.parent.child(this.bindings);
    return this.#child;
  }
}

/**
 * Fastify's `childLoggerFactory` for a pino logger: lazy children, unless the route asks for its own
 * level or serializers (then an ordinary child, created at once).
 */
export const lazyChildLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
) => {
  const parent = logger as Logger;
  if (options.level !== undefined || options.serializers !== undefined)
    return parent.child(bindings, options);
  return new LazyChildLogger(parent, bindings) as unknown as FastifyBaseLogger;
};
