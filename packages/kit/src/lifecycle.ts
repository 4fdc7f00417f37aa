import type { Logger } from './logger.js';
import { ConfigError } from './config.js';

/**
 * Shutdown runs in the order of DESIGN.md §4, plus a `flush` phase: consumers stop before servers
 * close so that work already taken is finished and acknowledged; buffers are written once no
 * request can add to them; the bus drains before pools close because the outbox relay still
 * needs the database while it publishes the last committed events.
 */
export const SHUTDOWN_PHASES = [
  'readiness', // report not-ready so load balancers stop sending work
  'consumers', // stop taking events, finish the in-flight ones (bounded), ack them
  'servers', // close gRPC and HTTP, letting in-flight requests finish
  'flush', // write what is buffered in memory (batched usage…) so the relay can still publish it
  'bus', // drain NATS
  'pools', // close database, redis and other pools
  'telemetry', // flush traces and metrics
] as const;

export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

interface Hook {
  phase: ShutdownPhase;
  name: string;
  fn: () => Promise<void> | void;
}

export interface ShutdownResult {
  ok: boolean;
  durationMs: number;
  /** Hooks that threw or were still running at the deadline. */
  failed: string[];
}

export interface LifecycleOptions {
  logger: Logger;
  /** The whole shutdown must fit in this; whatever is still running then is abandoned. */
  timeoutMs: number;
}

export class Lifecycle {
  private readonly hooks: Hook[] = [];
  private readonly controller = new AbortController();
  private shutdownPromise: Promise<ShutdownResult> | undefined;

  constructor(private readonly options: LifecycleOptions) {}

  /** Aborted when shutdown begins; long-running loops watch it. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get shuttingDown(): boolean {
    return this.controller.signal.aborted;
  }

  /** Hooks of one phase run concurrently; phases run one after another. */
  onShutdown(phase: ShutdownPhase, name: string, fn: () => Promise<void> | void): void {
    this.hooks.push({ phase, name, fn });
  }

  shutdown(reason: string): Promise<ShutdownResult> {
    this.shutdownPromise ??= this.run(reason);
    return this.shutdownPromise;
  }

  private async run(reason: string): Promise<ShutdownResult> {
    const { logger, timeoutMs } = this.options;
    const started = Date.now();
    const deadline = started + timeoutMs;
    const failed: string[] = [];
    logger.info({ reason, timeoutMs }, 'shutdown started');
    this.controller.abort(new Error(`shutdown: ${reason}`));

    for (const phase of SHUTDOWN_PHASES) {
      const hooks = this.hooks.filter((h) => h.phase === phase);
      if (hooks.length === 0) continue;
      const remaining = deadline - Date.now();
      const outcomes = await Promise.all(
        hooks.map((h) => runBounded(h, Math.max(remaining, 0), logger)),
      );
      outcomes.forEach((ok, i) => {
        if (!ok) failed.push(`${phase}:${hooks[i]!.name}`);
      });
    }
    const result = { ok: failed.length === 0, durationMs: Date.now() - started, failed };
    if (result.ok) logger.info({ durationMs: result.durationMs }, 'shutdown complete');
    else logger.error(result, 'shutdown finished with failures');
    return result;
  }

  /**
   * SIGTERM and SIGINT start the shutdown once; the process exits 0 when every hook finished
   * within the deadline and 1 otherwise. A second signal exits at once.
   */
  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.shuttingDown) {
        this.options.logger.warn({ signal }, 'second signal during shutdown: exiting now');
        exit(1);
        return;
      }
      void this.shutdown(signal).then((r) => exit(r.ok ? 0 : 1));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
}

async function runBounded(hook: Hook, ms: number, logger: Logger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(hook.fn), timeout]);
    if (outcome === 'timeout') {
      logger.error({ phase: hook.phase, hook: hook.name }, 'shutdown hook missed the deadline');
      return false;
    }
    return true;
  } catch (err) {
    logger.error({ phase: hook.phase, hook: hook.name, err }, 'shutdown hook failed');
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs a service's main function: a configuration error becomes one line on stderr naming the
 * variable and exit code 1; any other startup failure is reported the same way, without a stack
 * trace for the operator to wade through (the stack goes to the debug log).
 */
export function runMain(main: () => Promise<void>, name = 'service'): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: configuration error: ${err.message}\n`);
    } else {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${name}: failed to start: ${message}\n`);
      if (process.env.QL_LOG_LEVEL === 'debug' && err instanceof Error) {
        process.stderr.write(`${err.stack}\n`);
      }
    }
    process.exit(1);
  });
}
