import type { TokenUsage } from '../providers/types.js';
import type { CallOutcome } from '../domain/types.js';

/** One finished router call, as billed: the row in router_usage and the UsageRecorded event. */
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
 * write in the background; `flush` waits for everything recorded so far to be durable.
 */
export interface UsageSink {
  record(usage: UsageRecord): void;
  flush(): Promise<void>;
}

/** Keeps records in memory (unit tests). */
export class MemoryUsageSink implements UsageSink {
  readonly records: UsageRecord[] = [];
  record(usage: UsageRecord): void {
    this.records.push(usage);
  }
  async flush(): Promise<void> {}
}
