import { create } from '@bufbuild/protobuf';
import { toOutgoingEvent } from '../../src/bus/index.js';
import type { ConsumerSpec, OutgoingEvent } from '../../src/bus/index.js';
import { ThingHappenedSchema } from '../fixtures/thing.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  everyMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A ThingHappened event on its own subject, so each test's consumer only sees its own events. */
export function thing(topic: string, n: number, extra: Partial<OutgoingEvent> = {}): OutgoingEvent {
  const event = toOutgoingEvent(
    ThingHappenedSchema,
    create(ThingHappenedSchema, { thingId: `${topic}-${n}`, n }),
    {
      source: 'bus-test',
      ceSubject: `gen-${topic}`,
      tenantId: 'tenant-a',
    },
  );
  return { ...event, subject: `ql.bustest.v1.${topic}`, ...extra };
}

export function consumerSpec(topic: string, overrides: Partial<ConsumerSpec> = {}): ConsumerSpec {
  return {
    stream: 'QL_BUSTEST',
    durable: `bustest-${topic.replace(/_/g, '-')}`,
    filterSubject: `ql.bustest.v1.${topic}`,
    maxDeliver: 5,
    ackWaitMs: 5_000,
    maxInFlight: 16,
    deadLetterSubject: 'ql.dlq.bustest',
    backoff: { initialMs: 20, maxMs: 200 },
    stopTimeoutMs: 5_000,
    ...overrides,
  };
}
