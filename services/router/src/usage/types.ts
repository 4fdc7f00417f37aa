import type { OutgoingEvent } from '@quantumlayer/kit';
import type { TokenUsage } from '../providers/types.js';
import type { CallOutcome } from '../domain/types.js';

/** One finished router call, as billed: its UsageRecorded event. */
export interface UsageRecord {
  requestId: string;
  tenantId: string;
  generationId: string;
  kind: 'completion' | 'stream_completion' | 'embedding';
  provider: string;
  model: string;
  outcome: CallOutcome;
  /** Summed over every billable attempt. */
  tokens: TokenUsage;
  costMicros: number;
  latencyMs: number;
  ttftMs: number;
  attemptCount: number;
  caller: string;
  stepId: string;
  time: Date;
}

/**
 * Where finished calls go. `record` must not block the call's response: implementations queue and
 * deliver in the background; `flush` waits for everything recorded so far to be durable.
 */
export interface UsageSink {
  record(usage: UsageRecord): void;
  flush(): Promise<void>;
  /** The final flush at shutdown (`flush` when absent). */
  close?(): Promise<void>;
}

/** Keeps records in memory (unit tests). */
export class MemoryUsageSink implements UsageSink {
  readonly records: UsageRecord[] = [];
  record(usage: UsageRecord): void {
    this.records.push(usage);
  }
  async flush(): Promise<void> {}
}

/** A record on its way to the bus, as its event (id kept across retries). */
export interface QueuedUsage {
  id: string;
  record: UsageRecord;
  event: OutgoingEvent;
}

/** Where the events of a delivered batch ended up. */
export interface UsageDelivery {
  /** Confirmed by the bus. */
  published: number;
  /** Written to the outbox (the bus did not confirm them, or is cooling down after a failure). */
  spilled: number;
}
