import { Fifo } from './fifo.js';

it('takes items in the order they came, across compactions of its storage', () => {
  const q = new Fifo<number>();
  const taken: number[] = [];
  let next = 0;
  // Interleaved pushes, shifts and drops, far past the compaction threshold.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 300; i++) q.push(next++);
    for (let i = 0; i < 200; i++) taken.push(q.shift()!);
    q.drop(50);
    taken.push(-50);
  }
  // Every 300 pushed: 200 taken, 50 dropped, 50 left for the next round.
  expect(q.length).toBe(50 * 300 - 50 * 250);
  expect(q.at(0)).toBe(50 * 300 - q.length);
  expect(q.at(q.length - 1)).toBe(next - 1);
  expect(q.at(q.length)).toBeUndefined();
  expect(q.at(-1)).toBeUndefined();
  const expected: number[] = [];
  let front = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 200; i++) expected.push(front++);
    front += 50;
    expected.push(-50);
  }
  expect(taken).toEqual(expected);
  q.drop(q.length + 10);
  expect(q.length).toBe(0);
  expect(q.shift()).toBeUndefined();
});
