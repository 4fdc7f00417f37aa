import { decodeMessages, encodeEvent, encodeException, encodeMessage } from './eventstream.js';

describe('AWS event-stream framing', () => {
  // Vectors from the event-stream encoding's published test suite.
  it('encodes the empty message and the payload-only message byte for byte', () => {
    expect(encodeMessage({}, Buffer.alloc(0)).toString('hex')).toBe(
      '000000100000000005c248eb7d98c8ff',
    );
    expect(encodeMessage({}, "{'foo':'bar'}").toString('hex')).toBe(
      '0000001d00000000fd528c5a7b27666f6f273a27626172277dc3653936',
    );
  });

  it('round-trips Bedrock event and exception frames, split anywhere', () => {
    const a = encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'héllo' } });
    const b = encodeException('throttlingException', { message: 'slow down' });
    const all = Buffer.concat([a, b]);
    const head = decodeMessages(all.subarray(0, a.length + 5));
    expect(head.messages).toHaveLength(1);
    expect(head.rest).toHaveLength(5);
    expect(head.messages[0]?.headers).toEqual({
      ':event-type': 'contentBlockDelta',
      ':content-type': 'application/json',
      ':message-type': 'event',
    });
    expect(JSON.parse(head.messages[0]!.payload.toString())).toEqual({
      contentBlockIndex: 0,
      delta: { text: 'héllo' },
    });
    const { messages, rest } = decodeMessages(all);
    expect(rest).toHaveLength(0);
    expect(messages[1]?.headers[':exception-type']).toBe('throttlingException');
    expect(messages[1]?.headers[':message-type']).toBe('exception');
  });

  it('rejects a frame whose CRC does not match', () => {
    const frame = encodeEvent('messageStop', { stopReason: 'end_turn' });
    frame.writeUInt8(frame.readUInt8(frame.length - 6) ^ 0xff, frame.length - 6);
    expect(() => decodeMessages(frame)).toThrow('message CRC');
  });
});
