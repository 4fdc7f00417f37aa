import { CancelSignal } from './cancel.js';

it('aborts once, with its reason, calling each listener still registered once', () => {
  const gone = new CancelSignal();
  const calls: string[] = [];
  const a = () => calls.push('a');
  const b = () => calls.push('b');
  gone.addEventListener('abort', a);
  gone.addEventListener('abort', b);
  gone.removeEventListener('abort', a);
  expect(gone.aborted).toBe(false);
  const reason = new Error('client closed the connection');
  gone.abort(reason);
  gone.abort(new Error('again'));
  expect(gone.aborted).toBe(true);
  expect(gone.reason).toBe(reason);
  expect(calls).toEqual(['b']);
  gone.addEventListener('abort', a);
  expect(calls).toEqual(['b']);
});
