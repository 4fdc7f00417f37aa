import { echoText, embedText, estimateTokens, sampleFromSchema, splitWords } from './text.js';

describe('deterministic text helpers', () => {
  it('estimates one token per 4 characters, rounded up', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('a')).toBe(1);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
  });

  it('echoes the last input, whitespace collapsed and cut at 200 characters', () => {
    expect(echoText('  hi\n there ')).toBe('echo: hi there');
    expect(echoText('x'.repeat(500))).toHaveLength(206);
  });

  it('splits words keeping whitespace so pieces join back', () => {
    expect(splitWords('echo: a  b\nc')).toEqual(['echo: ', 'a  ', 'b\n', 'c']);
    expect(splitWords('')).toEqual([]);
  });

  it('samples a value for a schema with refs, enums, unions and formats', () => {
    const schema = {
      type: 'object',
      $defs: { tag: { type: 'string', enum: ['red', 'blue'] } },
      properties: {
        id: { type: 'integer', minimum: 5 },
        name: { type: 'string', maxLength: 4 },
        when: { type: 'string', format: 'date-time' },
        tags: { type: 'array', items: { $ref: '#/$defs/tag' }, minItems: 2 },
        maybe: { anyOf: [{ type: 'null' }, { type: 'string' }] },
        kind: { const: 'task' },
        flags: { type: ['boolean', 'null'] },
      },
    };
    expect(sampleFromSchema(schema, 'seed text')).toEqual({
      id: 5,
      name: 'seed',
      when: '2026-01-01T00:00:00Z',
      tags: ['red', 'red'],
      maybe: null,
      kind: 'task',
      flags: true,
    });
  });

  it('embeds deterministically to unit vectors', () => {
    const a = embedText('hello', 16);
    expect(embedText('hello', 16)).toEqual(a);
    expect(embedText('hellp', 16)).not.toEqual(a);
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
  });
});
