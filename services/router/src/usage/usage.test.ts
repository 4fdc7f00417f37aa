import { fromBinary } from '@bufbuild/protobuf';
import { UsageOutcome, UsageRecordedSchema } from '@quantumlayer/contracts';
import { PublishError, type OutgoingEvent, type SqlExecutor } from '@quantumlayer/kit';
import { Registry } from 'prom-client';
import { UsageDeliverer, type UsageTargets } from './deliver.js';
import { usageEvent } from './event.js';
import { UsageQueue } from './queue.js';
import type { QueuedUsage, UsageDelivery, UsageRecord } from './types.js';

function record(requestId: string, extra: Partial<UsageRecord> = {}): UsageRecord {
  return {
    requestId,
    tenantId: 'tenant-a',
    generationId: 'gen-1',
    kind: 'completion',
    provider: 'oai',
    model: 'oai/gpt-4o-mini',
    outcome: 'succeeded',
    tokens: { inputTokens: 10, outputTokens: 5 },
    costMicros: 20,
    latencyMs: 12,
    ttftMs: 0,
    attemptCount: 1,
    caller: 'agent/qa',
    stepId: 's-1',
    time: new Date('2026-11-24T06:00:00Z'),
    ...extra,
  };
}

const silent = { warn: jest.fn() };

/** A bus that takes or refuses publishes, and a database whose outbox statements are kept. */
function targets(options: { bus?: 'up' | 'down' | 'first-only'; db?: 'up' | 'down' } = {}) {
  const published: OutgoingEvent[][] = [];
  const outbox: unknown[][] = [];
  const state = { bus: options.bus ?? 'up', publishes: 0 };
  const t: UsageTargets = {
    bus: {
      publish: async (events) => {
        state.publishes++;
        if (state.bus === 'down') throw new Error('publish: no responders');
        const list = Array.isArray(events) ? events : [events as OutgoingEvent];
        if (state.bus === 'first-only') {
          // JetStream stored the first event, then timed out on the rest.
          published.push(list.slice(0, 1));
          throw new PublishError('publish: 2 of 3 events not confirmed', {
            confirmed: [list[0]!.id],
          });
        }
        published.push(list);
        return list.map((e, i) => ({ id: e.id, duplicate: false, stream: 'QL_USAGE', seq: i }));
      },
    },
    db: {
      transaction: async <T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> => {
        if (options.db === 'down') throw new Error('connection refused');
        const tx = {
          query: async (_sql: string, params?: unknown[]) => {
            outbox.push(JSON.parse(String(params?.[0])) as unknown[]);
            return { rows: [], rowCount: 0 };
          },
        } as unknown as SqlExecutor;
        return fn(tx);
      },
    },
    logger: silent,
  };
  return { t, published, outbox, state };
}

const ids = (rows: unknown[]) => (rows as { id: string }[]).map((row) => row.id);

const queued = (...ids: string[]): QueuedUsage[] =>
  ids.map((id) => ({
    id: `evt-${id}`,
    record: record(id),
    event: usageEvent(record(id), `evt-${id}`),
  }));

describe('UsageDeliverer', () => {
  const deliverer = (t: UsageTargets, clock = { now: 0 }) =>
    new UsageDeliverer(t, { spillCoolDownMs: 10_000, now: () => clock.now });

  it('publishes one UsageRecorded per record, with the id it was queued with', async () => {
    const { t, published, outbox } = targets();
    const r = await deliverer(t).deliver(queued('a', 'b'));
    expect(r).toEqual({ published: 2, spilled: 0 });
    expect(outbox).toHaveLength(0);
    const [a, b] = published[0]!;
    expect([a!.id, b!.id]).toEqual(['evt-a', 'evt-b']);
    expect(a).toMatchObject({
      subject: 'ql.usage.v1.usage_recorded',
      type: 'quantumlayer.usage.v1.UsageRecorded',
      source: 'router',
      ceSubject: 'gen-1',
      tenantId: 'tenant-a',
      time: '2026-11-24T06:00:00.000Z',
    });
    const m = fromBinary(UsageRecordedSchema, a!.data);
    expect(m).toMatchObject({
      requestId: 'a',
      outcome: UsageOutcome.SUCCEEDED,
      caller: 'agent/qa',
      tokens: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
    });
    expect(m.cost?.usdMicros).toBe(20n);
  });

  it('writes the batch to the outbox when the bus does not confirm it', async () => {
    const { t, published, outbox } = targets({ bus: 'down' });
    const r = await deliverer(t).deliver(queued('a', 'b', 'c'));
    expect(r).toEqual({ published: 0, spilled: 3 });
    expect(published).toHaveLength(0);
    expect(outbox.map(ids)).toEqual([['evt-a', 'evt-b', 'evt-c']]);
  });

  it('writes only the events the bus did not store to the outbox', async () => {
    const { t, published, outbox } = targets({ bus: 'first-only' });
    const r = await deliverer(t).deliver(queued('a', 'b', 'c'));
    expect(r).toEqual({ published: 1, spilled: 2 });
    expect(published.map((list) => list.map((e) => e.id))).toEqual([['evt-a']]);
    expect(outbox.map(ids)).toEqual([['evt-b', 'evt-c']]);
  });

  it('after a failure, sends batches straight to the outbox for the cool-down, then tries the bus again', async () => {
    const { t, outbox, state } = targets({ bus: 'down' });
    const clock = { now: 1_000 };
    const d = deliverer(t, clock);
    await d.deliver(queued('a'));
    expect(state.publishes).toBe(1);
    state.bus = 'up';
    clock.now += 9_999;
    expect(await d.deliver(queued('b'))).toEqual({ published: 0, spilled: 1 });
    expect(state.publishes).toBe(1); // the bus was not asked
    clock.now += 1;
    expect(await d.deliver(queued('c'))).toEqual({ published: 1, spilled: 0 });
    expect(state.publishes).toBe(2);
    expect(outbox.map(ids)).toEqual([['evt-a'], ['evt-b']]);
  });

  it('rejects when neither the bus nor the outbox takes the batch', async () => {
    const { t } = targets({ bus: 'down', db: 'down' });
    await expect(deliverer(t).deliver(queued('a'))).rejects.toThrow('connection refused');
  });
});

describe('UsageQueue', () => {
  /** A deliver function that fails while `failing` is set, recording every batch it was given. */
  function harness(options: { maxBatch?: number; maxQueued?: number } = {}) {
    const calls: QueuedUsage[][] = [];
    const state: { failing: boolean; stall?: Promise<void> } = { failing: false };
    const registry = new Registry();
    const logger = { warn: jest.fn(), error: jest.fn() };
    const queue = new UsageQueue({
      deliver: async (batch): Promise<UsageDelivery> => {
        calls.push(batch.slice());
        if (state.stall) await state.stall;
        if (state.failing) throw new Error('bus and outbox down');
        return { published: batch.length, spilled: 0 };
      },
      logger,
      registry,
      flushIntervalMs: 5,
      maxBatch: options.maxBatch ?? 3,
      maxQueued: options.maxQueued ?? 1000,
    });
    const counts = async () => {
      const m = await registry.getSingleMetric('ql_router_usage_records_total')!.get();
      return Object.fromEntries(m.values.map((v) => [v.labels.result, v.value]));
    };
    return { queue, calls, state, counts, logger };
  }

  it('delivers in batches of at most maxBatch, in order, each record once with a unique id', async () => {
    const { queue, calls, counts } = harness();
    for (const id of ['1', '2', '3', '4', '5', '6', '7']) queue.record(record(id));
    await queue.flush();
    expect(calls.map((b) => b.length)).toEqual([3, 3, 1]);
    const delivered = calls.flat();
    expect(delivered.map((q) => q.record.requestId)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(new Set(delivered.map((q) => q.id)).size).toBe(7);
    expect(await counts()).toEqual({ published: 7 });
    expect(queue.pending).toBe(0);
  });

  it('drops a record that cannot be encoded, logging it whole once, and delivers the rest', async () => {
    const { queue, calls, counts, logger } = harness();
    queue.record(record('a'));
    queue.record(record('bad', { costMicros: NaN }));
    await queue.flush();
    expect(calls.flat().map((q) => q.record.requestId)).toEqual(['a']);
    expect(await counts()).toEqual({ published: 1, invalid: 1 });
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ usage: expect.objectContaining({ requestId: 'bad' }) }),
      'usage record not encodable; dropped',
    );
  });

  it('drains a large backlog in order, every record once', async () => {
    const { queue, calls } = harness({ maxBatch: 100, maxQueued: 10_000 });
    for (let i = 0; i < 5000; i++) queue.record(record(String(i)));
    await queue.flush();
    const delivered = calls.flat().map((q) => q.record.requestId);
    expect(delivered).toEqual(Array.from({ length: 5000 }, (_, i) => String(i)));
    expect(calls.every((b) => b.length <= 100)).toBe(true);
    expect(queue.pending).toBe(0);
  });

  it('retries a failed batch with the same event ids, ahead of newer records', async () => {
    const { queue, calls, state, counts } = harness();
    state.failing = true;
    queue.record(record('1'));
    queue.record(record('2'));
    while (calls.length === 0) await new Promise((r) => setTimeout(r, 2));
    const firstIds = calls[0]!.map((q) => q.id);
    queue.record(record('3'));
    state.failing = false;
    await queue.flush();
    const retried = calls.find((b, i) => i > 0 && b[0]!.record.requestId === '1')!;
    expect(retried.slice(0, 2).map((q) => q.id)).toEqual(firstIds);
    expect(
      calls
        .slice(1)
        .flat()
        .map((q) => q.record.requestId),
    ).toEqual(['1', '2', '3']);
    expect(await counts()).toMatchObject({ retried: 2, published: 3 });
  });

  it('holds at most maxQueued records while a delivery lags, dropping the oldest', async () => {
    const { queue, calls, state, counts } = harness({ maxBatch: 2, maxQueued: 4 });
    let release!: () => void;
    state.stall = new Promise<void>((r) => (release = r));
    for (let i = 1; i <= 10; i++) queue.record(record(String(i)));
    // One batch (1, 2) is in flight; of the eight queued behind it the newest four are kept.
    expect(queue.pending).toBe(4);
    state.stall = undefined;
    release();
    await queue.flush();
    expect(calls.flat().map((q) => q.record.requestId)).toEqual(['1', '2', '7', '8', '9', '10']);
    expect(await counts()).toMatchObject({ dropped: 4, published: 6 });
  });

  it('drops the oldest records beyond maxQueued while deliveries fail, and counts them', async () => {
    const { queue, calls, state, counts, logger } = harness({ maxBatch: 2, maxQueued: 3 });
    state.failing = true;
    for (const id of ['1', '2', '3', '4', '5']) queue.record(record(id));
    while (calls.length === 0) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 20));
    state.failing = false;
    await queue.flush();
    const published = calls.slice(-2).flat();
    expect(published.map((q) => q.record.requestId)).toEqual(['3', '4', '5']);
    expect(await counts()).toMatchObject({ dropped: 2, published: 3 });
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ dropped: 2 }),
      'usage queue full while deliveries fail or lag: oldest records dropped',
    );
  });
});
