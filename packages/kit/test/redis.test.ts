import { createRedis, deletePrefixed } from '../src/redis.js';
import { TEST_REDIS_URL, uniqueName } from './support/env.js';

describe('redis', () => {
  const prefix = `ql:${uniqueName('kit')}:`;
  const redis = createRedis(TEST_REDIS_URL, { keyPrefix: prefix });
  const other = createRedis(TEST_REDIS_URL, { keyPrefix: `${prefix}other:` });

  afterAll(async () => {
    await deletePrefixed(other);
    await deletePrefixed(redis);
    expect(await redis.keys('*')).toEqual([]);
    redis.disconnect();
    other.disconnect();
  });

  it('prefixes keys so services and test runs never collide', async () => {
    expect(await redis.ping()).toBe('PONG');
    await redis.set('budget', '12');
    await other.set('budget', '99');
    expect(await redis.get('budget')).toBe('12');
    expect(await other.get('budget')).toBe('99');
    expect(await redis.incrby('budget', 3)).toBe(15);
  });

  it('deletes only its own prefix', async () => {
    await redis.set('a', '1');
    await other.set('b', '2');
    expect(await deletePrefixed(other)).toBeGreaterThanOrEqual(1);
    expect(await redis.get('a')).toBe('1');
    expect(await other.get('b')).toBeNull();
  });
});
