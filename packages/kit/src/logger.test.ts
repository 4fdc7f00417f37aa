import { Writable } from 'node:stream';
import { createLogger, scopedLogger, scrubSecrets } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  it('writes one JSON line with service, level and scope fields', () => {
    const { lines, destination } = capture();
    const log = scopedLogger(createLogger({ service: 'router', destination }), {
      tenant: 't1',
      generation: 'g1',
    });
    log.info({ provider: 'openai' }, 'call done');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      service: 'router',
      tenant: 't1',
      generation: 'g1',
      level: 'info',
      provider: 'openai',
      msg: 'call done',
    });
  });

  it('redacts secrets by key at any depth and by shape inside strings', () => {
    const { lines, destination } = capture();
    const log = createLogger({ service: 'router', destination });
    log.info(
      {
        apiKey: 'sk-live-1234567890abcdef',
        provider: { config: { apiKey: 'nested-secret-value' } },
        headers: { authorization: 'Bearer abcdefghijklmnop' },
        url: 'postgres://ql:hunter2@db:5432/ql',
      },
      'calling with key sk-proj-ABCDEFGHIJKLMNOP and Bearer zzzzzzzzzzzzzz',
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of [
      '1234567890abcdef',
      'nested-secret-value',
      'abcdefghijklmnop',
      'hunter2',
      'ABCDEFGHIJKLMNOP',
      'zzzzzzzzzzzzzz',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('postgres://ql:[REDACTED]@db:5432/ql');
  });

  it('keeps the type of a logged error and scrubs its message', () => {
    const { lines, destination } = capture();
    class ProviderError extends Error {
      override name = 'ProviderError';
    }
    createLogger({ service: 'router', destination }).error(
      { err: new ProviderError('401 for key sk-abcdefghijklmnopqrstuv') },
      'call failed',
    );
    const err = lines[0]!.err as { type: string; message: string; stack: string };
    expect(err.type).toBe('ProviderError');
    expect(err.message).toBe('401 for key sk-[REDACTED]');
    expect(err.stack).not.toContain('abcdefghijklmnop');
  });

  it('scrubs AWS and Groq key shapes', () => {
    expect(scrubSecrets('key AKIAABCDEFGHIJKLMNOP here')).toBe('key AKIA[REDACTED] here');
    expect(scrubSecrets('gsk_abcdefghijklmnopqrstu')).toBe('gsk_[REDACTED]');
  });
});
