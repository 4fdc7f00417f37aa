import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.js';

export interface CheckResult {
  ok: boolean;
  ms: number;
  error?: string;
}

/**
 * Per-dependency readiness. `/readyz` answers 200 only when every registered check passes and
 * the service is not shutting down; the body says which dependency failed and why.
 */
export class Readiness {
  private readonly checks = new Map<string, () => Promise<void>>();
  private draining = false;

  constructor(private readonly timeoutMs = 2000) {}

  register(name: string, check: () => Promise<void>): void {
    this.checks.set(name, check);
  }

  /** First shutdown phase: from now on the service reports not-ready. */
  markDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async evaluate(): Promise<{
    ready: boolean;
    draining: boolean;
    checks: Record<string, CheckResult>;
  }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await this.run(check)] as const),
    );
    const checks = Object.fromEntries(entries);
    const ready = !this.draining && entries.every(([, r]) => r.ok);
    return { ready, draining: this.draining, checks };
  }

  private async run(check: () => Promise<void>): Promise<CheckResult> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        check(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
            this.timeoutMs,
          );
        }),
      ]);
      return { ok: true, ms: Math.round(performance.now() - started) };
    } catch (err) {
      return {
        ok: false,
        ms: Math.round(performance.now() - started),
        error: err instanceof Error ? err.message : String(err),
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

export interface HttpServerOptions {
  logger: Logger;
  registry: Registry;
  readiness: Readiness;
  /** Largest accepted request body; services with uploads raise it. */
  bodyLimit?: number;
}

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** The HTTP base every service starts from: health, readiness and Prometheus metrics. */
export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Probes and scrapes every few seconds would drown the request log.
    logController: new LogController({ disableRequestLogging: (req) => QUIET_PATHS.has(req.url) }),
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    forceCloseConnections: 'idle',
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const result = await options.readiness.evaluate();
    return reply.code(result.ready ? 200 : 503).send({
      status: result.ready ? 'ready' : 'not_ready',
      ...result,
    });
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await options.registry.metrics();
    return reply.header('content-type', options.registry.contentType).send(body);
  });

  return app;
}
