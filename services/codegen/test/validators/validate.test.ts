import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import {
  MemoryRegistryClient,
  NpmRegistryClient,
  ValidationInputError,
  ValidationReportSchema,
  validate,
} from '../../src/validators/index.js';
import type { SourceFile } from '../../src/validators/index.js';
import { startFakeRegistry } from './fake-registry.js';
import { fixtureTree } from './helpers.js';

jest.setTimeout(120_000);

const npm = new MemoryRegistryClient('npm', {
  fastify: ['5.2.1'],
  '@fastify/jwt': ['9.0.4'],
  typescript: ['5.7.2'],
});

const cleanProject: SourceFile[] = [
  {
    path: 'package.json',
    content: JSON.stringify({
      name: 'books',
      type: 'module',
      dependencies: { fastify: '^5.0.0', '@fastify/jwt': '^9.0.0' },
      devDependencies: { typescript: '~5.7.0' },
    }),
  },
  {
    path: 'tsconfig.json',
    content:
      '{\n  "compilerOptions": { "strict": true, "module": "NodeNext", "target": "ES2022", "types": [] },\n  "include": ["src"],\n}\n',
  },
  {
    path: 'src/app.ts',
    content: [
      "import Fastify from 'fastify';",
      "import jwt from '@fastify/jwt';",
      '',
      'export function buildApp(secret: string) {',
      '  const app = Fastify();',
      '  app.register(jwt, { secret });',
      "  app.get('/health', async () => ({ ok: true }));",
      '  return app;',
      '}',
      '',
    ].join('\n'),
  },
  {
    path: '.github/workflows/ci.yml',
    content:
      'on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm ci && npm test\n',
  },
  { path: 'README.md', content: '# books\n' },
];

describe('validate()', () => {
  it('passes a clean project and returns a schema-valid report with timings', async () => {
    const report = await validate(cleanProject, { registries: { npm } });
    expect(ValidationReportSchema.parse(report)).toEqual(report);
    expect(report.status).toBe('passed');
    expect(report.summary).toMatchObject({ files: 5, blocking: 0 });
    for (const check of Object.values(report.checks)) {
      expect(['passed']).toContain(check.status);
      expect(check.durationMs).toBeGreaterThanOrEqual(0);
    }
    // TS2307 for fastify etc. are informational without node_modules
    expect(report.checks.typecheck.findings.every((f) => f.severity === 'info')).toBe(true);
    expect(report.checks.syntax.details?.['languages']).toEqual(['json', 'typescript', 'yaml']);
    expect(report.durationMs).toBeGreaterThan(0);
  });

  it('reports every check’s findings for a project with problems in each', async () => {
    const files: SourceFile[] = [
      ...cleanProject.filter((f) => f.path !== 'src/app.ts' && f.path !== 'package.json'),
      {
        path: 'package.json',
        content: JSON.stringify({
          name: 'books',
          type: 'module',
          dependencies: { fastify: '^5.0.0', 'fastify-crud-magic': '^1.0.0' },
        }),
      },
      {
        path: 'src/app.ts',
        content: [
          "import Fastify from 'fastify';",
          "import { exec } from 'node:child_process';",
          '',
          "export const stripeKey = 'sk_live_' + 'x';",
          `export const apiKey = '${'ghp_'}${'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6'}';`,
          'export const app = Fastify();',
          "app.post('/run', async (request) => { exec(`ls ${(request.body as { dir: string }).dir}`); return 1; });",
          'export const count: number = "three";',
          '',
        ].join('\n'),
      },
      { path: 'src/broken.py', content: 'def f(:\n    pass\n' },
    ];
    const report = await validate(files, { registries: { npm } });
    expect(report.status).toBe('failed');
    const ids = (name: keyof typeof report.checks) =>
      report.checks[name].findings.filter((f) => f.severity !== 'info').map((f) => f.ruleId);
    expect(ids('syntax')).toEqual(['syntax/missing']);
    expect(ids('typecheck')).toEqual(['TS2322']);
    expect(ids('security')).toEqual(['security/hardcoded-secret', 'security/command-injection']);
    expect(ids('secrets')).toEqual(['secrets/github-token']);
    expect(ids('dependencies')).toEqual(['dependencies/hallucinated-package']);
    expect(report.summary.byCheck.dependencies).toBe(1);
    expect(report.summary.text).toMatch(/^failed: \d+ findings \(.*critical.*\) in 6 files$/);
    for (const c of Object.values(report.checks)) expect(c.status).toBe('failed');
  });

  it('raises no false alarm on a realistic generated Fastify + drizzle + JWT project', async () => {
    const files = fixtureTree('projects/ts-fastify-clean').map((f) =>
      f.path === 'env.example' ? { ...f, path: '.env.example' } : f,
    );
    const registry = new MemoryRegistryClient('npm', {
      '@fastify/jwt': ['9.0.4'],
      'drizzle-orm': ['0.38.3'],
      fastify: ['5.2.1'],
      pg: ['8.13.1'],
      zod: ['3.24.1'],
      '@electric-sql/pglite': ['0.2.15'],
      '@types/jest': ['29.5.14'],
      '@types/node': ['22.10.2'],
      '@types/pg': ['8.11.10'],
      jest: ['29.7.0'],
      'ts-jest': ['29.2.5'],
      typescript: ['5.7.2'],
    });
    const report = await validate(files, { registries: { npm: registry } });
    const notable = Object.values(report.checks)
      .flatMap((c) => c.findings)
      .filter((f) => f.severity !== 'info')
      .map((f) => `${f.ruleId} ${f.file}:${f.line} ${f.message}`);
    expect(notable).toEqual([]);
    expect(report.status).toBe('passed');
  });

  it('runs only the requested checks and honours failOn', async () => {
    const files: SourceFile[] = [
      {
        path: 'a.ts',
        content:
          "import crypto from 'node:crypto';\nexport const h = crypto.createHash('md5').update('x').digest('hex');\n",
      },
    ];
    const lenient = await validate(files, { checks: ['security'] });
    expect(lenient.status).toBe('passed');
    expect(lenient.checks.syntax.status).toBe('skipped');
    expect(lenient.checks.dependencies.status).toBe('skipped');
    const strict = await validate(files, { checks: ['security'], failOn: 'low' });
    expect(strict.status).toBe('failed');
    expect(strict.summary.blocking).toBe(1);
  });

  it('is "incomplete", not "passed", when the registry cannot be reached', async () => {
    const registry = await startFakeRegistry();
    try {
      registry.failures.set('fastify', 503);
      registry.failures.set('@fastify/jwt', 503);
      registry.failures.set('typescript', 503);
      const report = await validate(cleanProject, {
        registries: {
          npm: new NpmRegistryClient({ baseUrl: registry.url, cacheDir: null, retries: 0 }),
        },
      });
      expect(report.checks.dependencies.status).toBe('incomplete');
      expect(report.status).toBe('incomplete');
      expect(report.summary.text).toContain('not conclusive: dependencies');
    } finally {
      await registry.close();
    }
  });

  it('rejects bad input with a message naming the field', async () => {
    await expect(validate([{ path: 'a.ts' } as unknown as SourceFile])).rejects.toThrow(
      /files\.0\.content/,
    );
    await expect(validate([{ path: '../etc/passwd', content: '' }])).rejects.toThrow(
      ValidationInputError,
    );
    await expect(
      validate([
        { path: 'a.ts', content: '' },
        { path: './a.ts', content: '' },
      ]),
    ).rejects.toThrow(/duplicate path "a.ts"/);
    await expect(validate([], { checks: ['lint' as never] })).rejects.toThrow();
  });

  it('runs as native ESM under tsx from an unrelated working directory', async () => {
    const script = path.join(process.cwd(), 'services/codegen/test/validators/esm-smoke.mts');
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', tsx, script], {
      cwd: tmpdir(),
      timeout: 90_000,
    });
    const out = JSON.parse(stdout) as {
      status: string;
      languages: string[];
      syntax: string[];
      checks: Record<string, string>;
    };
    expect(out.languages).toEqual(['bash', 'json', 'python', 'typescript', 'yaml']);
    expect(out.syntax).toEqual(['tool.py:1']);
    expect(out.status).toBe('failed');
    expect(out.checks).toEqual({
      syntax: 'failed',
      typecheck: 'passed',
      security: 'passed',
      secrets: 'passed',
      dependencies: 'passed',
    });
  });
});
