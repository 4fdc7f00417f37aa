import type { Redis } from '@quantumlayer/kit';
import type { BudgetKey, BudgetStore, Reservation, ReserveResult } from '../engine/budget.js';

/**
 * Generation spend in Redis, shared by every router replica. Reservation and settlement are Lua
 * scripts, so each is one atomic step on the server (no read-then-write race between replicas).
 * Keys: `<prefix>gen:<tenant>:<generation>` (hash: spent, reserved) and `…:settled` (set of
 * request ids already charged), both expiring after the configured TTL.
 */
const RESERVE = `
local spent = tonumber(redis.call('HGET', KEYS[1], 'spent') or '0')
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
local amount = tonumber(ARGV[1])
if spent + reserved + amount > tonumber(ARGV[2]) then
  return {0, spent, reserved}
end
redis.call('HINCRBY', KEYS[1], 'reserved', amount)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, spent, reserved + amount}
`;

const SETTLE = `
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved') or '0')
local release = math.min(reserved, tonumber(ARGV[1]))
if release > 0 then redis.call('HINCRBY', KEYS[1], 'reserved', -release) end
if redis.call('SADD', KEYS[2], ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'spent', ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
`;

type Reply = [number, number | string, number | string];

interface BudgetCommands {
  qlBudgetReserve(key: string, amount: number, limit: number, ttl: number): Promise<Reply>;
  qlBudgetSettle(
    key: string,
    settledKey: string,
    release: number,
    actual: number,
    requestId: string,
    ttl: number,
  ): Promise<number>;
}

export class RedisBudgetStore implements BudgetStore {
  readonly kind = 'redis' as const;
  private readonly redis: Redis & BudgetCommands;

  constructor(
    redis: Redis,
    private readonly ttlSeconds: number,
  ) {
    redis.defineCommand('qlBudgetReserve', { numberOfKeys: 1, lua: RESERVE });
    redis.defineCommand('qlBudgetSettle', { numberOfKeys: 2, lua: SETTLE });
    this.redis = redis as Redis & BudgetCommands;
  }

  private key(k: BudgetKey): string {
    return `gen:${k.tenantId}:${k.generationId}`;
  }

  async reserve(key: BudgetKey, amountMicros: number, limitMicros: number): Promise<ReserveResult> {
    const [ok, spent, reserved] = await this.redis.qlBudgetReserve(
      this.key(key),
      amountMicros,
      limitMicros,
      this.ttlSeconds,
    );
    if (Number(ok) === 1) return { ok: true, reservation: { key, amountMicros } };
    return { ok: false, spentMicros: Number(spent), reservedMicros: Number(reserved) };
  }

  async settle(r: Reservation, actualMicros: number, requestId: string): Promise<void> {
    const k = this.key(r.key);
    await this.redis.qlBudgetSettle(
      k,
      `${k}:settled`,
      r.amountMicros,
      actualMicros,
      requestId,
      this.ttlSeconds,
    );
  }

  async spent(key: BudgetKey) {
    const h = await this.redis.hgetall(this.key(key));
    return { spentMicros: Number(h.spent ?? 0), reservedMicros: Number(h.reserved ?? 0) };
  }
}
