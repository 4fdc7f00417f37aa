import { create } from '@bufbuild/protobuf';
import { UsageKind, UsageOutcome, UsageRecordedSchema } from '@quantumlayer/contracts';
import { toOutgoingEvent, type OutgoingEvent } from '@quantumlayer/kit';
import type { CallOutcome } from '../domain/types.js';
import { tokensToProto } from '../rpc/mapping.js';
import type { UsageRecord } from './types.js';

const KIND: Record<UsageRecord['kind'], UsageKind> = {
  completion: UsageKind.COMPLETION,
  stream_completion: UsageKind.STREAM_COMPLETION,
  embedding: UsageKind.EMBEDDING,
};

const OUTCOME: Record<CallOutcome, UsageOutcome> = {
  succeeded: UsageOutcome.SUCCEEDED,
  failed: UsageOutcome.FAILED,
  timed_out: UsageOutcome.TIMED_OUT,
  rate_limited: UsageOutcome.RATE_LIMITED,
  budget_exceeded: UsageOutcome.BUDGET_EXCEEDED,
  cancelled: UsageOutcome.CANCELLED,
  content_filtered: UsageOutcome.CONTENT_FILTERED,
};

/**
 * The UsageRecorded event of one call. `id` is chosen when the call is batched and kept across
 * retries, so an event sent twice (a retried batch whose first try was partly stored) is dropped
 * by JetStream's de-duplication within its window, and by consumers' inboxes after it.
 */
export function usageEvent(u: UsageRecord, id: string): OutgoingEvent {
  const message = create(UsageRecordedSchema, {
    tenantId: u.tenantId,
    generationId: u.generationId,
    requestId: u.requestId,
    provider: u.provider,
    model: u.model,
    kind: KIND[u.kind],
    tokens: tokensToProto(u.tokens),
    cost: { usdMicros: BigInt(u.costMicros) },
    latencyMs: u.latencyMs,
    timeToFirstTokenMs: u.ttftMs,
    outcome: OUTCOME[u.outcome],
    attemptCount: u.attemptCount,
    caller: u.caller,
    stepId: u.stepId,
  });
  return toOutgoingEvent(UsageRecordedSchema, message, {
    id,
    source: 'router',
    ceSubject: u.generationId || u.tenantId,
    tenantId: u.tenantId,
    time: u.time,
  });
}
