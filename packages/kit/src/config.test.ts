import { z } from 'zod';
import { baseConfigSchema, ConfigError, env, isEmbedded, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults and treats empty variables as unset', () => {
    const c = loadConfig(baseConfigSchema, { QL_NATS_URL: '', QL_HTTP_PORT: '9000' });
    expect(c.QL_HTTP_PORT).toBe(9000);
    expect(c.QL_GRPC_PORT).toBe(50051);
    expect(c.QL_NATS_URL).toBeUndefined();
    expect(isEmbedded(c)).toBe(true);
    expect(c.QL_LOG_LEVEL).toBe('info');
  });

  it('names the variable, the rule and the value for a bad URL', () => {
    expect(() => loadConfig(baseConfigSchema, { QL_DATABASE_URL: 'not-a-url' })).toThrow(
      'QL_DATABASE_URL: expected a PostgreSQL URL (postgres:// or postgresql://…), got "not-a-url"',
    );
  });

  it('reports every problem at once', () => {
    try {
      loadConfig(baseConfigSchema, {
        QL_HTTP_PORT: '70000',
        QL_NATS_URL: 'http://x',
        QL_LOG_LEVEL: 'loud',
      });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const vars = (err as ConfigError).problems.map((p) => p.variable).sort();
      expect(vars).toEqual(['QL_HTTP_PORT', 'QL_LOG_LEVEL', 'QL_NATS_URL']);
      expect((err as ConfigError).message).toContain(
        'QL_HTTP_PORT: expected a port between 0 and 65535, got "70000"',
      );
    }
  });

  it('says a required variable is missing and never echoes secret values', () => {
    const schema = baseConfigSchema.extend({
      QL_SIGNING_KEY: z.string().min(32, 'expected at least 32 characters'),
      QL_ROUTER_CONFIG: z.string(),
    });
    try {
      loadConfig(schema, { QL_SIGNING_KEY: 'short-secret' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('QL_ROUTER_CONFIG: is required but not set');
      expect(message).toContain('QL_SIGNING_KEY: expected at least 32 characters');
      expect(message).not.toContain('short-secret');
    }
  });

  it('parses booleans strictly', () => {
    const schema = z.object({ QL_FLAG: env.bool(false) });
    expect(loadConfig(schema, { QL_FLAG: 'yes' }).QL_FLAG).toBe(true);
    expect(loadConfig(schema, {}).QL_FLAG).toBe(false);
    expect(() => loadConfig(schema, { QL_FLAG: 'maybe' })).toThrow(
      'QL_FLAG: expected true or false',
    );
  });
});
