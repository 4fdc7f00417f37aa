// What every consumer of the generation choreography does around its own work (DESIGN §2): check
// the event names a generation and a valid tenant, and, when the input cannot be used, publish
// GenerationFailed (not retriable) with the inbox entry instead of letting the event be
// redelivered forever.
import { create } from '@bufbuild/protobuf';
import { GenerationFailedSchema, type GenerationStage } from '@quantumlayer/contracts';
import { TerminalError, type DeliveredEvent, type OutgoingEvent } from './bus/types.js';
import { toOutgoingEvent } from './bus/events.js';
import type { Inbox } from './bus/inbox.js';
import { enqueue, type OutboxRelay } from './bus/outbox.js';

export interface GenerationSubject {
  generationId: string;
  tenantId: string;
}

/**
 * The generation and tenant of an event, checked (`tenant` validates the id and returns it):
 * without them the event can never be handled, so it is a TerminalError (dead-lettered).
 */
export function generationSubject(
  event: Pick<DeliveredEvent, 'id'>,
  msg: { generationId: string; tenantId: string },
  tenant: (id: string) => string,
): GenerationSubject {
  if (!msg.generationId) throw new TerminalError(`event ${event.id}: generation_id is empty`);
  try {
    return { generationId: msg.generationId, tenantId: tenant(msg.tenantId) };
  } catch (err) {
    throw new TerminalError(
      `event ${event.id}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export interface GenerationFailure {
  subject: GenerationSubject;
  /** The service publishing (`ce-source`). */
  source: string;
  stage: GenerationStage;
  reason: string;
  errorCode: string;
  attempts: number;
  startedMs: number;
}

/** The GenerationFailed event (not retriable: the same input would fail the same way). */
export function generationFailedEvent(
  f: Omit<GenerationFailure, 'startedMs'> & { durationMs: number },
): OutgoingEvent {
  return toOutgoingEvent(
    GenerationFailedSchema,
    create(GenerationFailedSchema, {
      ...f.subject,
      stage: f.stage,
      reason: f.reason,
      errorCode: f.errorCode,
      retriable: false,
      attempts: f.attempts,
      durationMs: Math.round(f.durationMs),
    }),
    { source: f.source, ceSubject: f.subject.generationId, tenantId: f.subject.tenantId },
  );
}

/**
 * Publishes GenerationFailed (not retriable) in one transaction with the inbox entry, so a
 * redelivered event does not fail the generation twice; wakes the relay. False when the event
 * had already been processed.
 */
export async function failGeneration(
  deps: { inbox: Inbox; relay: OutboxRelay },
  consumer: string,
  event: DeliveredEvent,
  f: GenerationFailure,
): Promise<boolean> {
  const applied = await deps.inbox.process(consumer, event, async (tx) => {
    await enqueue(tx, generationFailedEvent({ ...f, durationMs: performance.now() - f.startedMs }));
  });
  if (applied) deps.relay.wake();
  return applied;
}
