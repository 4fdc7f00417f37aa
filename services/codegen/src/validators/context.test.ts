import { blankTrailingCommas } from './context.js';

describe('blankTrailingCommas', () => {
  it('removes trailing commas without moving anything', () => {
    const input = '{\n  "a": [1, 2,],\n  "b": { "c": 1, },\n}\n';
    const out = blankTrailingCommas(input);
    expect(out).toHaveLength(input.length);
    expect(JSON.parse(out)).toEqual({ a: [1, 2], b: { c: 1 } });
  });

  it('leaves commas inside strings and comments alone', () => {
    const input = '{ "a": "x,]", /* ,} */ "b": 1 // ,]\n}';
    expect(blankTrailingCommas(input)).toBe(input);
  });
});
