import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Finds files shipped inside our dependencies (the tree-sitter WASM binaries).
 *
 * This source is compiled twice: to ESM for the service (tsc, tsx) and to CommonJS for jest
 * (swc), so neither `import.meta.url` nor `__filename` can be written here. In CommonJS the
 * module's own `require` is used; in ESM a `require` is created for this very file, whose
 * path V8 reports in a structured stack trace. Resolving relative to this file (rather than
 * process.cwd()) keeps pnpm's strict layout working wherever the process was started from.
 */
let cached: NodeJS.Require | undefined;

function ownFilePath(): string | undefined {
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_err, frames) => frames;
    const frames = new Error().stack as unknown as NodeJS.CallSite[] | undefined;
    const name = frames?.find((f) => f.getFileName())?.getFileName();
    if (!name) return undefined;
    return name.startsWith('file:') ? fileURLToPath(name) : name;
  } catch {
    return undefined;
  } finally {
    Error.prepareStackTrace = original;
  }
}

export function localRequire(): NodeJS.Require {
  if (cached) return cached;
  if (typeof require === 'function' && typeof require.resolve === 'function') {
    cached = require;
  } else {
    cached = createRequire(ownFilePath() ?? `${process.cwd()}/`);
  }
  return cached;
}

/** Absolute path of `specifier` (e.g. `web-tree-sitter/tree-sitter.wasm`). */
export function resolveDependencyFile(specifier: string): string {
  return localRequire().resolve(specifier);
}
