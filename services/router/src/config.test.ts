import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '@quantumlayer/kit';
import { loadRouterConfigFile, RouterConfigError } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'router-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function problem(path: string): RouterConfigError {
  try {
    loadRouterConfigFile(path);
  } catch (err) {
    expect(err).toBeInstanceOf(RouterConfigError);
    expect(err).toBeInstanceOf(ConfigError);
    return err as RouterConfigError;
  }
  throw new Error('expected a configuration error');
}

const VALID = `
providers:
  - name: openai-main
    kind: openai
    baseUrl: http://127.0.0.1:19001/v1
    apiKeyEnv: OPENAI_API_KEY
    models:
      - id: gpt-4o-mini
        inputCostPerMTok: 0.15
        outputCostPerMTok: 0.60
        quality: 0.72
        contextWindow: 128000
routes:
  - alias: fast
    policy: speed
    candidates: [openai-main/gpt-4o-mini]
`;

describe('router file', () => {
  it('loads the example shipped with the service', () => {
    const cfg = loadRouterConfigFile(resolve(__filename, '../../config/router.example.yaml'));
    expect(cfg.providers.map((p) => p.name)).toContain('openai-main');
    expect(cfg.routes.map((r) => r.alias)).toEqual(['fast', 'reasoning', 'cheap']);
  });

  it('fills defaults', () => {
    const cfg = loadRouterConfigFile(file('ok.yaml', VALID));
    expect(cfg.breaker).toMatchObject({
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      resetTimeoutMs: 30_000,
    });
    expect(cfg.routing.defaultPolicy).toBe('balanced');
    expect(cfg.providers[0]!.models[0]!.type).toBe('chat');
  });

  it('names the file, the path in it and the rule', () => {
    const path = file('bad-kind.yaml', VALID.replace('kind: openai', 'kind: openia'));
    const err = problem(path);
    expect(err.message).toContain(path);
    expect(err.message).toContain('providers[0].kind');
    expect(err.message).toMatch(/expected one of openai\|anthropic/);
    expect(err.problems[0]!.variable).toBe('QL_ROUTER_CONFIG');
  });

  it('reports a missing required field by path', () => {
    const err = problem(
      file('no-window.yaml', VALID.replace('        contextWindow: 128000\n', '')),
    );
    expect(err.message).toMatch(/providers\[0\]\.models\[0\]\.contextWindow: is required/);
  });

  it('refuses a key written into the file', () => {
    const err = problem(
      file(
        'key.yaml',
        VALID.replace(
          'apiKeyEnv: OPENAI_API_KEY',
          'apiKeyEnv: OPENAI_API_KEY\n    apiKey: sk-live-123',
        ),
      ),
    );
    expect(err.message).toMatch(/providers\[0\]\.apiKey: keys never go in the router file/);
    expect(err.message).not.toContain('sk-live-123');
  });

  it('requires apiKeyEnv for hosted providers', () => {
    const err = problem(file('nokey.yaml', VALID.replace('    apiKeyEnv: OPENAI_API_KEY\n', '')));
    expect(err.message).toMatch(/providers\[0\]\.apiKeyEnv: required for kind openai/);
  });

  it('checks alias candidates against the providers', () => {
    const err = problem(
      file('alias.yaml', VALID.replace('[openai-main/gpt-4o-mini]', '[openai-main/gpt-5]')),
    );
    expect(err.message).toMatch(
      /routes\[0\]\.candidates\[0\]: provider "openai-main" has no model "gpt-5"/,
    );
  });

  it('names the line of a YAML syntax error', () => {
    const err = problem(file('syntax.yaml', 'providers:\n  - name: [unclosed\n'));
    expect(err.message).toMatch(/line \d+, column \d+: invalid YAML/);
  });

  it('names a missing file', () => {
    const err = problem(join(dir, 'missing.yaml'));
    expect(err.message).toMatch(/missing\.yaml: \(file\): no such file/);
  });

  it('defaults the upstream HTTP client to node-http; platform can be chosen, per provider too', () => {
    expect(loadRouterConfigFile(file('up-default.yaml', VALID)).upstream).toEqual({
      client: 'direct',
      fetch: 'node-http',
      maxSocketsPerHost: 256,
    });
    const cfg = loadRouterConfigFile(
      file(
        'up-platform.yaml',
        VALID.replace(
          '    apiKeyEnv: OPENAI_API_KEY\n',
          '    apiKeyEnv: OPENAI_API_KEY\n    fetch: node-http\n',
        ) + 'upstream:\n  fetch: platform\n  maxSocketsPerHost: 64\n',
      ),
    );
    expect(cfg.upstream).toEqual({ client: 'direct', fetch: 'platform', maxSocketsPerHost: 64 });
    expect(cfg.providers[0]!.fetch).toBe('node-http');
    const err = problem(file('up-bad.yaml', VALID + 'upstream:\n  fetch: undici\n'));
    expect(err.message).toMatch(/upstream\.fetch: expected one of node-http\|platform/);
  });

  it('defaults the Chat Completions kinds to the direct client; the SDKs can be chosen', () => {
    const cfg = loadRouterConfigFile(
      file(
        'client-sdk.yaml',
        VALID.replace(
          '    apiKeyEnv: OPENAI_API_KEY\n',
          '    apiKeyEnv: OPENAI_API_KEY\n    client: direct\n',
        ) + 'upstream:\n  client: sdk\n',
      ),
    );
    expect(cfg.upstream.client).toBe('sdk');
    expect(cfg.providers[0]!.client).toBe('direct');
    const bad = problem(file('client-bad.yaml', VALID + 'upstream:\n  client: raw\n'));
    expect(bad.message).toMatch(/upstream\.client: expected one of direct\|sdk/);
  });

  it('refuses out-of-range values with the rule', () => {
    const err = problem(file('quality.yaml', VALID.replace('quality: 0.72', 'quality: 7')));
    expect(err.message).toMatch(
      /providers\[0\]\.models\[0\]\.quality: expected a quality score between 0 and 1/,
    );
  });
});
