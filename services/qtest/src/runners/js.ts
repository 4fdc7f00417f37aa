import { join } from 'node:path';
import { parseIstanbulJson, parseJestJson, parseJUnitXml, parseLcov } from '../reports/index.js';
import { exists } from './files.js';
import { jsRunnerOfScript } from './detect.js';
import { literal, parseScript, splitNode, toArgv, type Word } from './npm-script.js';
import {
  displayCommand,
  filterCoverage,
  readReport,
  REPORT_DIR,
  SANDBOX_REPORT_DIR,
  type Collected,
  type PlanContext,
  type RunnerPlan,
} from './plan.js';

type JsRunner = 'jest' | 'vitest' | 'node-test';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface ScriptCommand {
  env: Record<string, string>;
  nodeFlags: Word[];
  /** jest/vitest: the script path; node-test: undefined. */
  script?: Word;
  args: Word[];
}

const BINS: Record<'jest' | 'vitest', string> = {
  jest: 'node_modules/jest/bin/jest.js',
  vitest: 'node_modules/vitest/vitest.mjs',
};

/**
 * The project's own `npm test` command when it is one simple invocation of `runner`, so the
 * node flags it needs (`--experimental-vm-modules`, loaders) and its arguments are kept.
 */
function fromScript(ctx: PlanContext, runner: JsRunner): ScriptCommand | undefined {
  const script = ctx.pkg?.scripts?.test;
  if (script === undefined || jsRunnerOfScript(script) !== runner) return undefined;
  const parsed = parseScript(script);
  if (!parsed) return undefined;
  const env = Object.fromEntries(Object.entries(parsed.env).filter(([k]) => ENV_NAME.test(k)));
  const node = splitNode(parsed.words);
  if (node) {
    if (runner === 'node-test') return { env, nodeFlags: node.nodeFlags, args: node.rest };
    const [first, ...args] = node.rest;
    // `node some-wrapper.js jest` is not jest: its flags would go to the wrapper.
    if (!first || first.glob || !new RegExp(`(^|/)${runner}(\\.m?js)?$`).test(first.text)) {
      return undefined;
    }
    return { env, nodeFlags: node.nodeFlags, script: first, args };
  }
  const [bin, ...args] = parsed.words;
  if (runner === 'node-test' || !bin || bin.glob || !new RegExp(`(^|/)${runner}$`).test(bin.text)) {
    return undefined;
  }
  return { env, nodeFlags: [], script: { text: BINS[runner], glob: false }, args };
}

function describeSource(
  used: ScriptCommand | undefined,
  ctx: PlanContext,
  runner: JsRunner,
): string[] {
  const script = ctx.pkg?.scripts?.test;
  if (used || script === undefined) return [];
  return [
    `package.json test script "${script.slice(0, 120)}" is not one simple ${runner} command; ran ${runner} directly`,
  ];
}

export function jestPlan(ctx: PlanContext): RunnerPlan {
  const own = fromScript(ctx, 'jest');
  const esm = ctx.pkg?.type === 'module';
  const base: ScriptCommand = own ?? {
    env: {},
    nodeFlags: literal(esm ? ['--experimental-vm-modules'] : []),
    script: { text: BINS.jest, glob: false },
    args: [],
  };
  const ours = literal([
    '--ci',
    '--watchAll=false',
    '--json',
    `--outputFile=${SANDBOX_REPORT_DIR}/jest.json`,
    '--coverage',
    '--coverageReporters=json',
    `--coverageDirectory=${SANDBOX_REPORT_DIR}/coverage`,
  ]);
  const words = [
    literal(['node'])[0] as Word,
    ...base.nodeFlags,
    base.script as Word,
    ...base.args,
    ...ours,
  ];
  const argv = toArgv(words);
  return {
    runner: 'jest',
    display: displayCommand([argv.command, ...argv.args]),
    main: argv,
    env: { ...base.env },
    readOnlyBinds: [],
    extraPath: [],
    notes: describeSource(own, ctx, 'jest'),
    async collect(copy): Promise<Collected> {
      const report = await readReport(copy, `${REPORT_DIR}/jest.json`, parseJestJson);
      const coverage = await readReport(
        copy,
        `${REPORT_DIR}/coverage/coverage-final.json`,
        parseIstanbulJson,
      );
      return {
        ...('value' in report ? { report: report.value } : { reportError: report.error }),
        ...('value' in coverage ? { coverage: coverage.value } : { coverageError: coverage.error }),
      };
    },
  };
}

const VITEST_COMMANDS = new Set(['run', 'watch', 'dev', 'related', 'bench', 'list']);

export async function vitestPlan(ctx: PlanContext): Promise<RunnerPlan> {
  const own = fromScript(ctx, 'vitest');
  const base: ScriptCommand = own ?? {
    env: {},
    nodeFlags: [],
    script: { text: BINS.vitest, glob: false },
    args: [],
  };
  // Watch mode never ends: always `run` (CI=true would do it too, but only for the default).
  let args = base.args;
  const sub = args[0];
  if (sub && !sub.glob && VITEST_COMMANDS.has(sub.text)) {
    args =
      sub.text === 'watch' || sub.text === 'dev' ? [...literal(['run']), ...args.slice(1)] : args;
  } else {
    args = [...literal(['run']), ...args];
  }
  let provider: 'v8' | 'istanbul' | undefined;
  if (await exists(join(ctx.nodeModules, '@vitest', 'coverage-v8', 'package.json')))
    provider = 'v8';
  else if (await exists(join(ctx.nodeModules, '@vitest', 'coverage-istanbul', 'package.json'))) {
    provider = 'istanbul';
  }
  const ours = literal([
    '--reporter=default',
    '--reporter=junit',
    `--outputFile.junit=${SANDBOX_REPORT_DIR}/junit.xml`,
    ...(provider
      ? [
          '--coverage.enabled=true',
          `--coverage.provider=${provider}`,
          '--coverage.reporter=json',
          // vitest skips the coverage report when a test failed unless told otherwise.
          '--coverage.reportOnFailure=true',
          `--coverage.reportsDirectory=${SANDBOX_REPORT_DIR}/coverage`,
        ]
      : []),
  ]);
  const words = [
    literal(['node'])[0] as Word,
    ...base.nodeFlags,
    base.script as Word,
    ...args,
    ...ours,
  ];
  const argv = toArgv(words);
  const notes = describeSource(own, ctx, 'vitest');
  if (!provider)
    notes.push('coverage: neither @vitest/coverage-v8 nor @vitest/coverage-istanbul is installed');
  return {
    runner: 'vitest',
    display: displayCommand([argv.command, ...argv.args]),
    main: argv,
    env: { ...base.env },
    readOnlyBinds: [],
    extraPath: [],
    notes,
    async collect(copy): Promise<Collected> {
      const report = await readReport(copy, `${REPORT_DIR}/junit.xml`, (x) =>
        parseJUnitXml(x, 'vitest'),
      );
      const coverage = provider
        ? await readReport(copy, `${REPORT_DIR}/coverage/coverage-final.json`, parseIstanbulJson)
        : undefined;
      return {
        ...('value' in report ? { report: report.value } : { reportError: report.error }),
        ...(coverage
          ? 'value' in coverage
            ? { coverage: coverage.value }
            : { coverageError: coverage.error }
          : {}),
      };
    },
  };
}

/** node's default test file patterns (and a test/ directory): on Node 20 coverage counts them. */
const NODE_TEST_FILE =
  /(^|\/)test\/|(^|\/)test\.[cm]?[jt]s$|(^|\/)test-[^/]*\.[cm]?[jt]s$|[.\-_]test\.[cm]?[jt]s$|(^|\/)node_modules\//;

const REPORTER_FLAGS = new Set(['--test-reporter', '--test-reporter-destination']);

export function nodeTestPlan(ctx: PlanContext): RunnerPlan {
  const own = fromScript(ctx, 'node-test');
  const base: ScriptCommand = own ?? { env: {}, nodeFlags: literal(['--test']), args: [] };
  // Reporters pair with destinations by position: the project's own would misalign ours.
  const flags: Word[] = [];
  for (let i = 0; i < base.nodeFlags.length; i++) {
    const w = base.nodeFlags[i] as Word;
    const name = w.text.split('=')[0] ?? '';
    if (REPORTER_FLAGS.has(name)) {
      if (!w.text.includes('=')) i += 1;
      continue;
    }
    flags.push(w);
  }
  const ours = literal([
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=junit',
    `--test-reporter-destination=${SANDBOX_REPORT_DIR}/junit.xml`,
    '--experimental-test-coverage',
    '--test-reporter=lcov',
    `--test-reporter-destination=${SANDBOX_REPORT_DIR}/lcov.info`,
  ]);
  const words = [literal(['node'])[0] as Word, ...flags, ...ours, ...base.args];
  const argv = toArgv(words);
  return {
    runner: 'node-test',
    display: displayCommand([argv.command, ...argv.args]),
    main: argv,
    env: { ...base.env },
    readOnlyBinds: [],
    extraPath: [],
    notes: [
      ...describeSource(own, ctx, 'node-test'),
      'coverage: node:test on Node 20 also measures the test files; they are left out of the report',
    ],
    async collect(copy): Promise<Collected> {
      const report = await readReport(copy, `${REPORT_DIR}/junit.xml`, (x) =>
        parseJUnitXml(x, 'node-test'),
      );
      const coverage = await readReport(copy, `${REPORT_DIR}/lcov.info`, parseLcov);
      return {
        ...('value' in report ? { report: report.value } : { reportError: report.error }),
        ...('value' in coverage
          ? { coverage: filterCoverage(coverage.value, (f) => NODE_TEST_FILE.test(f.path)) }
          : { coverageError: coverage.error }),
      };
    },
  };
}
