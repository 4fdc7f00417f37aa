import { fromBinary } from '@bufbuild/protobuf';
import { UsageOutcome, UsageRecordedSchema } from '@quantumlayer/contracts';
import type { OutgoingEvent, SqlExecutor } from '@quantumlayer/kit';
import { Registry } from 'prom-client';
import { deliverUsage, type UsageTargets } from './deliver.js';
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

const silent = { warn: jest.fn(), error: jest.fn() };

/** A bus that takes or refuses publishes, and a database whose outbox statements are kept. */
function targets(options: { bus?: 'up' | 'down'; db?: 'up' | 'down' } = {}) {
  const published: OutgoingEvent[][] = [];
  const outbox: unknown[][] = [];
  const t: UsageTargets = {
    bus: {
      publish: async (events) => {
        if (options.bus === 'down') throw new Error('publish: no responders');
        const list = Array.isArray(events) ? events : [events as OutgoingEvent];
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
  return { t, published, outbox };
}

const queued = (...ids: string[]): QueuedUsage[] =>
  ids.map((id) => ({ id: `evt-${id}`, record: record(id) }));

describe('deliverUsage', () => {
  it('publishes one UsageRecorded per record, with the id it was queued with', async () => {
    const { t, published, outbox } = targets();
    const r = await deliverUsage(t, queued('a', 'b'));
    expect(r).toEqual({ result: 'published', delivered: 2, invalid: 0 });
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
    const r = await deliverUsage(t, queued('a', 'b', 'c'));
    expect(r).toEqual({ result: 'spilled', delivered: 3, invalid: 0 });
    expect(published).toHaveLength(0);
    expect(outbox).toHaveLength(1);
    expect((outbox[0] as { id: string; subject: string }[]).map((row) => row.id)).toEqual([
      'evt-a',
      'evt-b',
      'evt-c',
    ]);
  });

  it('rejects when neither the bus nor the outbox takes the batch', async () => {
    const { t } = targets({ bus: 'down', db: 'down' });
    await expect(deliverUsage(t, queued('a'))).rejects.toThrow('connection refused');
  });

  it('drops a record that cannot be encoded, logging it whole, and delivers the rest', async () => {
    const { t, published } = targets();
    silent.error.mockClear();
    const batch = [...queued('a'), { id: 'evt-bad', record: record('bad', { costMicros: NaN }) }];
    const r = await deliverUsage(t, batch);
    expect(r).toEqual({ result: 'published', delivered: 1, invalid: 1 });
    expect(published[0]!.map((e) => e.id)).toEqual(['evt-a']);
    expect(silent.error).toHaveBeenCalledWith(
      expect.objectContaining({
        eventId: 'evt-bad',
        usage: expect.objectContaining({ requestId: 'bad' }),
      }),
      'usage record not encodable; dropped',
    );
  });
});

describe('UsageQueue', () => {
  /** A deliver function that fails while `failing` is set, recording every batch it was given. */
  function harness(options: { maxBatch?: number; maxQueued?: number } = {}) {
    const calls: QueuedUsage[][] = [];
    const state = { failing: false };
    const registry = new Registry();
    const queue = new UsageQueue({
      deliver: async (batch): Promise<UsageDelivery> => {
        calls.push(batch.slice());
        if (state.failing) throw new Error('bus and outbox down');
        return { result: 'published', delivered: batch.length, invalid: 0 };
      },
      logger: silent,
      registry,
      flushIntervalMs: 5,
      maxBatch: options.maxBatch ?? 3,
      maxQueued: options.maxQueued ?? 1000,
    });
    const counts = async () => {
      const m = await registry.getSingleMetric('ql_router_usage_records_total')!.get();
      return Object.fromEntries(m.values.map((v) => [v.labels.result, v.value]));
    };
    return { queue, calls, state, counts };
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

  it('drains a large backlog in order, every record once', async () => {
    const { queue, calls } = harness({ maxBatch: 100 });
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

  it('drops the oldest records beyond maxQueued while deliveries fail, and counts them', async () => {
    const { queue, calls, state, counts } = harness({ maxBatch: 2, maxQueued: 3 });
    state.failing = true;
    for (const id of ['1', '2', '3', '4', '5']) queue.record(record(id));
    while (calls.length === 0) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 20));
    state.failing = false;
    await queue.flush();
    const published = calls.slice(-2).flat();
    expect(published.map((q) => q.record.requestId)).toEqual(['3', '4', '5']);
    expect(await counts()).toMatchObject({ dropped: 2, published: 3 });
    expect(silent.error).toHaveBeenCalledWith(
      expect.objectContaining({ dropped: 2 }),
      'usage queue full while deliveries fail: oldest records dropped',
    );
  });
});
