import { createLogger } from './logger.js';
import { Lifecycle } from './lifecycle.js';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('Lifecycle', () => {
  it('runs phases in the DESIGN.md order, whatever the registration order', async () => {
    const order: string[] = [];
    const lc = new Lifecycle({ logger, timeoutMs: 1000 });
    lc.onShutdown('pools', 'db', () => void order.push('pools'));
    lc.onShutdown('telemetry', 'otel', () => void order.push('telemetry'));
    lc.onShutdown('servers', 'grpc', async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('servers');
    });
    lc.onShutdown('consumers', 'bus', () => void order.push('consumers'));
    lc.onShutdown('bus', 'nats', () => void order.push('bus'));
    lc.onShutdown('readiness', 'http', () => void order.push('readiness'));
    lc.onShutdown('flush', 'usage', () => void order.push('flush'));
    const result = await lc.shutdown('test');
    expect(result.ok).toBe(true);
    expect(order).toEqual([
      'readiness',
      'consumers',
      'servers',
      'flush',
      'bus',
      'pools',
      'telemetry',
    ]);
    expect(lc.signal.aborted).toBe(true);
  });

  it('abandons hooks past the deadline and reports them, still running later phases', async () => {
    const lc = new Lifecycle({ logger, timeoutMs: 100 });
    let poolsClosed = false;
    lc.onShutdown('consumers', 'stuck', () => new Promise(() => undefined));
    lc.onShutdown('servers', 'broken', () => {
      throw new Error('boom');
    });
    lc.onShutdown('pools', 'db', () => {
      poolsClosed = true;
    });
    const started = Date.now();
    const result = await lc.shutdown('test');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.ok).toBe(false);
    expect(result.failed).toEqual(['consumers:stuck', 'servers:broken']);
    expect(poolsClosed).toBe(true);
  });

  it('runs the shutdown once however often it is asked', async () => {
    const lc = new Lifecycle({ logger, timeoutMs: 1000 });
    let runs = 0;
    lc.onShutdown('pools', 'db', () => void runs++);
    await Promise.all([lc.shutdown('a'), lc.shutdown('b')]);
    expect(runs).toBe(1);
  });
});
