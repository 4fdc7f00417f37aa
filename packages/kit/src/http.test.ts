import { createHttpServer, Readiness } from './http.js';
import { createLogger } from './logger.js';
import { createMetricsRegistry } from './metrics.js';

describe('HTTP base', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });

  it('serves healthz, per-dependency readyz and metrics', async () => {
    const readiness = new Readiness(200);
    let dbUp = true;
    readiness.register('database', async () => {
      if (!dbUp) throw new Error('connection refused');
    });
    readiness.register('nats', async () => undefined);
    const registry = createMetricsRegistry('test');
    const app = createHttpServer({ logger, registry, readiness });

    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });

    let r = await app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      status: 'ready',
      checks: { database: { ok: true }, nats: { ok: true } },
    });

    dbUp = false;
    r = await app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({
      checks: { database: { ok: false, error: 'connection refused' } },
    });

    dbUp = true;
    readiness.markDraining();
    r = await app.inject({ url: '/readyz' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ status: 'not_ready', draining: true });

    const m = await app.inject({ url: '/metrics' });
    expect(m.headers['content-type']).toContain('text/plain');
    expect(m.body).toContain('process_cpu_user_seconds_total{service="test"}');
    await app.close();
  });

  it('times out a hanging readiness check', async () => {
    const readiness = new Readiness(50);
    readiness.register('redis', () => new Promise(() => undefined));
    const result = await readiness.evaluate();
    expect(result.ready).toBe(false);
    expect(result.checks.redis?.error).toBe('no answer within 50 ms');
  });
});
