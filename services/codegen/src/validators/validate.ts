import { z } from 'zod';
import { SyntaxTrees } from './context.js';
import type { DependencyCheckOptions } from './dependencies/index.js';
import { checkDependencies } from './dependencies/index.js';
import type { SourceFile } from './files.js';
import { SourceFileSchema, normalizePath } from './files.js';
import type { CheckName, CheckResult, Severity, ValidationReport } from './report.js';
import {
  CHECK_NAMES,
  CheckNameSchema,
  SeveritySchema,
  skippedCheck,
  sortFindings,
  summarize,
} from './report.js';
import type { SecretScanOptions } from './secrets.js';
import { scanSecrets } from './secrets.js';
import type { SecurityCheckOptions } from './security/index.js';
import { checkSecurity } from './security/index.js';
import { checkSyntax } from './syntax.js';
import type { TypeCheckOptions } from './typecheck.js';
import { checkTypes, typeCheckApplies } from './typecheck.js';

export interface ValidateOptions {
  /** Checks to run (default: all five). The others are reported as skipped. */
  checks?: readonly CheckName[];
  /** Findings of this severity or worse fail the report (default: high, as in the quality gate). */
  failOn?: Severity;
  /** Installed project directory, used by the type-check to resolve node_modules. */
  projectDir?: string;
  typecheck?: Omit<TypeCheckOptions, 'failOn' | 'projectDir'>;
  security?: Pick<SecurityCheckOptions, 'rules'>;
  secrets?: Omit<SecretScanOptions, 'failOn'>;
  /** Registry clients for the dependency check (default: public registries + disk cache). */
  registries?: DependencyCheckOptions['registries'];
  signal?: AbortSignal;
  /** Guards against absurd inputs (defaults: 5,000 files, 50 MB). */
  maxFiles?: number;
  maxTotalBytes?: number;
}

export class ValidationInputError extends Error {
  override readonly name = 'ValidationInputError';
}

const OptionsSchema = z.object({
  checks: z.array(CheckNameSchema).optional(),
  failOn: SeveritySchema.optional(),
});

/**
 * Runs the validators over a generated file set and returns one ValidationReport. Files are
 * parsed once and shared by the syntax, security and dependency checks; the dependency check's
 * registry look-ups run while the CPU-bound checks work.
 */
export async function validate(
  files: readonly SourceFile[],
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const input = parseInput(files, options);
  const { checks: wanted, failOn } = OptionsSchema.parse({
    checks: options.checks,
    failOn: options.failOn,
  });
  const enabled = new Set<CheckName>(wanted ?? CHECK_NAMES);
  const threshold = failOn ?? 'high';
  const trees = new SyntaxTrees();

  const run = async (name: CheckName, fn: () => Promise<CheckResult>): Promise<CheckResult> => {
    if (!enabled.has(name)) return skippedCheck(name, 'not requested');
    const t0 = performance.now();
    try {
      return await fn();
    } catch (err) {
      return {
        check: name,
        status: 'error',
        durationMs: performance.now() - t0,
        filesChecked: 0,
        findings: [],
        error: err instanceof Error ? err.message : String(err),
      };
    }
  };
  const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

  try {
    // Network-bound first, so its requests are in flight while the rest computes.
    const dependencies = run('dependencies', () =>
      checkDependencies(input, {
        failOn: threshold,
        trees,
        ...(options.registries ? { registries: options.registries } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
    const syntax = await run('syntax', () => checkSyntax(input, { failOn: threshold, trees }));
    await yieldToIo();
    const security = await run('security', () =>
      checkSecurity(input, { failOn: threshold, trees, ...options.security }),
    );
    await yieldToIo();
    const secrets = await run('secrets', () =>
      scanSecrets(input, { ...options.secrets, failOn: threshold }),
    );
    await yieldToIo();
    const typecheck = typeCheckApplies(input)
      ? await run('typecheck', () =>
          checkTypes(input, {
            ...options.typecheck,
            failOn: threshold,
            ...(options.projectDir ? { projectDir: options.projectDir } : {}),
          }),
        )
      : skippedCheck('typecheck', 'no TypeScript files');

    const checks = { syntax, typecheck, security, secrets, dependencies: await dependencies };
    for (const name of CHECK_NAMES) checks[name].findings = sortFindings(checks[name].findings);
    const { status, summary } = summarize(checks, input.length, threshold);
    return {
      schemaVersion: 1,
      status,
      failOn: threshold,
      startedAt,
      durationMs: performance.now() - started,
      checks,
      summary,
    };
  } finally {
    await trees.dispose();
  }
}

function parseInput(files: readonly SourceFile[], options: ValidateOptions): SourceFile[] {
  const parsed = z.array(SourceFileSchema).safeParse(files);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationInputError(`files.${issue.path.join('.')}: ${issue.message}`);
  }
  const maxFiles = options.maxFiles ?? 5000;
  const maxBytes = options.maxTotalBytes ?? 50 * 1024 * 1024;
  if (parsed.data.length > maxFiles)
    throw new ValidationInputError(
      `files: ${parsed.data.length} files exceed the limit of ${maxFiles}`,
    );
  const total = parsed.data.reduce((n, f) => n + f.content.length, 0);
  if (total > maxBytes)
    throw new ValidationInputError(`files: ${total} characters exceed the limit of ${maxBytes}`);
  const seen = new Set<string>();
  return parsed.data.map((f) => {
    const path = normalizePath(f.path);
    if (path.startsWith('/') || path.split('/').includes('..'))
      throw new ValidationInputError(
        `files: path "${f.path}" must be relative and stay inside the project`,
      );
    if (seen.has(path)) throw new ValidationInputError(`files: duplicate path "${path}"`);
    seen.add(path);
    return { path, content: f.content };
  });
}
