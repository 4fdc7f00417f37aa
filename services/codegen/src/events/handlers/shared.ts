import type {
  DeliveredEvent,
  EventHandler,
  Inbox,
  Logger,
  OutboxRelay,
  OutgoingEvent,
} from '@quantumlayer/kit';
import { enqueue, generationFailedEvent, generationSubject } from '@quantumlayer/kit';
import type { Codegen } from '../../codegen.js';
import { GenerationStage } from '@quantumlayer/contracts';
import { inputFailure, type InputFailure } from '../../errors.js';
import { recordRun, type RunRow, type RunStage } from '../../store/runs.js';
import { SOURCE } from '../publisher.js';

export interface HandlerDeps {
  codegen: Codegen;
  inbox: Inbox;
  relay: OutboxRelay;
  logger: Logger;
}

/**
 * Commits the stage's record and its event together with the inbox entry (so a redelivered
 * event changes nothing), then wakes the relay so the event leaves now rather than at its poll.
 */
export async function commit(
  deps: HandlerDeps,
  consumer: string,
  event: DeliveredEvent,
  row: RunRow,
  outgoing: OutgoingEvent,
): Promise<boolean> {
  const applied = await deps.inbox.process(consumer, event, async (tx) => {
    await recordRun(tx, row);
    await enqueue(tx, outgoing);
  });
  if (applied) deps.relay.wake();
  return applied;
}

/** The generation and tenant of an event, checked: without them it can never be handled. */
export function subjectOf(
  deps: HandlerDeps,
  event: DeliveredEvent,
  msg: { generationId: string; tenantId: string },
): { generationId: string; tenantId: string } {
  return generationSubject(event, msg, (id) => deps.codegen.tenant(id));
}

export type { EventHandler };

const STAGES: Record<RunStage, GenerationStage> = {
  analysis: GenerationStage.ANALYSIS,
  drafting: GenerationStage.DRAFTING,
  validation: GenerationStage.VALIDATION,
};

/**
 * The caller's input cannot be used (an input error, see errors.ts): records the failed stage
 * and publishes GenerationFailed (not retriable) instead of redelivering the event forever.
 * Any other error is rethrown, so the event is redelivered with backoff.
 */
export async function rejectGeneration(
  deps: HandlerDeps,
  consumer: string,
  event: DeliveredEvent,
  err: unknown,
  at: {
    subject: { generationId: string; tenantId: string };
    stage: RunStage;
    attempt: number;
    startedMs: number;
  },
): Promise<InputFailure> {
  const failure = inputFailure(err);
  if (!failure) throw err;
  const durationMs = performance.now() - at.startedMs;
  await commit(
    deps,
    consumer,
    event,
    {
      ...at.subject,
      stage: at.stage,
      attempt: at.attempt,
      outcome: 'failed',
      detail: failure.message,
      durationMs,
    },
    generationFailedEvent({
      subject: at.subject,
      source: SOURCE,
      stage: STAGES[at.stage],
      reason: failure.message,
      errorCode: failure.code,
      attempts: at.attempt,
      durationMs,
    }),
  );
  return failure;
}
