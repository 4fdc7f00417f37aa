import type {
  DeliveredEvent,
  EventHandler,
  Inbox,
  Logger,
  OutboxRelay,
  OutgoingEvent,
} from '@quantumlayer/kit';
import { enqueue, TerminalError } from '@quantumlayer/kit';
import type { Codegen } from '../../codegen.js';
import { recordRun, type RunRow } from '../../store/runs.js';

export interface HandlerDeps {
  codegen: Codegen;
  inbox: Inbox;
  relay: OutboxRelay;
  logger: Logger;
}

/** Keeps a long-running handler's delivery from being redelivered while it still works. */
export async function keepAlive<T>(
  event: DeliveredEvent,
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
  if (!msg.generationId) throw new TerminalError(`event ${event.id}: generation_id is empty`);
  try {
    return { generationId: msg.generationId, tenantId: deps.codegen.tenant(msg.tenantId) };
  } catch (err) {
    throw new TerminalError(
      `event ${event.id}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

export type { EventHandler };
