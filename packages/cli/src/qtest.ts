// `ql qtest run | api`: the quality gate on a project directory, and property-based API tests
// from an OpenAPI document against a running app. Both in-process (embedded), no service needed.
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  qualifyProject,
  runApiTests,
  sandboxAvailable,
  securityGate,
  type ApiDocument,
  type ApiTestReport,
  type QualityReport,
} from '@quantumlayer/qtest';
import { Option, type Command } from 'commander';
import type { CapsuleIo } from './capsule.js';

const DEFAULT_MIN_COVERAGE = 80;

function pct(n: number | null): string {
  return n === null ? '—' : `${n.toFixed(1)}%`;
}

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

export function qualityLines(r: QualityReport, io: Pick<CapsuleIo, 'style'>): string[] {
  const s = io.style;
  const mark = (ok: boolean) => (ok ? s.green('✓') : s.red('✗'));
  const sum = r.summary;
  const lines: string[] = [];
  for (const step of r.steps) {
    lines.push(
      `${mark(step.ok)} ${step.name.padEnd(9)} ${step.command} ${s.dim(secs(step.wallMs))}${step.ok ? '' : `\n  ${s.red(step.detail ?? '')}`}`,
    );
    if (!step.ok && step.outputTail)
      lines.push(
        ...step.outputTail
          .split('\n')
          .slice(-15)
          .map((l) => s.dim(`  │ ${l}`)),
      );
  }
  if (r.tests) {
    const t = sum.tests;
    const broken = t.failed + t.errored;
    lines.push(
      `${mark(broken === 0 && t.flaky === 0 && !r.tests.stopped && t.total > 0)} tests     ${t.passed} passed, ${broken} failed, ${t.skipped} skipped, ${t.flaky} flaky · ${r.tests.runner}, ${sum.runs} run${sum.runs === 1 ? '' : 's'}`,
    );
    for (const test of r.tests.report.tests
      .filter((x) => x.status === 'failed' || x.status === 'errored')
      .slice(0, 10))
      lines.push(
        s.red(`  ✗ ${test.suite ? `${test.suite} › ` : ''}${test.name}`) +
          (test.failure
            ? s.dim(`\n    ${test.failure.message.split('\n')[0]!.slice(0, 200)}`)
            : ''),
      );
    for (const id of r.tests.flaky.slice(0, 10)) lines.push(s.yellow(`  ~ flaky: ${id}`));
    if (r.tests.stopped)
      lines.push(
        s.red(`  the sandbox stopped the tests: ${r.tests.stopped.by} (${r.tests.stopped.reason})`),
      );
    const c = sum.coverage;
    lines.push(
      `${mark(c.lines !== null)} coverage  lines ${pct(c.lines)} · branches ${pct(c.branches)} · functions ${pct(c.functions)}`,
    );
  }
  const sec = sum.security;
  // The gate's own verdict on the scan (an incomplete scan fails it too).
  const secGate = securityGate(r.security);
  lines.push(
    `${mark(secGate.ok)} security  ${sec.critical} critical, ${sec.high} high, ${sec.medium} medium, ${sec.low} low${r.security.audited ? ` · ${r.security.audited.packages} packages audited` : s.dim(' · dependency audit not run (no vulnerability database configured)')}`,
  );
  for (const f of r.security.findings
    .filter((x) => x.severity === 'high' || x.severity === 'critical' || x.source === 'secret')
    .slice(0, 10))
    lines.push(
      s.red(`  ${f.severity} ${f.rule} ${f.file}${f.line ? `:${f.line}` : ''}: ${f.message}`),
    );
  for (const part of r.security.incomplete) lines.push(s.red(`  scan incomplete: ${part}`));
  if (r.acceptance)
    lines.push(
      `${mark(r.acceptance.uncovered.length === 0)} criteria  ${r.acceptance.covered.length} of ${r.acceptance.total} acceptance criteria proven by a passing test`,
    );
  const verdict = sum.verdict === 'accepted' ? s.green('accepted') : s.red(sum.verdict);
  lines.push(`${s.bold('gate')}      ${verdict} ${s.dim(secs(sum.durationMs))}`);
  for (const g of sum.failedGates) lines.push(s.red(`  - ${g}`));
  return lines;
}

export function apiLines(r: ApiTestReport, io: Pick<CapsuleIo, 'style'>): string[] {
  const s = io.style;
  const lines = [
    `${r.totals.failed === 0 ? s.green('✓') : s.red('✗')} ${r.totals.passed} of ${r.totals.properties} properties hold · ${r.fiveXX} responses with a 5xx status`,
  ];
  for (const p of r.properties) {
    if (p.status === 'passed') continue;
    if (p.status === 'skipped') {
      lines.push(s.dim(`  - skipped ${p.id}: ${p.reason ?? ''}`));
      continue;
    }
    const f = p.failure!;
    const q = new URLSearchParams(
      Object.entries(f.request.query).flatMap(([k, v]): [string, string][] =>
        Array.isArray(v) ? v.map((x): [string, string] => [k, x]) : [[k, v]],
      ),
    ).toString();
    lines.push(s.red(`✗ ${p.id} (${p.kind}): ${f.message}`));
    lines.push(`  shrunk request: ${f.request.method} ${f.request.path}${q ? `?${q}` : ''}`);
    if (f.request.body !== undefined) lines.push(`    body: ${JSON.stringify(f.request.body)}`);
    lines.push(`  response: ${f.response.status} ${f.response.body.slice(0, 300)}`);
    lines.push(s.dim(`  replay with --seed ${f.seed}`));
  }
  return lines;
}

/**
 * A token for apps that let anyone sign up: the document's register/sign-up and login operations
 * with a fresh e-mail and password, and the token from the login answer. Blueprint-mode apps
 * (POST /auth/register, POST /auth/login → { token }) work this way; other apps take --token.
 */
async function signUp(document: ApiDocument, baseUrl: string): Promise<string> {
  const posts = document.operations
    .filter((o) => o.method.toUpperCase() === 'POST')
    .map((o) => o.path);
  const register = posts.find((p) => /\/(register|sign-?up)$/.test(p));
  const login = posts.find((p) => /\/(login|sign-?in|token)$/.test(p));
  if (!register || !login)
    throw new Error(
      '--signup: the document has no POST …/register (or …/signup) and …/login operation',
    );
  const creds = {
    email: `qtest-${randomBytes(6).toString('hex')}@example.com`,
    password: randomBytes(12).toString('base64url'),
  };
  const post = async (p: string) => {
    const res = await fetch(new URL(p.replace(/^\//, ''), baseUrl.replace(/\/?$/, '/')), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(creds),
    });
    const text = await res.text();
    if (!res.ok)
      throw new Error(`--signup: POST ${p} answered ${res.status} ${text.slice(0, 200)}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  await post(register);
  const body = await post(login);
  const token = body['token'] ?? body['accessToken'] ?? body['access_token'];
  if (typeof token !== 'string')
    throw new Error(
      `--signup: POST ${login} answered no token (looked for token, accessToken, access_token)`,
    );
  return token;
}

export function registerQTestCommands(program: Command, io: CapsuleIo): void {
  const s = io.style;
  const qtest = program
    .command('qtest')
    .description('run the quality gate on a project, or API tests against a running app');

  qtest
    .command('run')
    .description(
      'from a clean copy, in the sandbox: install, build, run the tests with coverage, scan, apply the gate',
    )
    .argument('<dir>', 'the project directory')
    .addOption(
      new Option('--runs <n>', 'runs of the tests; a test that does not pass every run is flaky')
        .argParser((v) => Number(v))
        .default(1),
    )
    .addOption(
      new Option('--min-coverage <pct>', 'line coverage the gate requires')
        .argParser((v) => Number(v))
        .default(DEFAULT_MIN_COVERAGE),
    )
    .option(
      '--requirements <file>',
      'requirements JSON: each acceptance criterion needs a passing test',
    )
    .option('--vuln-db <path>', 'OSV vulnerability database snapshot for the dependency audit')
    .option('--json', 'print the full report as JSON')
    .action(
      async (
        dir: string,
        opts: {
          runs: number;
          minCoverage: number;
          requirements?: string;
          vulnDb?: string;
          json?: boolean;
        },
      ) => {
        if (!Number.isInteger(opts.runs) || opts.runs < 1 || opts.runs > 10) {
          io.err(s.red('ql: --runs: expected a whole number from 1 to 10'));
          return io.exit(2);
        }
        if (!(opts.minCoverage >= 0 && opts.minCoverage <= 100)) {
          io.err(s.red('ql: --min-coverage: expected a percentage from 0 to 100'));
          return io.exit(2);
        }
        const abs = path.resolve(io.cwd, dir);
        const isDir = await stat(abs).then(
          (st) => st.isDirectory(),
          () => false,
        );
        if (!isDir) {
          io.err(s.red(`ql: ${dir}: not a directory (give the project's directory)`));
          return io.exit(2);
        }
        let criteria: string[] | undefined;
        if (opts.requirements) {
          try {
            const doc = JSON.parse(
              await readFile(path.resolve(io.cwd, opts.requirements), 'utf8'),
            ) as {
              acceptanceCriteria?: { id?: unknown }[];
            };
            criteria = (doc.acceptanceCriteria ?? []).map((c) => String(c.id));
          } catch (err) {
            io.err(s.red(`ql: --requirements ${opts.requirements}: ${(err as Error).message}`));
            return io.exit(2);
          }
        }
        const sandbox = await sandboxAvailable();
        if (!sandbox.ok) {
          io.err(s.red(`ql: the sandbox is not available: ${sandbox.reason ?? 'unknown reason'}`));
          return io.exit(1);
        }
        if (!opts.json)
          io.out(
            `qtest ${abs} ${s.dim(`(sandbox: bubblewrap, network off; ${opts.runs} run${opts.runs === 1 ? '' : 's'})`)}`,
          );
        let report: QualityReport;
        try {
          report = await qualifyProject({
            dir: abs,
            runs: opts.runs,
            minLineCoveragePct: opts.minCoverage,
            ...(criteria ? { acceptanceCriteria: criteria } : {}),
            ...(opts.vulnDb ? { vulnDb: path.resolve(io.cwd, opts.vulnDb) } : {}),
            onStep: (e) => {
              if (!opts.json && e.state === 'started')
                io.out(s.dim(`… ${e.step}${e.detail ? ` (${e.detail})` : ''}`));
            },
          });
        } catch (err) {
          io.err(s.red(`ql: ${(err as Error).message}`));
          return io.exit((err as { code?: string }).code === 'ENOENT' ? 2 : 1);
        }
        if (opts.json) io.out(JSON.stringify(report, null, 2));
        else for (const line of qualityLines(report, io)) io.out(line);
        if (report.summary.verdict !== 'accepted') io.exit(1);
      },
    );

  qtest
    .command('api')
    .description(
      'property-based tests from an OpenAPI document against a running app: documented statuses and schemas, no 5xx on bad input, CRUD round trips',
    )
    .argument('<openapi>', 'the OpenAPI 3.x document (file or URL)')
    .requiredOption('--base-url <url>', 'where the app listens, e.g. http://127.0.0.1:3000')
    .option('--token <token>', 'bearer token for protected operations')
    .option(
      '--signup',
      'sign up and log in through the document’s register/login operations for a token',
    )
    .addOption(
      new Option('--runs <n>', 'cases per property').argParser((v) => Number(v)).default(50),
    )
    .addOption(new Option('--seed <n>', 'replay a report').argParser((v) => Number(v)))
    .option('--json', 'print the report as JSON')
    .action(
      async (
        openapi: string,
        opts: {
          baseUrl: string;
          token?: string;
          signup?: boolean;
          runs: number;
          seed?: number;
          json?: boolean;
        },
      ) => {
        if (!Number.isInteger(opts.runs) || opts.runs < 1) {
          io.err(s.red('ql: --runs: expected a positive whole number'));
          return io.exit(2);
        }
        if (opts.seed !== undefined && !Number.isInteger(opts.seed)) {
          io.err(s.red('ql: --seed: expected a whole number'));
          return io.exit(2);
        }
        try {
          new URL(opts.baseUrl);
        } catch {
          io.err(
            s.red(`ql: --base-url: "${opts.baseUrl}" is not a URL (e.g. http://127.0.0.1:3000)`),
          );
          return io.exit(2);
        }
        const doc = /^https?:\/\//.test(openapi) ? openapi : path.resolve(io.cwd, openapi);
        let report: ApiTestReport;
        try {
          const auth = opts.token
            ? { bearer: opts.token }
            : opts.signup
              ? (loaded: ApiDocument) => signUp(loaded, opts.baseUrl)
              : undefined;
          report = await runApiTests({
            openapi: doc,
            baseUrl: opts.baseUrl,
            numRuns: opts.runs,
            ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
            ...(auth ? { auth } : {}),
          });
        } catch (err) {
          io.err(s.red(`ql: ${(err as Error).message}`));
          return io.exit(2);
        }
        if (opts.json) io.out(JSON.stringify(report, null, 2));
        else for (const line of apiLines(report, io)) io.out(line);
        if (report.totals.failed > 0 || report.fiveXX > 0) io.exit(1);
      },
    );
}
