import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  GoProxyClient,
  MemoryRegistryClient,
  NpmRegistryClient,
  PypiRegistryClient,
  checkDependencies,
  npmPackageName,
} from '../../src/validators/index.js';
import type {
  CheckResult,
  Finding,
  RegistryClients,
  SourceFile,
} from '../../src/validators/index.js';
import { startFakeRegistry } from './fake-registry.js';
import type { FakeRegistry } from './fake-registry.js';
import { fixtureTree } from './helpers.js';

jest.setTimeout(60_000);

const summary = (r: CheckResult) =>
  r.findings
    .map(
      (f: Finding) => `${f.ruleId} ${f.severity} ${f.file}:${f.line} ${f.data?.['package'] ?? ''}`,
    )
    .sort();

describe('hallucinated-dependency check against a loopback registry', () => {
  let registry: FakeRegistry;
  let cacheDir: string;
  let clients: RegistryClients;

  beforeAll(async () => {
    registry = await startFakeRegistry();
  });
  afterAll(() => registry.close());
  beforeEach(() => {
    cacheDir = mkdtempSync(path.join(tmpdir(), 'ql-registry-'));
    registry.requests.length = 0;
    registry.failures.clear();
    clients = {
      npm: new NpmRegistryClient({ baseUrl: registry.url, cacheDir, retries: 0 }),
      pypi: new PypiRegistryClient({ baseUrl: registry.url, cacheDir, retries: 0 }),
      go: new GoProxyClient({ baseUrl: `${registry.url}/go`, cacheDir, retries: 0 }),
    };
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('npm: reports invented packages, undeclared imports and versions that were never published; real packages pass', async () => {
    const result = await checkDependencies(fixtureTree('dependencies/npm-project'), {
      registries: clients,
    });
    expect(summary(result)).toEqual(
      [
        'dependencies/hallucinated-package critical package.json:9 fastify-auto-crud-generator',
        'dependencies/unknown-version high package.json:10 pino',
        'dependencies/undeclared-import high src/app.ts:8 express-input-sanitizer-pro',
        'dependencies/hallucinated-package critical src/app.ts:8 express-input-sanitizer-pro',
        'dependencies/undeclared-import high src/app.ts:9 drizzle-orm',
        'dependencies/undeclared-import high src/routes.ts:5 lodash',
        'dependencies/undeclared-import high src/routes.ts:6 string-width',
      ].sort(),
    );
    expect(result.status).toBe('failed');
    const flagged = new Set(result.findings.map((f) => f.data?.['package']));
    for (const real of ['fastify', '@fastify/jwt', 'zod', 'typescript', '@types/node', 'jest'])
      expect(flagged).not.toContain(real);
    // builtins, relative imports and tsconfig path aliases are never looked up
    const paths = registry.requests.map((r) => decodeURIComponent(r.path));
    for (const local of [
      '/fs',
      '/path',
      '/node:fs',
      '/@/lib',
      '/#config',
      '/./routes.js',
      '/validated-shared',
    ])
      expect(paths).not.toContain(local);
  });

  it('npm: asks for the abbreviated packument and escapes scoped names', async () => {
    await checkDependencies(
      [
        {
          path: 'package.json',
          content: JSON.stringify({ dependencies: { '@fastify/jwt': '^9.0.0' } }),
        },
      ],
      {
        registries: clients,
      },
    );
    expect(registry.requests).toHaveLength(1);
    expect(registry.requests[0]!.path).toBe('/@fastify%2Fjwt');
    expect(registry.requests[0]!.headers.accept).toContain('application/vnd.npm.install-v1+json');
  });

  it('a real package is not hallucinated, an invented one is, for an import without any package.json', async () => {
    const result = await checkDependencies(
      [
        {
          path: 'index.js',
          content:
            "const _ = require('lodash');\nconst x = require('lodash-deep-merge-ultra/sub');\n",
        },
      ],
      { registries: clients },
    );
    expect(summary(result)).toEqual([
      'dependencies/hallucinated-package critical index.js:2 lodash-deep-merge-ultra',
    ]);
  });

  it('an unreachable or failing registry yields "unverified", never "exists"', async () => {
    registry.failures.set('fastify', 503);
    registry.failures.set('zod', 0);
    const down = new NpmRegistryClient({
      baseUrl: 'http://127.0.0.1:9',
      cacheDir: null,
      retries: 0,
      timeoutMs: 2000,
    });
    const files: SourceFile[] = [
      {
        path: 'package.json',
        content: JSON.stringify({ dependencies: { fastify: '^5.0.0', zod: '^3.0.0' } }),
      },
    ];
    for (const npm of [clients.npm!, down]) {
      const result = await checkDependencies(files, { registries: { npm } });
      expect(result.findings.map((f) => [f.ruleId, f.data?.['package']])).toEqual([
        ['dependencies/unverified', 'fastify'],
        ['dependencies/unverified', 'zod'],
      ]);
      expect(result.status).toBe('incomplete');
    }
    // and no client at all for an ecosystem is just as unverified
    const py = await checkDependencies(
      [{ path: 'requirements.txt', content: 'fastapi==0.115.6\n' }],
      { registries: { npm: clients.npm! } },
    );
    expect(py.findings.map((f) => f.ruleId)).toEqual(['dependencies/unverified']);
    expect(py.status).toBe('incomplete');
  });

  it('caches answers on disk with a TTL, and falls back to a stale entry when the registry is down', async () => {
    const files: SourceFile[] = [
      {
        path: 'package.json',
        content: JSON.stringify({
          dependencies: { fastify: '^5.0.0', 'no-such-pkg-xyz': '1.0.0' },
        }),
      },
    ];
    let now = 1_000_000;
    const client = () =>
      new NpmRegistryClient({ baseUrl: registry.url, cacheDir, retries: 0, now: () => now });
    const first = await checkDependencies(files, { registries: { npm: client() } });
    expect(registry.requests).toHaveLength(2);
    // a new client (new process) with the same cache directory: no network
    const second = await checkDependencies(files, { registries: { npm: client() } });
    expect(registry.requests).toHaveLength(2);
    expect(summary(second)).toEqual(summary(first));
    // an hour later the 404 has expired (it could have been published), the package has not
    now += 2 * 3600_000;
    await checkDependencies(files, { registries: { npm: client() } });
    // (lookups run concurrently: the order of arrival is not part of the contract)
    expect(registry.requests.map((r) => r.path).sort()).toEqual([
      '/fastify',
      '/no-such-pkg-xyz',
      '/no-such-pkg-xyz',
    ]);
    // two days later the registry is down: yesterday's answers are still better than none
    now += 48 * 3600_000;
    registry.failures.set('fastify', 500);
    registry.failures.set('no-such-pkg-xyz', 500);
    const stale = await checkDependencies(files, { registries: { npm: client() } });
    expect(summary(stale)).toEqual(summary(first));
    // offline mode never touches the network
    const before = registry.requests.length;
    const offline = new NpmRegistryClient({
      baseUrl: registry.url,
      cacheDir,
      offline: true,
      now: () => now,
    });
    expect(summary(await checkDependencies(files, { registries: { npm: offline } }))).toEqual(
      summary(first),
    );
    expect(registry.requests.length).toBe(before);
    expect((await offline.lookup('never-seen')).status).toBe('unknown');
  });

  it('trusts the lock file for existence and catches a lock that disagrees with package.json', async () => {
    const files: SourceFile[] = [
      {
        path: 'package.json',
        content: JSON.stringify({
          dependencies: { '@acme/internal-ui': '^2.1.0', fastify: '^5.0.0' },
        }),
      },
      {
        path: 'package-lock.json',
        content: JSON.stringify({
          lockfileVersion: 3,
          packages: {
            '': {},
            'node_modules/@acme/internal-ui': { version: '2.3.0' },
            'node_modules/fastify': { version: '4.28.1' },
          },
        }),
      },
    ];
    const result = await checkDependencies(files, { registries: clients });
    expect(summary(result)).toEqual(['dependencies/lockfile-mismatch high package.json:1 fastify']);
    expect(registry.requests).toHaveLength(0);
  });

  it('Python: requirements and imports against a PyPI-protocol server', async () => {
    const result = await checkDependencies(fixtureTree('dependencies/python-project'), {
      registries: clients,
    });
    expect(summary(result)).toEqual(
      [
        'dependencies/unknown-version high requirements.txt:5 pydantic',
        'dependencies/hallucinated-package critical requirements.txt:6 fastapi-magic-crud',
        'dependencies/undeclared-import medium app/main.py:5 pyyaml',
        'dependencies/undeclared-import medium app/main.py:6 requests',
        'dependencies/undeclared-import medium app/main.py:12 totally_made_up_sdk',
        'dependencies/hallucinated-package high app/main.py:12 totally_made_up_sdk',
      ].sort(),
    );
  });

  it('Go: go.mod requires and imports against a module-proxy-protocol server', async () => {
    const result = await checkDependencies(fixtureTree('dependencies/go-project'), {
      registries: clients,
    });
    expect(summary(result)).toEqual(
      [
        'dependencies/unknown-version high go.mod:7 github.com/jackc/pgx/v5',
        'dependencies/hallucinated-package critical go.mod:8 github.com/acme/imaginary-orm',
        'dependencies/undeclared-import high cmd/api/main.go:10 github.com/sirupsen/logrus',
      ].sort(),
    );
  });

  it('works with a fixture (in-memory) registry too', async () => {
    const file = path.join(cacheDir, 'npm-snapshot.json');
    writeFileSync(file, JSON.stringify({ fastify: ['4.28.1', '5.2.1'] }));
    const npm = await MemoryRegistryClient.fromFile('npm', file);
    const result = await checkDependencies(
      [
        {
          path: 'package.json',
          content: JSON.stringify({
            dependencies: { fastify: '^5.0.0', 'fastify-mega-plugin': '^1.0.0' },
          }),
        },
      ],
      { registries: { npm } },
    );
    expect(summary(result)).toEqual([
      'dependencies/hallucinated-package critical package.json:1 fastify-mega-plugin',
    ]);
  });
});

describe('package names from import specifiers', () => {
  it.each([
    ['@scope/pkg/sub/path', '@scope/pkg'],
    ['lodash/fp', 'lodash'],
    ['react', 'react'],
    ['./local.js', undefined],
    ['../up', undefined],
    ['/abs/path', undefined],
    ['node:fs', undefined],
    ['#internal', undefined],
    ['@/components/x', undefined],
    ['~/utils', undefined],
    ['https://cdn.example.com/x.js', undefined],
    ['@scope', undefined],
  ])('%s → %s', (spec, name) => {
    expect(npmPackageName(spec)).toBe(name);
  });
});
