import type { FastifyBaseLogger } from 'fastify';

type LogFn = FastifyBaseLogger['info'];
type ChildOptions = { level?: string } & Record<string, unknown>;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * fastify's per-request logger (`req.log`), made only when a line is actually written.
 *
 * fastify gives every request a pino child bound to its request id. Making one costs as much as
 * a good part of the router's own work per call: the kit's logger redacts secrets, and pino runs
 * the redaction over the child's bindings for each child. The router's API routes log at `warn`,
 * so almost no request ever writes a line; this stands in for the child and makes it, with the
 * same bindings and options, on the first call at an enabled level. Lines are the same.
 */
class LazyChildLogger {
  #child: FastifyBaseLogger | undefined;
  readonly fatal: LogFn;
  readonly error: LogFn;
  readonly warn: LogFn;
  readonly info: LogFn;
  readonly debug: LogFn;
  readonly trace: LogFn;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly ownBindings: Record<string, unknown>,
    private readonly options: ChildOptions,
  ) {
    const method = (level: Level): LogFn =>
      ((...args: Parameters<LogFn>) => {
        if (!this.isLevelEnabled(level)) return;
        (this.logger[level] as (...a: unknown[]) => void)(...args);
      }) as LogFn;
    this.fatal = method('fatal');
    this.error = method('error');
    this.warn = method('warn');
    this.info = method('info');
    this.debug = method('debug');
    this.trace = method('trace');
  }

  /** The real child logger. */
  get logger(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.ownBindings, this.options);
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  isLevelEnabled(level: string): boolean {
    const child = this.#child as { isLevelEnabled?: (l: string) => boolean } | undefined;
    if (child) return child.isLevelEnabled?.(level) ?? true;
    const values = (this.parent as { levels?: { values: Record<string, number> } }).levels?.values;
    const wanted = values?.[level];
    const current = values?.[this.level];
    // Unknown levels: let the real logger decide.
    if (wanted === undefined || current === undefined) return true;
    return wanted >= current;
  }

  silent(): void {}

  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }

  bindings(): Record<string, unknown> {
    return (this.logger as { bindings?: () => Record<string, unknown> }).bindings?.() ?? {};
  }

  flush(cb?: (err?: Error) => void): void {
    const l = this.#child as { flush?: (cb?: (err?: Error) => void) => void } | undefined;
    if (l?.flush) l.flush(cb);
    else cb?.();
  }
}

/** For `setChildLoggerFactory` on the scope of routes that should not pay for unused loggers. */
export function lazyChildLogger(
  logger: FastifyBaseLogger,
  bindings: Record<string, unknown>,
  options: object,
): FastifyBaseLogger {
  return new LazyChildLogger(
    logger,
    bindings,
    options as ChildOptions,
  ) as unknown as FastifyBaseLogger;
}
