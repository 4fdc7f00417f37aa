// AWS event-stream binary framing (application/vnd.amazon.eventstream), as documented for
// Amazon Bedrock/Transcribe/S3 Select streaming:
//
//   total length (uint32 BE) | headers length (uint32 BE) | prelude CRC32 (uint32 BE)
//   headers                  | payload                    | message CRC32 (uint32 BE)
//
// The prelude CRC covers the first 8 bytes; the message CRC covers everything before it.
// A header is: name length (uint8), name (utf-8), value type (uint8), value. Only the string
// type (7: uint16 BE length + utf-8) is needed to write Bedrock's frames; the decoder reads
// every type so tests can inspect what a client would see.
import { crc32 } from 'node:zlib';

const PRELUDE = 12;
const TRAILER = 4;

export type HeaderValue = string | number | boolean | Buffer | bigint | Date;

export interface EventStreamMessage {
  headers: Record<string, HeaderValue>;
  payload: Buffer;
}

function encodeHeaders(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    if (n.length > 255) throw new Error(`event-stream header name too long: ${name}`);
    if (v.length > 32767) throw new Error(`event-stream header value too long: ${name}`);
    const head = Buffer.allocUnsafe(1 + n.length + 3);
    head.writeUInt8(n.length, 0);
    n.copy(head, 1);
    head.writeUInt8(7, 1 + n.length);
    head.writeUInt16BE(v.length, 2 + n.length);
    parts.push(head, v);
  }
  return Buffer.concat(parts);
}

/** One event-stream message with string headers. */
export function encodeMessage(headers: Record<string, string>, payload: Buffer | string): Buffer {
  const h = encodeHeaders(headers);
  const p = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const total = PRELUDE + h.length + p.length + TRAILER;
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32BE(total, 0);
  out.writeUInt32BE(h.length, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  h.copy(out, PRELUDE);
  p.copy(out, PRELUDE + h.length);
  out.writeUInt32BE(crc32(out.subarray(0, total - TRAILER)), total - TRAILER);
  return out;
}

/** An `event` message as Bedrock sends it: :event-type, :content-type, :message-type. */
export function encodeEvent(eventType: string, payload: unknown): Buffer {
  return encodeMessage(
    { ':event-type': eventType, ':content-type': 'application/json', ':message-type': 'event' },
    JSON.stringify(payload),
  );
}

/** A modeled `exception` message (`:exception-type` names the union member). */
export function encodeException(exceptionType: string, payload: unknown): Buffer {
  return encodeMessage(
    {
      ':exception-type': exceptionType,
      ':content-type': 'application/json',
      ':message-type': 'exception',
    },
    JSON.stringify(payload),
  );
}

/** An unmodeled `error` message (`:error-code`, `:error-message`, empty payload). */
export function encodeError(code: string, message: string): Buffer {
  return encodeMessage(
    { ':error-code': code, ':error-message': message, ':message-type': 'error' },
    Buffer.alloc(0),
  );
}

function decodeHeaders(buf: Buffer): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  let pos = 0;
  while (pos < buf.length) {
    const nameLen = buf.readUInt8(pos);
    pos += 1;
    const name = buf.toString('utf8', pos, pos + nameLen);
    pos += nameLen;
    const type = buf.readUInt8(pos);
    pos += 1;
    switch (type) {
      case 0:
        out[name] = true;
        break;
      case 1:
        out[name] = false;
        break;
      case 2:
        out[name] = buf.readInt8(pos);
        pos += 1;
        break;
      case 3:
        out[name] = buf.readInt16BE(pos);
        pos += 2;
        break;
      case 4:
        out[name] = buf.readInt32BE(pos);
        pos += 4;
        break;
      case 5:
        out[name] = buf.readBigInt64BE(pos);
        pos += 8;
        break;
      case 6:
      case 7: {
        const len = buf.readUInt16BE(pos);
        pos += 2;
        const bytes = buf.subarray(pos, pos + len);
        out[name] = type === 6 ? Buffer.from(bytes) : bytes.toString('utf8');
        pos += len;
        break;
      }
      case 8:
        out[name] = new Date(Number(buf.readBigInt64BE(pos)));
        pos += 8;
        break;
      case 9:
        out[name] = buf.subarray(pos, pos + 16).toString('hex');
        pos += 16;
        break;
      default:
        throw new Error(`unknown event-stream header type ${type}`);
    }
  }
  return out;
}

/**
 * Splits a byte stream into messages, checking both CRCs. Returns the messages and any
 * trailing bytes of an incomplete message.
 */
export function decodeMessages(data: Buffer): { messages: EventStreamMessage[]; rest: Buffer } {
  const messages: EventStreamMessage[] = [];
  let pos = 0;
  while (data.length - pos >= PRELUDE) {
    const total = data.readUInt32BE(pos);
    if (data.length - pos < total) break;
    const headersLen = data.readUInt32BE(pos + 4);
    if (crc32(data.subarray(pos, pos + 8)) !== data.readUInt32BE(pos + 8))
      throw new Error('event-stream prelude CRC mismatch');
    if (
      crc32(data.subarray(pos, pos + total - TRAILER)) !== data.readUInt32BE(pos + total - TRAILER)
    )
      throw new Error('event-stream message CRC mismatch');
    const headers = decodeHeaders(data.subarray(pos + PRELUDE, pos + PRELUDE + headersLen));
    const payload = Buffer.from(data.subarray(pos + PRELUDE + headersLen, pos + total - TRAILER));
    messages.push({ headers, payload });
    pos += total;
  }
  return { messages, rest: data.subarray(pos) };
}
