import { Script } from './script.js';
import type { RecordedRequest } from './types.js';

const req = (
  model: string,
  route: RecordedRequest['route'] = 'chat',
  stream = false,
): RecordedRequest => ({
  seq: 1,
  method: 'POST',
  path: '/',
  query: {},
  headers: {},
  body: undefined,
  route,
  model,
  stream,
  receivedAt: 0,
});

describe('Script', () => {
  it('uses queued one-shots first (FIFO among matches), then rules, then the default', () => {
    const s = new Script();
    s.when({ model: 'b' }, { kind: 'fail', error: 'server' });
    s.enqueue([{ kind: 'throttle' }], { model: 'a' });
    s.enqueue([{ kind: 'reply', text: 'any' }]);
    expect(s.next(req('b'))).toEqual({ kind: 'reply', text: 'any' });
    expect(s.next(req('b'))).toEqual({ kind: 'fail', error: 'server' });
    expect(s.next(req('a'))).toEqual({ kind: 'throttle' });
    expect(s.next(req('a'))).toEqual({ kind: 'reply' });
    expect(s.pending).toBe(0);
  });

  it('matches on regex model, route list, stream flag and predicate; counts down rules', () => {
    const s = new Script({ kind: 'reply', text: 'default' });
    s.when({ model: /^gpt-/, route: ['embeddings'], stream: false }, { kind: 'stall' }, 2);
    s.when({ where: (r) => r.stream }, { kind: 'cut', afterChunks: 1 });
    expect(s.next(req('gpt-x', 'embeddings'))).toEqual({ kind: 'stall' });
    expect(s.next(req('gpt-x', 'chat'))).toEqual({ kind: 'reply', text: 'default' });
    expect(s.next(req('gpt-x', 'embeddings'))).toEqual({ kind: 'stall' });
    expect(s.next(req('gpt-x', 'embeddings'))).toEqual({ kind: 'reply', text: 'default' });
    expect(s.next(req('m', 'chat', true))).toEqual({ kind: 'cut', afterChunks: 1 });
  });

  it('removes rules and resets to the initial default', () => {
    const s = new Script();
    const remove = s.when({}, { kind: 'throttle' });
    s.setDefault({ kind: 'stall' });
    remove();
    expect(s.next(req('m'))).toEqual({ kind: 'stall' });
    s.reset();
    expect(s.next(req('m'))).toEqual({ kind: 'reply' });
  });
});
