import { Redis } from 'ioredis';

export type { Redis } from 'ioredis';

/**
 * A Redis connection for caches, rate limits and budgets. Every key a service writes starts with
 * its prefix (`ql:<service>:`; tests add a run id) so services sharing one Redis never collide and
 * a test run can delete exactly what it wrote.
 */
export function createRedis(
  url: string,
  options: { keyPrefix: string; connectTimeoutMs?: number; reconnect?: boolean },
): Redis {
  const redis = new Redis(url, {
    keyPrefix: options.keyPrefix,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    // Commands fail fast while disconnected instead of piling up in memory.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    lazyConnect: false,
    ...(options.reconnect === false ? { retryStrategy: () => null } : {}),
  });
  // Connection errors surface through readiness and failing commands, not as process crashes.
  redis.on('error', () => undefined);
  return redis;
}

/** Deletes every key under the connection's prefix (tests clean up with this). */
export async function deletePrefixed(redis: Redis): Promise<number> {
  const prefix = redis.options.keyPrefix ?? '';
  let cursor = '0';
  let deleted = 0;
  do {
    // SCAN sees raw key names, so match on the prefix and delete through a prefix-less call.
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) {
      deleted += await redis.del(...keys.map((k) => k.slice(prefix.length)));
    }
  } while (cursor !== '0');
  return deleted;
}
