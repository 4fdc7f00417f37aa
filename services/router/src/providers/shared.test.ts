import { ChunkAssembler, ToolCallIndexer } from './openai-wire.js';
import {
  claudeHasNativeJson,
  jsonFromToolInput,
  jsonToolFor,
  mergeConsecutive,
  parseDataUrl,
} from './shared.js';
import type { StreamEvent } from './types.js';

describe('claudeHasNativeJson', () => {
  it.each([
    ['claude-sonnet-4-5', true],
    ['claude-sonnet-4-5-20250929', true],
    ['claude-haiku-4-5-20251001', true],
    ['claude-opus-4-1', true],
    ['claude-opus-4-7', true],
    ['claude-fable-5-2', true],
    ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', true],
    ['claude-sonnet-4-20250514', false],
    ['claude-sonnet-4-0', false],
    ['claude-3-5-haiku-20241022', false],
    ['anthropic.claude-3-5-sonnet-20240620-v1:0', false],
    ['amazon.nova-lite-v1:0', false],
  ])('%s → %s', (model, native) => expect(claudeHasNativeJson(model)).toBe(native));
});

describe('JSON through a forced tool', () => {
  it('uses an object schema as is and wraps anything else', () => {
    const obj = jsonToolFor({
      type: 'json_schema',
      name: 'x',
      schema: { type: 'object', properties: {} },
    });
    expect(obj?.wrapped).toBe(false);
    const arr = jsonToolFor({ type: 'json_schema', name: 'x', schema: { type: 'array' } })!;
    expect(arr.wrapped).toBe(true);
    expect(arr.inputSchema).toEqual({
      type: 'object',
      properties: { value: { type: 'array' } },
      required: ['value'],
    });
    expect(jsonFromToolInput(arr, '{"value":[1,2]}')).toBe('[1,2]');
    expect(jsonToolFor({ type: 'text' })).toBeUndefined();
  });
});

describe('helpers', () => {
  it('merges consecutive turns of one role', () => {
    expect(
      mergeConsecutive([
        { role: 'user', content: [1] },
        { role: 'user', content: [2] },
        { role: 'assistant', content: [3] },
        { role: 'user', content: [4] },
      ]),
    ).toEqual([
      { role: 'user', content: [1, 2] },
      { role: 'assistant', content: [3] },
      { role: 'user', content: [4] },
    ]);
  });

  it('parses data URLs', () => {
    expect(parseDataUrl('data:image/PNG;base64,AAAA')).toEqual({
      mediaType: 'image/png',
      base64: 'AAAA',
    });
    expect(parseDataUrl('https://example.com/a.png')).toBeUndefined();
  });
});

describe('streamed tool-call indexes', () => {
  it('keeps provider indexes stable and splits calls that reuse an index with a new id', () => {
    const ix = new ToolCallIndexer();
    expect(ix.place(0, 'a')).toEqual({ index: 0, first: true });
    expect(ix.place(0, undefined)).toEqual({ index: 0, first: false });
    expect(ix.place(0, 'b')).toEqual({ index: 1, first: true });
    expect(ix.place(undefined, undefined)).toEqual({ index: 1, first: false });
    expect(ix.place(5, 'c')).toEqual({ index: 2, first: true });
  });

  it('assembles chunks from a server that omits indexes, then reports usage at the end', () => {
    const asm = new ChunkAssembler();
    const events: StreamEvent[] = [];
    const push = (c: Parameters<ChunkAssembler['push']>[0]) => events.push(...asm.push(c));
    push({
      model: 'm',
      choices: [
        { delta: { tool_calls: [{ id: 'x', function: { name: 'f', arguments: '{"a"' } }] } },
      ],
    });
    push({ choices: [{ delta: { tool_calls: [{ function: { arguments: ':1}' } }] } }] });
    push({ choices: [{ delta: {}, finish_reason: 'stop' }] });
    expect(asm.end()).toEqual({
      type: 'finish',
      finishReason: 'tool_calls',
      usage: { inputTokens: 0, outputTokens: 0 },
      model: 'm',
    });
    push({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } });
    expect(events).toEqual([
      { type: 'tool_call', index: 0, id: 'x', name: 'f', argumentsDelta: '{"a"' },
      { type: 'tool_call', index: 0, argumentsDelta: ':1}' },
    ]);
    expect(asm.end()).toMatchObject({ usage: { inputTokens: 3, outputTokens: 4 } });
  });

  it('has no finish for a stream that never said it finished', () => {
    const asm = new ChunkAssembler();
    expect([...asm.push({ choices: [{ delta: { content: 'hi' } }] })]).toHaveLength(1);
    expect(asm.end()).toBeUndefined();
  });
});
