// The `ql` command: argument parsing and output. Everything that touches the process (argv,
// streams, exit code) comes in through `Io`, so tests run the real command in-process.
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  analyzeComplexity,
  DescriptionError,
  inputFailure,
  parseRequirements,
  writeProject,
} from '@quantumlayer/codegen';
import { createLogger } from '@quantumlayer/kit';
import { Command, CommanderError, Option } from 'commander';
import { registerCapsuleCommands } from './capsule.js';
import { qualityLines, registerQTestCommands } from './qtest.js';
import { sandboxAvailable } from '@quantumlayer/qtest';
import { generateEmbedded, type EmbeddedFile, type Progress } from './embedded.js';
import { formatAnalysis, formatFindings, styleFor, type Style } from './format.js';
import { localSigningKey } from './keys.js';

export interface Io {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Exit codes: 0 done, 1 the generation or its checks failed, 2 bad usage or input. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function describeInputError(err: unknown, s: Style): string | undefined {
  if (err instanceof DescriptionError) {
    // The parser's message already says what it understood; add the suggestion if it does not.
    const lines = [s.red(`ql: ${err.message}`)];
    if (!err.message.includes('e.g.')) lines.push(`  ${err.suggestion}`);
    lines.push(s.dim('  nothing was written'));
    return lines.join('\n');
  }
  const failure = inputFailure(err);
  return failure ? s.red(`ql: ${failure.message}`) : undefined;
}

function stepLine(p: Progress, s: Style): string {
  const t = 'ms' in p ? s.dim(`${(p.ms / 1000).toFixed(1)}s`) : '';
  switch (p.stage) {
    case 'analyzed':
      return `${s.green('✓')} analyzed    ${p.appName}: ${p.entities} entities, ${p.criteria} acceptance criteria, ${p.effort} ${t}`;
    case 'drafted':
      return `${s.green('✓')} drafted     ${p.files} files from the stack templates ${t}`;
    case 'validated':
      return `${p.passed ? s.green('✓') : s.red('✗')} validated   ${p.summary} ${t}`;
    case 'packaged':
      return `${s.green('✓')} packaged    ${p.fileName}, signed by key ${p.keyId} ${t}`;
    case 'testing':
      return s.dim(
        `… testing     in the sandbox: npm ci, typecheck, tests (${p.runs} run${p.runs === 1 ? '' : 's'}) with coverage, security scan`,
      );
    case 'tested': {
      const r = p.report.summary;
      const ok = r.verdict === 'accepted';
      const lines =
        r.coverage.lines === null ? 'no coverage' : `lines ${r.coverage.lines.toFixed(1)}%`;
      return `${ok ? s.green('✓') : s.red('✗')} tested      ${r.tests.passed} passed, ${r.tests.failed + r.tests.errored} failed, ${r.tests.flaky} flaky · ${lines} · gate ${ok ? 'accepted' : r.verdict} ${t}`;
    }
  }
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

export function buildProgram(io: Io): Command {
  const s = styleFor(Boolean(io.stdout.isTTY), io.env);
  const out = (text: string) => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);

  const program = new Command('ql')
    .description('QuantumLayer: describe an application, get a tested project.')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.stdout.write(t), writeErr: (t) => io.stderr.write(t) })
    .showHelpAfterError('(ql --help shows the commands)');

  program
    .command('analyze')
    .description(
      'show what QuantumLayer understands of a description: entities, fields, relations, auth, acceptance criteria, estimate',
    )
    .argument('<description>', 'the application, in plain language')
    .option('--json', 'print one JSON object { "requirements": …, "complexity": … }')
    .action((description: string, opts: { json?: boolean }) => {
      try {
        const requirements = parseRequirements(description);
        const complexity = analyzeComplexity(requirements);
        out(
          opts.json
            ? JSON.stringify({ requirements, complexity }, null, 2)
            : formatAnalysis(requirements, complexity, s),
        );
      } catch (e) {
        const message = describeInputError(e, s);
        if (!message) throw e;
        err(message);
        throw new Exit(EXIT.usage);
      }
    });

  program
    .command('generate')
    .description(
      'generate a project from a description (embedded mode: every service in this process)',
    )
    .argument('<description>', 'the application, in plain language')
    .option('-o, --out <dir>', 'directory the project is written into, as <dir>/<app-name>/', '.')
    .addOption(new Option('--stack <id>', 'stack template').default('ts-fastify'))
    .option(
      '--name <app-name>',
      'project name (kebab-case) instead of one derived from the description',
    )
    .option(
      '--verify',
      'then run the quality gate on the capsule in the sandbox: npm ci from the lock file, typecheck, tests with coverage, security scan',
    )
    .addOption(
      new Option('--runs <n>', 'with --verify: runs of the tests (5 catches flaky tests)')
        .argParser((v) => Number(v))
        .default(1),
    )
    .option('--force', 'write into an existing, non-empty project directory')
    .action(
      async (
        description: string,
        opts: {
          out: string;
          stack: string;
          name?: string;
          verify?: boolean;
          runs: number;
          force?: boolean;
        },
      ) => {
        if (!Number.isInteger(opts.runs) || opts.runs < 1 || opts.runs > 10) {
          err(s.red('ql: --runs: expected a whole number from 1 to 10'));
          throw new Exit(EXIT.usage);
        }
        if (opts.verify) {
          const sandbox = await sandboxAvailable();
          if (!sandbox.ok) {
            err(s.red(`ql: --verify needs the sandbox: ${sandbox.reason ?? 'unavailable'}`));
            throw new Exit(EXIT.failed);
          }
        }
        if (io.env['QL_NATS_URL']) {
          err(
            s.red(
              'ql: QL_NATS_URL is set, but submitting to a running deployment needs the gateway service, which is not built yet.',
            ) + '\n  Unset QL_NATS_URL to run the generation embedded in this process.',
          );
          throw new Exit(EXIT.usage);
        }
        const outDir = path.resolve(io.cwd, opts.out);
        out(
          s.dim(
            'blueprint mode: no LLM provider is configured, so the rule-based parser and the stack templates do the work (no tokens, no cost)',
          ),
        );
        const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ql-embedded-'));
        // The log stays outside the output directory until there is a project to put it next to:
        // a rejected description writes nothing there.
        const logName = `generate-${new Date().toISOString().replace(/[:.]/g, '-')}.log`;
        let logFile = path.join(os.tmpdir(), `ql-${logName}`);
        const logStream = createWriteStream(logFile);
        const logger = createLogger({
          service: 'ql',
          level: io.env['QL_LOG_LEVEL'] ?? 'info',
          destination: logStream,
        });
        const t0 = performance.now();
        let result;
        try {
          // Embedded capsules are signed with the local key, which `ql capsule verify` trusts.
          const passThrough: Record<string, string | undefined> = {
            QL_CAPSULE_SIGNING_KEY_FILE: (await localSigningKey(io.env)).privateKeyFile,
          };
          for (const [k, v] of Object.entries(io.env))
            if (/^QL_(CODEGEN|CAPSULE|QTEST)_/.test(k)) passThrough[k] = v;
          result = await generateEmbedded({
            description,
            stack: opts.stack,
            ...(opts.name ? { projectName: opts.name } : {}),
            dataDir,
            logger,
            env: passThrough,
            ...(opts.verify ? { testRuns: opts.runs } : {}),
            onProgress: (p) => out(stepLine(p, s)),
          });
        } finally {
          await rm(dataDir, { recursive: true, force: true });
          await new Promise<void>((resolve) => logStream.end(resolve));
        }

        if (!result.ok && !result.files) {
          err(s.red(`ql: the generation stopped at ${result.stage}: ${result.reason}`));
          err(s.dim(`  nothing was written; log: ${logFile}`));
          throw new Exit(result.stage === 'analysis' ? EXIT.usage : EXIT.failed);
        }
        const appName = result.appName ?? 'app';
        const projectDir = path.join(outDir, appName);
        if (!opts.force && !(await isEmptyDir(projectDir))) {
          err(
            s.red(
              `ql: ${projectDir} already exists and is not empty; pass --force to overwrite, or --out another directory`,
            ),
          );
          throw new Exit(EXIT.usage);
        }
        const files = result.files as EmbeddedFile[];
        await writeProject(projectDir, files);
        const logDir = path.join(outDir, '.ql', 'logs');
        await mkdir(logDir, { recursive: true });
        await rename(logFile, path.join(logDir, logName)).catch(() =>
          copyFile(logFile, path.join(logDir, logName)).then(() => rm(logFile)),
        );
        logFile = path.join(logDir, logName);
        let capsuleFile: string | undefined;
        if (result.ok) {
          capsuleFile = path.join(outDir, result.capsule.fileName);
          await writeFile(capsuleFile, result.capsule.archive);
        }
        const report = result.report!;
        const where = path.relative(io.cwd, projectDir) || '.';
        out('');
        out(
          `${s.bold(result.ok ? 'Generated' : 'Generated, but validation failed:')} ${appName} → ${where}/`,
        );
        out(
          `  ${files.length} files · validation: ${report.summary.text} · ${((performance.now() - t0) / 1000).toFixed(1)}s`,
        );
        for (const line of formatFindings(report, s)) out(line);
        if (result.ok && capsuleFile) {
          out(
            `  capsule: ${path.relative(io.cwd, capsuleFile)} (signed manifest ${result.capsule.manifestDigest.slice(0, 19)}…; check it with \`ql capsule verify\`)`,
          );
        }
        out(s.dim(`  log: ${path.relative(io.cwd, logFile)}`));
        if (!result.ok) throw new Exit(EXIT.failed);

        if (opts.verify && result.tests) {
          out('');
          out(s.bold('Quality gate (qtest, in the sandbox):'));
          for (const line of qualityLines(result.tests, { style: s })) out(line);
          if (result.tests.summary.verdict !== 'accepted') throw new Exit(EXIT.failed);
        } else {
          out('');
          out(`Next: cd ${where} && npm ci && npm test`);
        }
      },
    );

  const commandIo = {
    out,
    err,
    env: io.env,
    cwd: io.cwd,
    style: s,
    exit: (code: number): never => {
      throw new Exit(code);
    },
  };
  registerCapsuleCommands(program, commandIo);
  registerQTestCommands(program, commandIo);

  return program;
}

/** Runs `ql` with `argv` (without node and script); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof Exit) return e.code;
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    io.stderr.write(`ql: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.failed;
  }
}
