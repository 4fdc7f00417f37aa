import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { Fifo } from '../fifo.js';
import type { Logger } from '../logger.js';
import { extractTraceContext } from '../tracing.js';
import { HEADERS, eventAttributes, headerValue } from './events.js';
import type { BusMetrics } from './metrics.js';
import type { Namespace } from './naming.js';
import {
  TerminalError,
  type ConsumerSpec,
  type DeliveredEvent,
  type EventHandler,
} from './types.js';

/** What each bus implementation offers for one delivery; the rules on top are shared. */
export interface RawDelivery {
  /** Physical subject (with namespace). */
  subject: string;
  stream: string;
  streamSequence: number;
  deliveryCount: number;
  headers: Record<string, string>;
  data: Uint8Array;
  ack(): void;
  nak(delayMs: number): void;
  term(): void;
  working(): void;
}

export interface DeadLetter {
  /** Logical dead-letter subject. */
  subject: string;
  id: string;
  headers: Record<string, string>;
  data: Uint8Array;
}

/** Bounded concurrency: at most `size` holders; waiters are served in order. */
export class Slots {
  private used = 0;
  // Thousands may wait (a big publish): Array#shift would be O(n) for each.
  private readonly waiters = new Fifo<() => void>();
  private idleWaiters: (() => void)[] = [];

  constructor(readonly size: number) {}

  get inUse(): number {
    return this.used;
  }

  get free(): number {
    return this.size - this.used;
  }

  /** Takes a slot only if one is free right now. */
  tryAcquire(): boolean {
    if (this.used >= this.size) return false;
    this.used++;
    return true;
  }

  acquire(): Promise<void> {
    if (this.used < this.size) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) {
      next();
      return;
    }
    this.used--;
    if (this.used === 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of idle) w();
    }
  }

  /** Resolves true once nothing is held, false if `timeoutMs` passed first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.used === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
  }
}

export function backoffDelay(spec: ConsumerSpec, deliveryCount: number): number {
  const initial = spec.backoff?.initialMs ?? 250;
  const max = spec.backoff?.maxMs ?? 30_000;
  const base = Math.min(initial * 2 ** Math.max(deliveryCount - 1, 0), max);
  // Jitter spreads the retries of many events that failed together (e.g. a database blip).
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

export function validateConsumerSpec(spec: ConsumerSpec): void {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9_-]+$/.test(spec.durable)) problems.push('durable: letters, digits, - or _');
  if (!Number.isInteger(spec.maxDeliver) || spec.maxDeliver < 1)
    problems.push('maxDeliver: integer ≥ 1');
  if (!Number.isInteger(spec.maxInFlight) || spec.maxInFlight < 1)
    problems.push('maxInFlight: integer ≥ 1');
  if (!(spec.ackWaitMs >= 1000)) problems.push('ackWaitMs: ≥ 1000');
  if (!spec.deadLetterSubject.startsWith('ql.dlq.'))
    problems.push('deadLetterSubject: ql.dlq.<service>');
  if (!spec.filterSubject) problems.push('filterSubject: required');
  if (problems.length) throw new Error(`consumer ${spec.durable}: ${problems.join('; ')}`);
}

const tracer = trace.getTracer('@quantumlayer/kit/bus');

export interface DeliveryRunnerOptions {
  spec: ConsumerSpec;
  handler: EventHandler;
  namespace: Namespace;
  metrics: BusMetrics;
  logger: Logger | undefined;
  publishDeadLetter(letter: DeadLetter): Promise<void>;
}

/**
 * The rules every bus applies to a delivery: resolve = ack, throw = nak with backoff, a
 * `TerminalError` or the last allowed delivery = dead letter then term. The server's own
 * delivery limit is left unbounded on purpose: if a process dies during the last attempt the
 * event comes back once more and is dead-lettered here instead of staying stuck un-acked.
 */
export class DeliveryRunner {
  /** Set by `abort()`: outcomes are dropped as a crashed process would drop them. */
  discarding = false;

  constructor(private readonly o: DeliveryRunnerOptions) {}

  async run(d: RawDelivery): Promise<void> {
    const { spec, namespace, metrics } = this.o;
    const subject = namespace.logicalSubject(d.subject);
    const stream = namespace.logicalStream(d.stream);
    const attrs = eventAttributes(d.headers, `${stream}:${d.streamSequence}`);

    if (d.deliveryCount > spec.maxDeliver) {
      await this.deadLetter(
        d,
        subject,
        stream,
        attrs.id,
        'max-deliver',
        'no outcome recorded for the last allowed delivery',
      );
      return;
    }

    const parent = extractTraceContext(d.headers);
    // Spelled out: spreading `attrs` here measured ~15 µs per delivery in V8.
    const event: DeliveredEvent = {
      id: attrs.id,
      type: attrs.type,
      source: attrs.source,
      time: attrs.time,
      ceSubject: attrs.ceSubject,
      tenantId: attrs.tenantId,
      traceparent: attrs.traceparent,
      subject,
      stream,
      streamSequence: d.streamSequence,
      deliveryCount: d.deliveryCount,
      headers: d.headers,
      data: d.data,
      traceContext: parent,
      extend: () => {
        if (!this.discarding) d.working();
      },
    };

    const span = tracer.startSpan(`process ${subject}`, { kind: SpanKind.CONSUMER }, parent);
    // Attributes only when traced: this path runs for every event, with no tracer in tests.
    if (span.isRecording()) {
      span.setAttributes({
        'messaging.system': 'nats',
        'messaging.operation.type': 'process',
        'messaging.destination.name': subject,
        'messaging.consumer.group.name': spec.durable,
        'messaging.message.id': attrs.id,
        'messaging.message.delivery_count': d.deliveryCount,
      });
    }
    let failure: unknown;
    let ok = false;
    try {
      await context.with(trace.setSpan(parent, span), () => this.o.handler(event));
      ok = true;
    } catch (err) {
      failure = err;
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR });
    } finally {
      span.end();
    }

    if (this.discarding) {
      metrics.consumed(spec.durable, 'discarded');
      return;
    }
    if (ok) {
      d.ack();
      metrics.consumed(spec.durable, 'ok');
      return;
    }
    const message = failure instanceof Error ? failure.message : String(failure);
    if (failure instanceof TerminalError || d.deliveryCount >= spec.maxDeliver) {
      const reason = failure instanceof TerminalError ? 'terminal' : 'max-deliver';
      await this.deadLetter(d, subject, stream, attrs.id, reason, message);
      return;
    }
    const delay = backoffDelay(spec, d.deliveryCount);
    this.o.logger?.warn(
      {
        consumer: spec.durable,
        event: attrs.id,
        subject,
        delivery: d.deliveryCount,
        retryInMs: delay,
        err: message,
      },
      'event handler failed; will retry',
    );
    d.nak(delay);
    metrics.consumed(spec.durable, 'retry');
  }

  private async deadLetter(
    d: RawDelivery,
    subject: string,
    stream: string,
    id: string,
    reason: 'terminal' | 'max-deliver',
    error: string,
  ): Promise<void> {
    const { spec, metrics } = this.o;
    const headers: Record<string, string> = { ...d.headers };
    delete headers[HEADERS.msgId];
    headers[HEADERS.dlqSubject] = subject;
    headers[HEADERS.dlqStream] = stream;
    headers[HEADERS.dlqStreamSeq] = String(d.streamSequence);
    headers[HEADERS.dlqConsumer] = spec.durable;
    headers[HEADERS.dlqDeliveries] = String(d.deliveryCount);
    headers[HEADERS.dlqReason] = reason;
    headers[HEADERS.dlqError] = headerValue(error);
    headers[HEADERS.dlqTime] = new Date().toISOString();
    try {
      await this.o.publishDeadLetter({
        subject: spec.deadLetterSubject,
        // Two consumers may dead-letter the same event; both letters must be kept.
        id: `${spec.durable}:${id}`,
        headers,
        data: d.data,
      });
    } catch (err) {
      // The letter is not stored yet: keep the event and try again later rather than lose it.
      this.o.logger?.error(
        { consumer: spec.durable, event: id, err },
        'dead-letter publish failed; will retry',
      );
      if (!this.discarding) d.nak(backoffDelay(spec, d.deliveryCount));
      metrics.consumed(spec.durable, 'retry');
      return;
    }
    this.o.logger?.error(
      {
        consumer: spec.durable,
        event: id,
        subject,
        deliveries: d.deliveryCount,
        reason,
        err: error,
      },
      'event dead-lettered',
    );
    if (!this.discarding) d.term();
    metrics.consumed(spec.durable, 'dead_letter');
    metrics.deadLettered(spec.durable);
  }
}
