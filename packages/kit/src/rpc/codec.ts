import { create, fromBinary, toBinary, type DescMessage, type Message } from '@bufbuild/protobuf';
import { Code, RpcError } from './errors.js';

/**
 * grpc-js only moves Buffers for us (identity serializers): encoding and decoding happen in the
 * adapter, where a failure can be turned into the right status, counted and logged, instead of
 * surfacing as grpc-js's generic serialization error.
 */
export const passThrough = (value: Buffer): Buffer => value;

/** Accepts a message or its init shape, as handlers and callers may return/pass either. */
export function encodeMessage(desc: DescMessage, value: unknown): Buffer {
  const message = create(desc, value as Record<string, unknown>);
  const bytes = toBinary(desc, message);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function decodeRequest(desc: DescMessage, bytes: Buffer): Message {
  try {
    return fromBinary(desc, bytes);
  } catch (err) {
    throw new RpcError(Code.INVALID_ARGUMENT, `request: not a valid ${desc.typeName} message`, {
      cause: err,
    });
  }
}

export function decodeResponse(desc: DescMessage, bytes: Buffer): Message {
  try {
    return fromBinary(desc, bytes);
  } catch (err) {
    throw new RpcError(Code.INTERNAL, `response: not a valid ${desc.typeName} message`, {
      cause: err,
    });
  }
}

export async function* decodeRequests(
  desc: DescMessage,
  source: AsyncIterable<unknown>,
): AsyncGenerator<Message> {
  for await (const chunk of source) yield decodeRequest(desc, chunk as Buffer);
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
  );
}
