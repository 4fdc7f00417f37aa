/**
 * Generates a project from every fixture description (services/codegen/test/fixtures/descriptions,
 * held-out ones in ./held-out/) and checks it the way the quality gate does: parse → render →
 * write → `npm ci` from its own lock file → `tsc --noEmit` → `npm test`.
 *
 *   node --import tsx scripts/eval/generate-all.ts [--only a,b] [--concurrency N] [--keep DIR] [--json]
 *
 * --only        fixture names (file name without .json; held-out ones with or without "held-out/")
 * --concurrency projects checked at once (default 2)
 * --keep DIR    write the projects to DIR/<name> and leave them there (default: temp dirs, removed)
 * --json        one JSON document on stdout instead of the table
 *
 * Exits 1 when any project fails a step (or a fixture name in --only is unknown).
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { parseRequirements } from '../../services/codegen/src/domain/requirements/index.js';
import { renderProject, writeProject } from '../../services/codegen/src/templates/index.js';
import type { StepResult } from '../../services/codegen/src/templates/verify.js';
import { outputTail, verifyProject } from '../../services/codegen/src/templates/verify.js';

const root = resolve(process.argv[1] ?? '.', '../../..');
const fixturesDir = join(root, 'services/codegen/test/fixtures/descriptions');

interface Options {
  only?: Set<string>;
  concurrency: number;
  keep?: string;
  json: boolean;
}

function usage(message: string): never {
  console.error(`${message}
usage: node --import tsx scripts/eval/generate-all.ts [--only a,b] [--concurrency N] [--keep DIR] [--json]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const options: Options = { concurrency: 2, json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => argv[++i] ?? usage(`${arg} needs a value`);
    if (arg === '--json') options.json = true;
    else if (arg === '--only')
      options.only = new Set(
        value()
          .split(',')
          .map((s) => s.trim().replace(/\.json$/, ''))
          .filter(Boolean),
      );
    else if (arg === '--concurrency') {
      options.concurrency = Number(value());
      if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
        usage('--concurrency must be a positive integer');
    } else if (arg === '--keep') options.keep = resolve(value());
    else usage(`unknown argument ${arg}`);
  }
  return options;
}

interface Fixture {
  name: string;
  heldOut: boolean;
  description: string;
}

async function loadFixtures(): Promise<Fixture[]> {
  const out: Fixture[] = [];
  for (const [subdir, heldOut] of [
    ['', false],
    ['held-out', true],
  ] as const) {
    const dir = join(fixturesDir, subdir);
    const files = (await readdir(dir).catch(() => [] as string[]))
      .filter((f) => f.endsWith('.json'))
      .sort();
    for (const file of files) {
      const json = JSON.parse(await readFile(join(dir, file), 'utf8')) as { description?: unknown };
      if (typeof json.description !== 'string') throw new Error(`${file}: no "description"`);
      const base = file.replace(/\.json$/, '');
      out.push({
        name: heldOut ? `${subdir}/${base}` : base,
        heldOut,
        description: json.description,
      });
    }
  }
  return out;
}

type StepName = 'parse' | 'render' | StepResult['step'];

interface Row {
  name: string;
  heldOut: boolean;
  ok: boolean;
  entities?: number;
  files?: number;
  tests?: number;
  /** Seconds per step that ran. */
  seconds: Partial<Record<StepName, number>>;
  failedStep?: StepName;
  /** Tail of the failing step's output (or the error message of parse/render). */
  tail?: string;
  dir?: string;
}

async function check(fixture: Fixture, options: Options): Promise<Row> {
  const row: Row = { name: fixture.name, heldOut: fixture.heldOut, ok: false, seconds: {} };
  const fail = (step: StepName, err: unknown): Row => {
    row.failedStep = step;
    row.tail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    row.tail = outputTail(row.tail, 12);
    return row;
  };

  let t = performance.now();
  let requirements;
  try {
    requirements = parseRequirements(fixture.description);
  } catch (err) {
    return fail('parse', err);
  }
  row.seconds.parse = (performance.now() - t) / 1000;
  row.entities = requirements.entities.length;

  t = performance.now();
  let files;
  try {
    ({ files } = await renderProject({ requirements }));
  } catch (err) {
    return fail('render', err);
  }
  row.seconds.render = (performance.now() - t) / 1000;
  row.files = files.length;

  const dir = options.keep
    ? join(options.keep, fixture.name.replace('/', '-'))
    : await mkdtemp(join(os.tmpdir(), `ql-eval-${fixture.name.replace('/', '-')}-`));
  if (options.keep) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    row.dir = dir;
  }
  try {
    await writeProject(dir, files);
    const result = await verifyProject(dir);
    for (const step of result.steps) row.seconds[step.step] = step.ms / 1000;
    const test = result.steps.find((s) => s.step === 'npm test');
    const count = test && /^Tests:.*?(\d+) total/m.exec(test.output);
    if (count) row.tests = Number(count[1]);
    if (!result.ok) {
      const failed = result.failed!;
      row.failedStep = failed.step;
      row.tail =
        (failed.timedOut ? '(timed out)\n' : `(exit ${failed.code})\n`) +
        outputTail(failed.output, 25);
      return row;
    }
    row.ok = true;
    return row;
  } catch (err) {
    return fail('npm ci', err);
  } finally {
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  }
}

const STEPS: [StepName, string][] = [
  ['parse', 'parse'],
  ['render', 'render'],
  ['npm ci', 'ci'],
  ['tsc --noEmit', 'tsc'],
  ['npm test', 'test'],
];

function line(row: Row): string {
  const seconds = STEPS.map(([step, label]) => {
    const s = row.seconds[step];
    return `${label} ${s === undefined ? '   -' : s.toFixed(1).padStart(4)}`;
  }).join('  ');
  const shape = `${String(row.entities ?? '-').padStart(2)} entities ${String(row.files ?? '-').padStart(3)} files ${String(row.tests ?? '-').padStart(3)} tests`;
  const verdict = row.ok ? 'PASS' : `FAIL at ${row.failedStep}`;
  // Held-out fixtures are named held-out/<name>.
  return `${row.name.padEnd(30)} ${shape}  ${seconds}  ${verdict}`;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  let fixtures = await loadFixtures();
  if (options.only) {
    const known = new Set(fixtures.flatMap((f) => [f.name, f.name.replace(/^held-out\//, '')]));
    const unknown = [...options.only].filter((n) => !known.has(n));
    if (unknown.length > 0) usage(`unknown fixture(s): ${unknown.join(', ')}`);
    fixtures = fixtures.filter(
      (f) => options.only!.has(f.name) || options.only!.has(f.name.replace(/^held-out\//, '')),
    );
  }
  if (options.keep) await mkdir(options.keep, { recursive: true });

  const started = performance.now();
  const rows: Row[] = [];
  let next = 0;
  const worker = async () => {
    while (next < fixtures.length) {
      const fixture = fixtures[next++]!;
      const row = await check(fixture, options);
      rows.push(row);
      if (!options.json) {
        console.log(line(row));
        if (!row.ok && row.tail) console.log(row.tail.replace(/^/gm, '    | '));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, fixtures.length) }, worker));
  const totalSeconds = (performance.now() - started) / 1000;

  const order = new Map(fixtures.map((f, i) => [f.name, i]));
  rows.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
  const passed = rows.filter((r) => r.ok);
  const summary = `${passed.length} of ${rows.length} generated projects install, type-check and pass their tests`;

  if (options.json) {
    console.log(
      JSON.stringify(
        { passed: passed.length, total: rows.length, totalSeconds, summary, rows },
        null,
        2,
      ),
    );
  } else {
    const held = rows.filter((r) => r.heldOut);
    console.log(
      `\n${summary} (suite ${passed.length - held.filter((r) => r.ok).length}/${rows.length - held.length}, ` +
        `held-out ${held.filter((r) => r.ok).length}/${held.length}; ${totalSeconds.toFixed(0)} s, concurrency ${options.concurrency})`,
    );
    const failed = rows.filter((r) => !r.ok);
    if (failed.length > 0)
      console.log(`failed: ${failed.map((r) => `${r.name} (${r.failedStep})`).join(', ')}`);
    if (options.keep) console.log(`projects kept in ${options.keep}`);
  }
  if (passed.length !== rows.length) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
