import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { Fifo } from '../fifo.js';
import { HEADERS, eventHeaders } from './events.js';
import { createBusMetrics, type BusMetrics } from './metrics.js';
import { Namespace, subjectMatches, subjectsOverlap } from './naming.js';
import {
  DeliveryRunner,
  Slots,
  validateConsumerSpec,
  type DeadLetter,
  type RawDelivery,
} from './runtime.js';
import { PublishError } from './types.js';
import type {
  ConsumerSpec,
  ConsumerState,
  EventBus,
  EventHandler,
  OutgoingEvent,
  PublishResult,
  StreamSpec,
  Subscription,
} from './types.js';

/**
 * The embedded-mode bus: JetStream's semantics in one process, so services run the same code
 * with or without NATS. Streams keep messages (a consumer created later still sees them),
 * durable consumers keep their position and unacked deliveries across subscriptions, a repeated
 * id within the duplicate window is dropped, unsettled deliveries come back after ack-wait and
 * nak'd ones after their backoff, and at most `maxInFlight` deliveries are unacked per consumer.
 */
export interface MemoryBusOptions {
  namespace?: string;
  logger?: Logger;
  registry?: Registry;
  /** Default message cap of streams that set none, so a long embedded session stays bounded. */
  defaultMaxMsgs?: number;
}

interface StoredMessage {
  seq: number;
  subject: string;
  headers: Record<string, string>;
  data: Uint8Array;
  storedAt: number;
}

interface Pending {
  message: StoredMessage;
  deliveries: number;
  /** Identifies the current delivery; a stale delivery's nak or extend is ignored. */
  token: number;
  state: 'in-flight' | 'backoff' | 'ready';
  timer: NodeJS.Timeout | undefined;
}

class MemoryStream {
  /** Trimmed from the front at the cap: a Fifo, not `shift()` on an array of 100 000. */
  private readonly messages = new Fifo<StoredMessage>();
  lastSeq = 0;
  readonly consumers = new Map<string, MemoryConsumer>();
  private readonly seen = new Map<string, number>();

  constructor(
    public name: string,
    public subjects: string[],
    public spec: StreamSpec,
    private readonly defaultMaxMsgs: number,
  ) {}

  get firstSeq(): number {
    return this.messages.at(0)?.seq ?? this.lastSeq + 1;
  }

  get(seq: number): StoredMessage | undefined {
    return this.messages.at(seq - this.firstSeq);
  }

  append(
    subject: string,
    headers: Record<string, string>,
    data: Uint8Array,
    msgId: string,
  ): { seq: number; duplicate: boolean } {
    const now = Date.now();
    const window = this.spec.duplicateWindowMs ?? 120_000;
    for (const [id, at] of this.seen) {
      if (now - at < window) break;
      this.seen.delete(id);
    }
    if (this.seen.has(msgId)) return { seq: 0, duplicate: true };
    this.seen.set(msgId, now);
    const message = {
      seq: ++this.lastSeq,
      subject,
      headers: { ...headers, [HEADERS.msgId]: msgId },
      data,
      storedAt: now,
    };
    this.messages.push(message);
    const maxMsgs = this.spec.maxMsgs ?? this.defaultMaxMsgs;
    const maxAge = this.spec.maxAgeMs ?? 0;
    while (
      this.messages.length > 0 &&
      (this.messages.length > maxMsgs ||
        (maxAge > 0 && now - this.messages.at(0)!.storedAt > maxAge))
    ) {
      this.messages.shift();
    }
    for (const c of this.consumers.values()) c.pump();
    return { seq: message.seq, duplicate: false };
  }

  close(): void {
    for (const c of this.consumers.values()) c.close();
  }
}

class MemoryConsumer {
  /** Last stream sequence looked at for first deliveries. */
  private cursor = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly ready: number[] = [];
  private readonly subs: MemorySubscription[] = [];
  private next = 0;
  private pumping = false;

  constructor(
    private readonly stream: MemoryStream,
    readonly durable: string,
    readonly filter: string,
    public ackWaitMs: number,
    public maxAckPending: number,
  ) {}

  attach(sub: MemorySubscription): void {
    this.subs.push(sub);
    this.pump();
  }

  detach(sub: MemorySubscription): void {
    const i = this.subs.indexOf(sub);
    if (i >= 0) this.subs.splice(i, 1);
  }

  state(): ConsumerState {
    let numPending = 0;
    for (let s = Math.max(this.cursor + 1, this.stream.firstSeq); s <= this.stream.lastSeq; s++) {
      const m = this.stream.get(s);
      if (m && subjectMatches(this.filter, m.subject)) numPending++;
    }
    let numRedelivered = 0;
    for (const p of this.pending.values())
      if (p.deliveries > 1 || p.state !== 'in-flight') numRedelivered++;
    return { numPending, numAckPending: this.pending.size, numRedelivered };
  }

  private takeNew(): StoredMessage | undefined {
    for (let s = Math.max(this.cursor + 1, this.stream.firstSeq); s <= this.stream.lastSeq; s++) {
      this.cursor = s;
      const m = this.stream.get(s);
      if (m && subjectMatches(this.filter, m.subject)) return m;
    }
    return undefined;
  }

  private pickSubscription(): MemorySubscription | undefined {
    for (let i = 0; i < this.subs.length; i++) {
      const sub = this.subs[(this.next + i) % this.subs.length]!;
      if (sub.hasCapacity()) {
        this.next = (this.next + i + 1) % this.subs.length;
        return sub;
      }
    }
    return undefined;
  }

  pump(): void {
    // Re-entrant calls (an ack settling synchronously inside a delivery) just let the loop run on.
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const sub = this.pickSubscription();
        if (!sub) return;
        let p: Pending | undefined;
        const seq = this.ready.shift();
        if (seq !== undefined) {
          p = this.pending.get(seq);
          if (!p || p.state !== 'ready') continue;
        } else {
          if (this.pending.size >= this.maxAckPending) return;
          const m = this.takeNew();
          if (!m) return;
          p = { message: m, deliveries: 0, token: 0, state: 'ready', timer: undefined };
          this.pending.set(m.seq, p);
        }
        this.deliver(p, sub);
      }
    } finally {
      this.pumping = false;
    }
  }

  private deliver(p: Pending, sub: MemorySubscription): void {
    p.deliveries++;
    const token = ++p.token;
    p.state = 'in-flight';
    const seq = p.message.seq;
    const armAckWait = () => {
      clearTimeout(p.timer);
      p.timer = setTimeout(() => {
        if (p.token !== token || p.state !== 'in-flight' || this.pending.get(seq) !== p) return;
        p.state = 'ready';
        this.ready.push(seq);
        this.pump();
      }, this.ackWaitMs);
      p.timer.unref();
    };
    armAckWait();
    const settle = () => {
      if (this.pending.get(seq) !== p) return;
      clearTimeout(p.timer);
      this.pending.delete(seq);
      this.pump();
    };
    const raw: RawDelivery = {
      subject: p.message.subject,
      stream: this.stream.name,
      streamSequence: seq,
      deliveryCount: p.deliveries,
      headers: { ...p.message.headers },
      data: p.message.data,
      // Like JetStream, a late ack from an expired delivery still settles the message.
      ack: settle,
      term: settle,
      nak: (delayMs) => {
        if (p.token !== token || p.state !== 'in-flight' || this.pending.get(seq) !== p) return;
        clearTimeout(p.timer);
        p.state = 'backoff';
        p.timer = setTimeout(() => {
          if (p.token !== token || this.pending.get(seq) !== p) return;
          p.state = 'ready';
          this.ready.push(seq);
          this.pump();
        }, delayMs);
        p.timer.unref();
      },
      working: () => {
        if (p.token === token && p.state === 'in-flight') armAckWait();
      },
    };
    sub.dispatch(raw);
  }

  close(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.ready.length = 0;
  }
}

export class MemoryEventBus implements EventBus {
  readonly kind = 'memory';
  readonly namespace: string | undefined;
  private readonly ns: Namespace;
  private readonly streams = new Map<string, MemoryStream>();
  private readonly subscriptions = new Set<MemorySubscription>();
  private readonly metrics: BusMetrics;
  private readonly logger: Logger | undefined;
  private readonly defaultMaxMsgs: number;
  private closing: Promise<void> | undefined;

  constructor(options: MemoryBusOptions = {}) {
    this.ns = new Namespace(options.namespace);
    this.namespace = options.namespace;
    this.metrics = createBusMetrics(options.registry);
    this.logger = options.logger;
    this.defaultMaxMsgs = options.defaultMaxMsgs ?? 100_000;
  }

  private streamFor(subject: string): MemoryStream {
    for (const s of this.streams.values()) {
      if (s.subjects.some((f) => subjectMatches(f, subject))) return s;
    }
    // What JetStream answers too (no responders) when no stream captures a subject.
    throw new Error(`no stream captures subject ${subject}`);
  }

  private append(
    subject: string,
    headers: Record<string, string>,
    data: Uint8Array,
    msgId: string,
  ): PublishResult {
    if (this.closing) throw new Error('bus is closed');
    const physical = this.ns.subject(subject);
    const stream = this.streamFor(physical);
    // Stored bytes must not change if the publisher reuses its buffer.
    const { seq, duplicate } = stream.append(physical, headers, Uint8Array.from(data), msgId);
    if (!duplicate) this.metrics.published(subject, 1);
    return { id: msgId, duplicate, stream: this.ns.logicalStream(stream.name), seq };
  }

  async publish(input: OutgoingEvent | readonly OutgoingEvent[]): Promise<PublishResult[]> {
    const events: readonly OutgoingEvent[] = Array.isArray(input)
      ? input
      : [input as OutgoingEvent];
    // Deliveries start after publish returns, as they would across a network.
    await Promise.resolve();
    const results: PublishResult[] = [];
    for (const e of events) {
      try {
        results.push(this.append(e.subject, eventHeaders(e), e.data, e.id));
      } catch (err) {
        throw new PublishError(
          `publish: ${events.length - results.length} of ${events.length} events not stored: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err, confirmed: results.map((r) => r.id) },
        );
      }
    }
    return results;
  }

  private async publishDeadLetter(letter: DeadLetter): Promise<void> {
    await Promise.resolve();
    this.append(letter.subject, letter.headers, letter.data, letter.id);
  }

  async ensureStreams(specs: readonly StreamSpec[]): Promise<void> {
    for (const spec of specs) {
      const name = this.ns.stream(spec.name);
      const subjects = spec.subjects.map((s) => this.ns.subject(s));
      for (const other of this.streams.values()) {
        if (other.name === name) continue;
        const clash = subjects.find((s) => other.subjects.some((o) => subjectsOverlap(s, o)));
        if (clash)
          throw new Error(`stream ${spec.name}: subject ${clash} overlaps stream ${other.name}`);
      }
      const existing = this.streams.get(name);
      if (existing) {
        existing.subjects = subjects;
        existing.spec = spec;
      } else {
        this.streams.set(name, new MemoryStream(name, subjects, spec, this.defaultMaxMsgs));
      }
    }
  }

  private consumer(spec: ConsumerSpec, create: boolean): MemoryConsumer {
    const stream = this.streams.get(this.ns.stream(spec.stream));
    if (!stream)
      throw new Error(
        `consumer ${spec.durable}: stream ${spec.stream} does not exist (ensureStreams first)`,
      );
    const filter = this.ns.subject(spec.filterSubject);
    let c = stream.consumers.get(spec.durable);
    if (c) {
      if (c.filter !== filter) {
        throw new Error(
          `consumer ${spec.durable} on ${spec.stream} filters ${c.filter}, not ${filter}`,
        );
      }
      if (create) {
        c.ackWaitMs = spec.ackWaitMs;
        c.maxAckPending = spec.maxInFlight;
      }
      return c;
    }
    if (!create) throw new Error(`consumer ${spec.durable} does not exist on ${spec.stream}`);
    c = new MemoryConsumer(stream, spec.durable, filter, spec.ackWaitMs, spec.maxInFlight);
    stream.consumers.set(spec.durable, c);
    return c;
  }

  async ensureConsumer(spec: ConsumerSpec): Promise<void> {
    validateConsumerSpec(spec);
    this.consumer(spec, true);
  }

  async consumerState(stream: string, durable: string): Promise<ConsumerState> {
    const c = this.streams.get(this.ns.stream(stream))?.consumers.get(durable);
    if (!c) throw new Error(`consumer ${durable} does not exist on ${stream}`);
    return c.state();
  }

  async deleteStreams(names: readonly string[]): Promise<void> {
    for (const name of names) {
      const s = this.streams.get(this.ns.stream(name));
      if (!s) continue;
      s.close();
      this.streams.delete(s.name);
    }
  }

  async subscribe(spec: ConsumerSpec, handler: EventHandler): Promise<Subscription> {
    validateConsumerSpec(spec);
    if (this.closing) throw new Error('bus is closed');
    const consumer = this.consumer(spec, !spec.bindOnly);
    const runner = new DeliveryRunner({
      spec,
      handler,
      namespace: this.ns,
      metrics: this.metrics,
      logger: this.logger,
      publishDeadLetter: (letter) => this.publishDeadLetter(letter),
    });
    const sub = new MemorySubscription(spec, consumer, runner, this.logger, (s) =>
      this.subscriptions.delete(s),
    );
    this.subscriptions.add(sub);
    consumer.attach(sub);
    return sub;
  }

  async ready(): Promise<void> {
    if (this.closing) throw new Error('bus is closed');
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((s) => s.stop()));
      for (const s of this.streams.values()) s.close();
    })();
    return this.closing;
  }
}

class MemorySubscription implements Subscription {
  private readonly slots: Slots;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly spec: ConsumerSpec,
    private readonly consumer: MemoryConsumer,
    private readonly runner: DeliveryRunner,
    private readonly logger: Logger | undefined,
    private readonly forget: (s: MemorySubscription) => void,
  ) {
    this.slots = new Slots(spec.maxInFlight);
  }

  get durable(): string {
    return this.spec.durable;
  }

  get inFlight(): number {
    return this.slots.inUse;
  }

  hasCapacity(): boolean {
    return !this.stopping && this.slots.free > 0;
  }

  dispatch(raw: RawDelivery): void {
    this.slots.tryAcquire();
    // Off the publisher's stack, as a network hop would be.
    setImmediate(() => {
      this.runner
        .run(raw)
        .catch((err: unknown) =>
          this.logger?.error({ consumer: this.spec.durable, err }, 'delivery failed unexpectedly'),
        )
        .finally(() => {
          this.slots.release();
          this.consumer.pump();
        });
    });
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.consumer.detach(this);
      const timeout = this.spec.stopTimeoutMs ?? this.spec.ackWaitMs;
      if (!(await this.slots.idle(timeout))) {
        this.logger?.warn(
          { consumer: this.spec.durable, inFlight: this.slots.inUse, timeoutMs: timeout },
          'handlers still running at stop deadline; their events will be redelivered',
        );
        this.runner.discarding = true;
      }
      this.forget(this);
    })();
    return this.stopped;
  }

  abort(): Promise<void> {
    this.runner.discarding = true;
    this.stopping = true;
    this.consumer.detach(this);
    this.forget(this);
    this.stopped ??= Promise.resolve();
    return this.stopped;
  }
}
