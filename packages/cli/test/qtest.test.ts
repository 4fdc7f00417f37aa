// `ql qtest run` and `ql qtest api` as a user runs them, on a blueprint-mode project: the quality
// gate in the sandbox (tests, line coverage ≥ 80%), and property-based API tests against the
// generated app running on the machine's Postgres — plus a deliberately broken app, whose crash
// must be found and shown as a shrunk request.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../src/index.js';
import { io } from './helpers.js';

const execFileP = promisify(execFile);
const DATABASE_URL = process.env.QL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const CLINIC =
  'A vet clinic. Each pet has a name, a species (dog, cat, bird) and a birth date. Each owner has a ' +
  'name and a phone; an owner has many pets. Vets log in.';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

// A deliberately broken app: POST /notes crashes (500) when the title is empty, an edge case the
// document allows.
const NOTES_API = {
  openapi: '3.1.0',
  info: { title: 'notes', version: '1.0.0' },
  paths: {
    '/notes': {
      post: {
        operationId: 'createNote',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['title'],
                additionalProperties: false,
                properties: {
                  title: { type: 'string', maxLength: 50 },
                  pinned: { type: 'boolean' },
                },
              },
            },
          },
        },
        responses: {
          '201': {
            description: 'created',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['id', 'title'],
                  properties: { id: { type: 'integer' }, title: { type: 'string' } },
                },
              },
            },
          },
          '400': { description: 'bad request' },
        },
      },
    },
  },
};

async function startBrokenNotesApp(): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  let next = 1;
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const reply = (status: number, value?: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(value === undefined ? '' : JSON.stringify(value));
      };
      if (req.method !== 'POST' || req.url !== '/notes') return reply(404, { error: 'not found' });
      let input: { title?: unknown; pinned?: unknown };
      try {
        input = JSON.parse(body) as typeof input;
      } catch {
        return reply(400, { error: 'bad json' });
      }
      if (typeof input !== 'object' || input === null || typeof input.title !== 'string')
        return reply(400, { error: 'title: required string' });
      if (input.title.length > 50) return reply(400, { error: 'title: too long' });
      if (Object.keys(input).some((k) => k !== 'title' && k !== 'pinned'))
        return reply(400, { error: 'unknown field' });
      if (input.pinned !== undefined && typeof input.pinned !== 'boolean')
        return reply(400, { error: 'pinned: boolean' });
      try {
        // The bug: the first character is read without checking there is one.
        const initial = input.title[0]!.toUpperCase();
        return reply(201, { id: next++, title: initial + input.title.slice(1) });
      } catch {
        // What a framework does with a handler that throws.
        return reply(500, { error: 'internal server error' });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let dir: string;
let project: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ql-qtest-cli-'));
  const out = path.join(dir, 'out');
  const c = io(dir);
  const code = await runCli(['generate', CLINIC, '--out', out, '--name', 'clinic'], c);
  expect({ code, err: c.err.join('') }).toEqual({ code: 0, err: '' });
  project = path.join(out, 'clinic');
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ql qtest run', () => {
  it('runs a blueprint project in the sandbox: its tests pass and line coverage is at least 80%', async () => {
    const c = io(dir);
    const code = await runCli(['qtest', 'run', project, '--json'], c);
    const report = JSON.parse(c.out.join('')) as {
      summary: {
        verdict: string;
        runner: string;
        tests: { total: number; passed: number; failed: number; flaky: number };
        coverage: { lines: number; branches: number; functions: number };
        failedGates: string[];
        stopped: unknown;
      };
      steps: { name: string; ok: boolean }[];
      coverage: { lines: { covered: number; total: number; pct: number } };
      tests: { report: { tests: { name: string; status: string }[] } };
    };
    expect({ code, gates: report.summary.failedGates }).toEqual({ code: 0, gates: [] });
    expect(report.steps.map((s) => [s.name, s.ok])).toEqual([
      ['install', true],
      ['build', true],
    ]);
    const s = report.summary;
    expect(s.runner).toBe('jest');
    expect(s.verdict).toBe('accepted');
    expect(s.tests.total).toBeGreaterThan(20);
    expect(s.tests.passed).toBe(s.tests.total);
    expect(s.tests.failed).toBe(0);
    expect(s.coverage.lines).toBeGreaterThanOrEqual(80);
    expect(report.coverage.lines.pct).toBe(s.coverage.lines);
    expect(report.coverage.lines.covered).toBeLessThanOrEqual(report.coverage.lines.total);
    expect(s.coverage.branches).toBeGreaterThan(0);
    expect(s.coverage.functions).toBeGreaterThan(0);
    expect(s.stopped).toBeNull();
    // Per-test results, named after the acceptance criteria they prove.
    expect(
      report.tests.report.tests.filter((t) => /\bAC-\d{3} /.test(t.name)).length,
    ).toBeGreaterThan(5);
  }, 600_000);

  it('--runs 5 finds a flaky test and the gate refuses it', async () => {
    const flaky = path.join(dir, 'flaky');
    await mkdir(path.join(flaky, 'test'), { recursive: true });
    await writeFile(
      path.join(flaky, 'package.json'),
      JSON.stringify({
        name: 'flaky',
        version: '1.0.0',
        type: 'module',
        scripts: { test: 'node --test' },
      }),
    );
    // Fails on every second run: the counter lives in the project copy the runs share.
    await writeFile(
      path.join(flaky, 'test', 'clock.test.js'),
      `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

test('steady', () => assert.equal(1 + 1, 2));
test('depends on the run', () => {
  const n = existsSync('.count') ? Number(readFileSync('.count', 'utf8')) : 0;
  writeFileSync('.count', String(n + 1));
  assert.equal(n % 2, 0);
});
`,
    );
    const c = io(dir);
    const code = await runCli(['qtest', 'run', flaky, '--runs', '5', '--min-coverage', '0'], c);
    const text = c.out.join('');
    expect(code).toBe(1);
    expect(text).toMatch(/✗ tests +1 passed, 0 failed, 0 skipped, 1 flaky · node-test, 5 runs/);
    expect(text).toMatch(/~ flaky: .*depends on the run/);
    expect(text).toContain('- 1 flaky test');
  }, 120_000);

  it('refuses bad options naming the option (exit 2)', async () => {
    const c = io(dir);
    expect(await runCli(['qtest', 'run', project, '--runs', '0'], c)).toBe(2);
    expect(c.err.join('')).toMatch(/--runs: expected a whole number from 1 to 10/);
    const missing = io(dir);
    expect(await runCli(['qtest', 'run', 'no-such-project'], missing)).toBe(2);
    expect(missing.err.join('')).toMatch(/no-such-project: not a directory/);
    expect(missing.out).toEqual([]);
  });
});

describe('ql qtest api', () => {
  it('finds no 5xx in the blueprint app, running on Postgres', async () => {
    // The app as its README says: npm ci, build, start with DATABASE_URL and JWT_SECRET.
    await execFileP('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: project });
    await execFileP('npm', ['run', 'build'], { cwd: project });
    const database = `ql_qtest_${process.pid}_${randomBytes(3).toString('hex')}`;
    const psql = (sql: string) =>
      execFileP('psql', [DATABASE_URL, '-v', 'ON_ERROR_STOP=1', '-qc', sql]);
    await psql(`CREATE DATABASE ${database}`);
    const port = await freePort();
    let app: ChildProcess | undefined;
    try {
      app = spawn(process.execPath, ['dist/server.js'], {
        cwd: project,
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: DATABASE_URL.replace(/\/[^/]*$/, `/${database}`),
          JWT_SECRET: randomBytes(24).toString('hex'),
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      const baseUrl = `http://127.0.0.1:${port}`;
      for (let i = 0; ; i++) {
        const up = await fetch(`${baseUrl}/openapi.json`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) break;
        if (i > 200) throw new Error('the generated app did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
      const c = io(dir);
      const code = await runCli(
        [
          'qtest',
          'api',
          path.join(project, 'openapi.json'),
          '--base-url',
          baseUrl,
          '--signup',
          '--runs',
          '25',
          '--json',
        ],
        c,
      );
      const report = JSON.parse(c.out.join('')) as {
        totals: { properties: number; passed: number; failed: number };
        properties: { id: string; status: string; failure?: { message: string } }[];
        fiveXX: number;
      };
      const failures = report.properties.filter((p) => p.status === 'failed');
      expect({ code, failures }).toEqual({ code: 0, failures: [] });
      expect(report.fiveXX).toBe(0);
      expect(report.totals.passed).toBeGreaterThan(10);
      const kinds = new Set(report.properties.map((p) => p.id.split(':')[0]));
      expect(kinds).toEqual(new Set(['conformance', 'robustness', 'crud', 'auth']));
    } finally {
      // An app that already exited (crashed) has fired 'exit': waiting for it would hang.
      if (app && app.exitCode === null && app.signalCode === null) {
        const exited = new Promise((r) => app!.once('exit', r));
        app.kill('SIGTERM');
        await exited;
      }
      await psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    }
  }, 600_000);

  it('finds the crash of a broken app and prints the shrunk request', async () => {
    const app = await startBrokenNotesApp();
    try {
      const doc = path.join(dir, 'notes.json');
      await writeFile(doc, JSON.stringify(NOTES_API));
      const c = io(dir);
      const code = await runCli(['qtest', 'api', doc, '--base-url', app.baseUrl, '--seed', '7'], c);
      const text = c.out.join('\n');
      expect(code).toBe(1);
      expect(text).toMatch(/✗ conformance:POST \/notes \(conformance\): .*server error 500/);
      expect(text).toContain('shrunk request: POST /notes');
      // Shrunk to the one input that matters.
      expect(text).toContain('body: {"title":""}');
      expect(text).toMatch(/responses with a 5xx status/);
      expect(text).toContain('replay with --seed 7');
    } finally {
      await app.close();
    }
  }, 120_000);

  it('refuses a base URL that is not one (exit 2)', async () => {
    const c = io(dir);
    expect(await runCli(['qtest', 'api', 'openapi.json', '--base-url', 'nowhere'], c)).toBe(2);
    expect(c.err.join('')).toMatch(/--base-url: "nowhere" is not a URL/);
  });
});
