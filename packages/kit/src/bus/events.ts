import { randomFillSync } from 'node:crypto';
import { fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { injectTraceHeaders } from '../tracing.js';
import { subjectFor } from './naming.js';
import { TerminalError, type DeliveredEvent, type OutgoingEvent } from './types.js';

/** Header names of DESIGN.md §4 (CloudEvents binary mode over NATS, plus ours). */
export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  id: 'ce-id',
  specVersion: 'ce-specversion',
  type: 'ce-type',
  source: 'ce-source',
  time: 'ce-time',
  subject: 'ce-subject',
  tenant: 'ql-tenant',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /** Added to dead letters. */
  dlqSubject: 'ql-dlq-subject',
  dlqStream: 'ql-dlq-stream',
  dlqStreamSeq: 'ql-dlq-stream-seq',
  dlqConsumer: 'ql-dlq-consumer',
  dlqDeliveries: 'ql-dlq-deliveries',
  dlqError: 'ql-dlq-error',
  dlqReason: 'ql-dlq-reason',
  dlqTime: 'ql-dlq-time',
} as const;

// UUIDv7 (RFC 9562) with the 12-bit rand_a field used as a per-millisecond counter, so ids
// sort in creation order within a process. Node 20 has no v7 generator and this is all it takes.
const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;
let lastMs = 0;
let counter = 0;

export function newEventId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = Math.floor(Math.random() * 0x400);
  } else if (++counter > 0xfff) {
    // Counter exhausted (or the clock went back): borrow the next millisecond to stay monotonic.
    lastMs++;
    counter = 0;
  }
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = Buffer.from(pool.subarray(poolOffset, poolOffset + 16));
  poolOffset += 16;
  b.writeUIntBE(lastMs, 0, 6);
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface EventMeta {
  source: string;
  /** Generation or tenant id the fact is about. */
  ceSubject: string;
  tenantId?: string | undefined;
  /** Given when the id must be stable across retries of the same fact (e.g. derived from a request). */
  id?: string | undefined;
  time?: Date | string | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
}

export function toOutgoingEvent<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  meta: EventMeta,
): OutgoingEvent {
  const time =
    meta.time === undefined
      ? new Date().toISOString()
      : typeof meta.time === 'string'
        ? meta.time
        : meta.time.toISOString();
  return {
    id: meta.id ?? newEventId(),
    subject: subjectFor(schema),
    type: schema.typeName,
    source: meta.source,
    time,
    ceSubject: meta.ceSubject,
    tenantId: meta.tenantId,
    data: toBinary(schema, message),
    headers: meta.headers,
  };
}

/** Decodes the payload; a wrong type or undecodable bytes can never succeed, so it is terminal. */
export function decodeEvent<Desc extends DescMessage>(
  schema: Desc,
  event: Pick<DeliveredEvent, 'type' | 'data' | 'id'>,
): MessageShape<Desc> {
  if (event.type !== schema.typeName) {
    throw new TerminalError(`event ${event.id}: type ${event.type}, expected ${schema.typeName}`);
  }
  try {
    return fromBinary(schema, event.data);
  } catch (err) {
    throw new TerminalError(`event ${event.id}: cannot decode ${schema.typeName}: ${String(err)}`, {
      cause: err,
    });
  }
}

/** Header values cannot carry line breaks and should stay small. */
export function headerValue(text: string, max = 1024): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The headers an event travels with (without `Nats-Msg-Id`, which the publisher sets). */
export function eventHeaders(event: OutgoingEvent): Record<string, string> {
  const h: Record<string, string> = { ...event.headers };
  h[HEADERS.id] = event.id;
  h[HEADERS.specVersion] = '1.0';
  h[HEADERS.type] = event.type;
  h[HEADERS.source] = event.source;
  h[HEADERS.time] = event.time;
  h[HEADERS.subject] = event.ceSubject;
  if (event.tenantId) h[HEADERS.tenant] = event.tenantId;
  else delete h[HEADERS.tenant];
  if (event.traceparent) {
    h[HEADERS.traceparent] = event.traceparent;
    if (event.tracestate) h[HEADERS.tracestate] = event.tracestate;
  } else {
    injectTraceHeaders(h);
  }
  return h;
}

/** The CloudEvents attributes of a received message; tolerant of foreign publishers. */
export function eventAttributes(
  headers: Readonly<Record<string, string>>,
  fallbackId: string,
): Pick<
  DeliveredEvent,
  'id' | 'type' | 'source' | 'time' | 'ceSubject' | 'tenantId' | 'traceparent'
> {
  return {
    id: headers[HEADERS.id] ?? headers[HEADERS.msgId] ?? fallbackId,
    type: headers[HEADERS.type] ?? '',
    source: headers[HEADERS.source] ?? '',
    time: headers[HEADERS.time] ?? '',
    ceSubject: headers[HEADERS.subject] ?? '',
    tenantId: headers[HEADERS.tenant],
    traceparent: headers[HEADERS.traceparent],
  };
}

/**
 * Runs `work` while restarting the delivery's ack-wait timer every `everyMs`, so a handler that
 * needs longer than the consumer's ack wait (a render, a build) is not redelivered meanwhile; a
 * crashed handler still is, once the timer is no longer restarted.
 */
export async function keepDeliveryAlive<T>(
  event: Pick<DeliveredEvent, 'extend'>,
  everyMs: number,
  work: () => Promise<T>,
): Promise<T> {
  const timer = setInterval(() => event.extend(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
