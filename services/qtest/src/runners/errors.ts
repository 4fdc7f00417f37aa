import type { RunnerKind } from './schema.js';

/** Nothing in the project says how its tests run; the message lists what was looked for. */
export class NoTestRunnerError extends Error {
  override readonly name = 'NoTestRunnerError';
  constructor(
    readonly dir: string,
    readonly lookedFor: readonly string[],
    readonly seen: readonly string[] = [],
  ) {
    super(
      `no test runner found in ${dir}: looked for ${lookedFor.join('; ')}` +
        (seen.length > 0 ? ` (seen: ${seen.join('; ')})` : ''),
    );
  }
}

/** The host lacks the toolchain the project's runner needs (not the project's fault). */
export class ToolchainUnavailableError extends Error {
  override readonly name = 'ToolchainUnavailableError';
  constructor(
    readonly runner: RunnerKind,
    readonly detail: string,
  ) {
    super(`${runner}: ${detail}`);
  }
}

/** Options that do not satisfy the schema; the message names the field and the rule. */
export class RunnerOptionsError extends Error {
  override readonly name = 'RunnerOptionsError';
}
