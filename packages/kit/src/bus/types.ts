import type { Context } from '@opentelemetry/api';

/**
 * An event on its way out. The payload is the binary protobuf message; everything else travels as
 * NATS headers (DESIGN.md §4). Build one with `toOutgoingEvent` rather than by hand.
 */
export interface OutgoingEvent {
  /** Sortable unique id (UUIDv7); becomes `Nats-Msg-Id` (JetStream de-duplication) and `ce-id`. */
  id: string;
  /** Logical subject `ql.<domain>.v1.<event_snake>`; the bus adds its namespace, if any. */
  subject: string;
  /** Full protobuf message name, e.g. `quantumlayer.generation.v1.GenerationRequested`. */
  type: string;
  /** The producing service, e.g. `gateway`. */
  source: string;
  /** RFC 3339 time of the fact. */
  time: string;
  /** The generation or tenant the fact is about (`ce-subject`). */
  ceSubject: string;
  tenantId?: string | undefined;
  /** W3C trace context; when absent the bus injects the active context at publish time. */
  traceparent?: string | undefined;
  tracestate?: string | undefined;
  data: Uint8Array;
  /** Further headers; they cannot override the ones above. */
  headers?: Readonly<Record<string, string>> | undefined;
}

export interface PublishResult {
  id: string;
  /** The stream already held this id within its duplicate window; nothing new was stored. */
  duplicate: boolean;
  stream: string;
  seq: number;
}

/** An event handed to a handler. `subject` and `stream` are logical (namespace removed). */
export interface DeliveredEvent {
  id: string;
  type: string;
  source: string;
  time: string;
  ceSubject: string;
  tenantId: string | undefined;
  subject: string;
  stream: string;
  streamSequence: number;
  /** 1 on first delivery. */
  deliveryCount: number;
  headers: Readonly<Record<string, string>>;
  data: Uint8Array;
  traceparent: string | undefined;
  /** The producer's trace context; the handler already runs inside a child span of it. */
  traceContext: Context;
  /** Restarts the ack-wait timer for a handler that knows it needs longer. */
  extend(): void;
}

/** Resolving acknowledges the event; throwing asks for redelivery with backoff. */
export type EventHandler = (event: DeliveredEvent) => Promise<void>;

/**
 * Thrown by a handler for an event that can never succeed (undecodable, wrong type, invalid):
 * the event is dead-lettered at once instead of being retried.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/**
 * A publish of several events that the bus did not fully confirm. `confirmed` holds the ids it
 * did store, so a caller can hand on only the rest (JetStream's de-duplication window is finite).
 */
export class PublishError extends Error {
  readonly confirmed: readonly string[];
  constructor(message: string, options: { cause?: unknown; confirmed: readonly string[] }) {
    super(message, { cause: options.cause });
    this.name = 'PublishError';
    this.confirmed = options.confirmed;
  }
}

export interface StreamSpec {
  /** Logical name, e.g. `QL_GENERATION`; the bus adds its namespace. */
  name: string;
  /** Logical subjects, e.g. `ql.generation.v1.>`. */
  subjects: string[];
  /** Age after which messages are dropped; unset keeps them (within the other limits). */
  maxAgeMs?: number;
  maxMsgs?: number;
  /** Window within which a repeated `Nats-Msg-Id` is dropped. Default 2 minutes. */
  duplicateWindowMs?: number;
  storage?: 'file' | 'memory';
  replicas?: number;
}

export interface ConsumerSpec {
  /** Logical stream name, e.g. `QL_GENERATION`. */
  stream: string;
  /** Durable name `<service>-<purpose>`. */
  durable: string;
  /** Logical subject filter (one: NATS 2.9 has no multi-filter consumers). */
  filterSubject: string;
  /** Deliveries before the event is dead-lettered (≥ 1). */
  maxDeliver: number;
  /** An unsettled delivery is redelivered after this long. */
  ackWaitMs: number;
  /** Upper bound of unacknowledged deliveries, and so of concurrent handler invocations. */
  maxInFlight: number;
  /** Logical subject `ql.dlq.<service>`; must be captured by a stream (see `deadLetterStream`). */
  deadLetterSubject: string;
  /** Delay before redelivery after a failure: initial·2^(n-1), capped at max. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** How long `stop()` waits for in-flight handlers. Default: `ackWaitMs`. */
  stopTimeoutMs?: number;
  /** Bind to a consumer declared elsewhere (e.g. by the cluster's manifests) instead of ensuring it. */
  bindOnly?: boolean;
}

export interface Subscription {
  readonly durable: string;
  /** Handlers running right now. */
  readonly inFlight: number;
  /**
   * Stops taking events, waits (bounded by `stopTimeoutMs`) for in-flight handlers to settle and
   * their acks to reach the server, then resolves. Idempotent.
   */
  stop(): Promise<void>;
  /**
   * Stops at once as a crash would: in-flight handlers keep running but their outcome is
   * discarded, so the server redelivers those events after `ackWaitMs`.
   */
  abort(): Promise<void>;
}

export interface ConsumerState {
  /** Events in the stream not yet delivered to this consumer. */
  numPending: number;
  /** Delivered and not yet acknowledged. */
  numAckPending: number;
  /** Delivered and waiting for redelivery (nak'd or ack-wait expired). */
  numRedelivered: number;
}

export interface EventBus {
  readonly kind: 'nats' | 'memory';
  /** Prefix isolating this bus's streams and subjects (tests), or undefined. */
  readonly namespace: string | undefined;
  /**
   * Resolves once every event is stored by its stream (PubAck); rejects if any failed, after all
   * settled, so a caller retrying the whole batch only creates duplicates that de-duplication drops.
   */
  publish(events: OutgoingEvent | readonly OutgoingEvent[]): Promise<PublishResult[]>;
  subscribe(spec: ConsumerSpec, handler: EventHandler): Promise<Subscription>;
  /** Creates or updates streams (idempotent; dev, tests and embedded mode). */
  ensureStreams(specs: readonly StreamSpec[]): Promise<void>;
  /** Creates or updates a durable pull consumer (idempotent). */
  ensureConsumer(spec: ConsumerSpec): Promise<void>;
  consumerState(stream: string, durable: string): Promise<ConsumerState>;
  /** Removes streams (tests clean up with this). Missing streams are ignored. */
  deleteStreams(names: readonly string[]): Promise<void>;
  /** Rejects with the reason when the bus cannot publish or consume (readiness probe). */
  ready(): Promise<void>;
  /** Stops every subscription (bounded), then drains the connection. */
  close(): Promise<void>;
}
