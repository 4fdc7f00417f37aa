import { Writable } from 'node:stream';
import { createLogger } from '@quantumlayer/kit';
import type { FastifyBaseLogger } from 'fastify';
import { lazyChildLogger } from './lazy-logger.js';

function capture(): { lines: Record<string, unknown>[]; logger: FastifyBaseLogger } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  const logger = createLogger({ service: 't', level: 'info', destination });
  return { lines, logger: logger as unknown as FastifyBaseLogger };
}

const strip = ({ time: _t, ...rest }: Record<string, unknown>) => rest;

it('makes no child until a line at an enabled level is written', () => {
  const { logger } = capture();
  const child = jest.spyOn(logger, 'child');
  const lazy = lazyChildLogger(logger, { reqId: 'r1' }, { level: 'warn' });
  lazy.info('not at warn');
  lazy.debug('nor this');
  expect(lazy.level).toBe('warn');
  expect(child).not.toHaveBeenCalled();
  lazy.warn('now');
  expect(child).toHaveBeenCalledTimes(1);
});

it('writes the same lines as the child it stands in for, secrets redacted', () => {
  const a = capture();
  const b = capture();
  const lazy = lazyChildLogger(a.logger, { reqId: 'r2' }, { level: 'warn' });
  const real = b.logger.child({ reqId: 'r2' }, { level: 'warn' });
  for (const l of [lazy, real]) {
    l.info('dropped');
    l.warn({ apiKey: 'sk-live-abcdefghijklmnop', n: 1 }, 'kept');
    l.error(new Error('boom sk-abcdefghijklmnopqrstu'));
  }
  expect(a.lines.map(strip)).toEqual(b.lines.map(strip));
  expect(a.lines).toHaveLength(2);
  expect(a.lines[0]).toMatchObject({ reqId: 'r2', msg: 'kept', apiKey: '[REDACTED]' });
});

it('inherits the parent level when the route sets none', () => {
  const { logger, lines } = capture();
  const lazy = lazyChildLogger(logger, { reqId: 'r3' }, {});
  expect(lazy.level).toBe('info');
  lazy.info('hello');
  expect(lines[0]).toMatchObject({ reqId: 'r3', msg: 'hello' });
});
