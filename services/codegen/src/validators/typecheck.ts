import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import type { SourceFile } from './files.js';
import { normalizePath } from './files.js';
import type { CheckResult, Finding, Severity } from './report.js';
import { skippedCheck, statusFromFindings } from './report.js';

export interface TypeCheckOptions {
  failOn?: Severity;
  /**
   * A directory on disk that holds the project's installed `node_modules` (the generated
   * project after `npm ci`, or a shared template install). The in-memory files are mounted
   * there, so imports resolve to real type declarations. Without it, "cannot find module" and
   * missing-@types diagnostics are only informational: whether a package exists is the
   * dependency check's job, and types we cannot see are not the generated code's fault.
   */
  projectDir?: string;
  /** tsconfig inside the file set; default: `tsconfig.json` at the root of the set. */
  tsconfig?: string;
  /** Applied over the tsconfig (noEmit is always forced). */
  compilerOptions?: ts.CompilerOptions;
  /** Stop after this many diagnostics (a broken import can cascade). Default 200. */
  maxDiagnostics?: number;
}

const TS_FILE = /\.(ts|tsx|mts|cts)$/;
const VIRTUAL_ROOT = '/__ql_validate__/project';

/** Codes that mean "a dependency or its types are not installed" rather than "the code is wrong". */
const ENVIRONMENT_CODES = new Set([
  2307, // Cannot find module 'x' or its corresponding type declarations.
  2664, // Invalid module name in augmentation, module 'x' cannot be found.
  2688, // Cannot find type definition file for 'x'.
  2580, // Cannot find name 'process'. Do you need to install type definitions for node?
  2591, // … and then add 'node' to the types field in your tsconfig.
  2582, // Cannot find name 'describe'. Do you need to install type definitions for a test runner?
  2593, // … and then add 'jest' or 'mocha' to the types field in your tsconfig.
  2584, // Cannot find name 'console'. Do you need to change your target library?
  2875, // This JSX tag requires the module path 'react/jsx-runtime' to exist …
  7016, // Could not find a declaration file for module 'x'.
]);

/** Implicit-any errors that follow from an unresolved import (`app.post(…, (req) => …)` on `any`). */
const CASCADE_CODES = new Set([7006, 7031]);

/** Globals that only exist with @types/node (or DOM) installed. */
const RUNTIME_GLOBALS = new Set([
  'process',
  'Buffer',
  '__dirname',
  '__filename',
  'require',
  'module',
  'exports',
  'global',
  'console',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'URL',
  'URLSearchParams',
  'fetch',
  'Response',
  'Request',
  'Headers',
  'TextEncoder',
  'TextDecoder',
  'AbortController',
  'AbortSignal',
  'structuredClone',
  'Blob',
  'File',
  'FormData',
  'ReadableStream',
  'WritableStream',
  'BroadcastChannel',
  'WebSocket',
  'queueMicrotask',
  'performance',
  'crypto',
  'NodeJS',
  // test-runner globals (@types/jest, vitest globals)
  'expect',
  'jest',
  'vi',
  'describe',
  'it',
  'test',
  'beforeAll',
  'afterAll',
  'beforeEach',
  'afterEach',
]);

export const DEFAULT_COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  esModuleInterop: true,
  skipLibCheck: true,
  resolveJsonModule: true,
  jsx: ts.JsxEmit.ReactJSX,
};

/**
 * Declaration files outside the generated project (TypeScript's lib files, installed packages)
 * are the same from one run to the next; parsing them dominates a small check, so their
 * SourceFiles are kept across runs (agent repair loops re-check the same stack many times).
 */
const sharedSourceFiles = new Map<string, ts.SourceFile>();
const SHARED_CACHE_LIMIT = 2000;

export function typeCheckApplies(files: readonly SourceFile[]): boolean {
  return files.some((f) => TS_FILE.test(f.path));
}

export async function checkTypes(
  files: readonly SourceFile[],
  options: TypeCheckOptions = {},
): Promise<CheckResult> {
  const started = performance.now();
  const failOn = options.failOn ?? 'high';
  if (!typeCheckApplies(files)) return skippedCheck('typecheck', 'no TypeScript files');

  const root = options.projectDir
    ? path.resolve(options.projectDir).split(path.sep).join('/')
    : VIRTUAL_ROOT;
  const haveModules =
    options.projectDir !== undefined && existsSync(path.join(options.projectDir, 'node_modules'));
  const memory = new Map<string, string>();
  for (const f of files) memory.set(path.posix.join(root, normalizePath(f.path)), f.content);
  const memoryDirs = new Set<string>();
  for (const p of memory.keys())
    for (let d = path.posix.dirname(p); d !== '/' && !memoryDirs.has(d); d = path.posix.dirname(d))
      memoryDirs.add(d);

  /** Paths inside the project that are not node_modules exist only in memory. */
  const onDisk = (p: string) =>
    !p.startsWith(`${root}/`) || /\/node_modules(\/|$)/.test(p.slice(root.length));

  const fileExists = (p: string) => memory.has(p) || (onDisk(p) && ts.sys.fileExists(p));
  const readFile = (p: string) => memory.get(p) ?? (onDisk(p) ? ts.sys.readFile(p) : undefined);
  const directoryExists = (p: string) =>
    p === root || memoryDirs.has(p) || (onDisk(p) && (ts.sys.directoryExists?.(p) ?? false));

  const tsconfigRel = options.tsconfig ?? 'tsconfig.json';
  const tsconfigPath = path.posix.join(root, normalizePath(tsconfigRel));
  const findings: Finding[] = [];
  let compilerOptions: ts.CompilerOptions;
  let rootNames: string[];

  if (memory.has(tsconfigPath)) {
    const parsedJson = ts.parseConfigFileTextToJson(tsconfigPath, memory.get(tsconfigPath)!);
    const host: ts.ParseConfigHost = {
      useCaseSensitiveFileNames: true,
      fileExists,
      readFile,
      readDirectory: (dir, extensions, excludes, includes) =>
        readVirtualDirectory(memory, dir, extensions ?? [], excludes ?? [], includes ?? []),
    };
    const parsed = ts.parseJsonConfigFileContent(
      parsedJson.config ?? {},
      host,
      path.posix.dirname(tsconfigPath),
      undefined,
      tsconfigPath,
    );
    compilerOptions = parsed.options;
    rootNames = parsed.fileNames;
    const configErrors = parsedJson.error ? [parsedJson.error, ...parsed.errors] : parsed.errors;
    // TS18003 (no inputs found) just means the tsconfig's include does not match; we fall back below.
    for (const d of configErrors.filter((e) => e.code !== 18003))
      findings.push(toFinding(d, root, tsconfigRel, haveModules));
    if (rootNames.length === 0) rootNames = [...memory.keys()].filter((p) => TS_FILE.test(p));
  } else {
    compilerOptions = { ...DEFAULT_COMPILER_OPTIONS, ...(haveModules ? {} : { types: [] }) };
    rootNames = [...memory.keys()].filter((p) => TS_FILE.test(p));
  }
  compilerOptions = { ...compilerOptions, ...options.compilerOptions, noEmit: true };
  delete compilerOptions.outDir;
  delete compilerOptions.declarationDir;
  delete compilerOptions.tsBuildInfoFile;
  compilerOptions.incremental = false;
  compilerOptions.composite = false;

  const host: ts.CompilerHost = {
    getSourceFile(fileName, languageVersion, onError) {
      const text = readFile(fileName);
      if (text === undefined) {
        onError?.(`file not found: ${fileName}`);
        return undefined;
      }
      if (memory.has(fileName)) return ts.createSourceFile(fileName, text, languageVersion, true);
      const opts = typeof languageVersion === 'object' ? languageVersion : { languageVersion };
      const key = `${fileName}\u0000${opts.languageVersion}\u0000${opts.impliedNodeFormat ?? ''}\u0000${mtime(fileName)}`;
      let sf = sharedSourceFiles.get(key);
      if (!sf) {
        sf = ts.createSourceFile(fileName, text, languageVersion, true);
        if (sharedSourceFiles.size >= SHARED_CACHE_LIMIT) sharedSourceFiles.clear();
        sharedSourceFiles.set(key, sf);
      }
      return sf;
    },
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    writeFile: () => undefined,
    getCurrentDirectory: () => root,
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists,
    readFile,
    directoryExists,
    getDirectories: (p) => {
      const fromMemory = [...memoryDirs]
        .filter((d) => path.posix.dirname(d) === p)
        .map((d) => path.posix.basename(d));
      // Inside the project only node_modules comes from disk; the sources are the in-memory set.
      const fromDisk = (ts.sys.getDirectories?.(p) ?? []).filter((d) => onDisk(`${p}/${d}`));
      return [...new Set([...fromMemory, ...fromDisk])];
    },
    realpath: (p) => (memory.has(p) || !onDisk(p) ? p : (ts.sys.realpath?.(p) ?? p)),
  };

  const program = ts.createProgram({ rootNames, options: compilerOptions, host });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const max = options.maxDiagnostics ?? 200;
  const unresolvedImports = !haveModules && diagnostics.some((d) => d.code === 2307);
  let count = 0;
  for (const d of diagnostics) {
    const file = d.file?.fileName;
    // Diagnostics inside installed packages are not the generated code's to fix.
    if (file && !memory.has(file)) continue;
    if (count++ >= max) break;
    findings.push(
      toFinding(
        d,
        root,
        file ? path.posix.relative(root, file) : '',
        haveModules,
        unresolvedImports,
      ),
    );
  }
  await Promise.resolve();
  return {
    check: 'typecheck',
    status: statusFromFindings(findings, failOn),
    durationMs: performance.now() - started,
    filesChecked: rootNames.filter((p) => memory.has(p)).length,
    findings,
    details: {
      typescript: ts.version,
      nodeModules: haveModules,
      ...(count > max ? { truncated: true } : {}),
    },
  };
}

function mtime(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

function isEnvironmentDiagnostic(
  d: ts.Diagnostic,
  haveModules: boolean,
  unresolvedImports: boolean,
): boolean {
  if (haveModules) return false;
  if (ENVIRONMENT_CODES.has(d.code)) return true;
  if (unresolvedImports && CASCADE_CODES.has(d.code)) return true;
  if (d.code === 2304 || d.code === 2503) {
    const name = /'([^']+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, '\n'))?.[1];
    return !!name && RUNTIME_GLOBALS.has(name);
  }
  return false;
}

function toFinding(
  d: ts.Diagnostic,
  root: string,
  file: string,
  haveModules: boolean,
  unresolvedImports = false,
): Finding {
  let line = 1;
  let column = 1;
  if (d.file && d.start !== undefined) {
    const pos = d.file.getLineAndCharacterOfPosition(d.start);
    line = pos.line + 1;
    column = pos.character + 1;
  }
  const environment = isEnvironmentDiagnostic(d, haveModules, unresolvedImports);
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n').split(`${root}/`).join('');
  return {
    check: 'typecheck',
    ruleId: `TS${d.code}`,
    severity: environment ? 'info' : categorySeverity(d.category),
    file,
    line,
    column,
    message: environment ? `${message} (not installed here: no node_modules given)` : message,
  };
}

function categorySeverity(category: ts.DiagnosticCategory): Severity {
  switch (category) {
    case ts.DiagnosticCategory.Error:
      return 'high';
    case ts.DiagnosticCategory.Warning:
      return 'medium';
    case ts.DiagnosticCategory.Suggestion:
      return 'low';
    default:
      return 'info';
  }
}

/** `readDirectory` over the in-memory files, honouring tsconfig include/exclude globs. */
function readVirtualDirectory(
  memory: Map<string, string>,
  dir: string,
  extensions: readonly string[],
  excludes: readonly string[],
  includes: readonly string[],
): string[] {
  const inc = (includes.length ? includes : ['**/*']).map((s) => globToRegExp(dir, s, true));
  const exc = excludes.map((s) => globToRegExp(dir, s, false));
  return [...memory.keys()].filter(
    (p) =>
      p.startsWith(`${dir}/`) &&
      (extensions.length === 0 || extensions.some((e) => p.endsWith(e))) &&
      !/\/node_modules\//.test(p.slice(dir.length)) &&
      inc.some((r) => r.test(p)) &&
      !exc.some((r) => r.test(p)),
  );
}

function globToRegExp(base: string, spec: string, include: boolean): RegExp {
  let abs = spec.startsWith('/') ? spec : path.posix.join(base, spec);
  const last = abs.slice(abs.lastIndexOf('/') + 1);
  // "src" means "src/**/*" (a directory spec), as in TypeScript's own matcher.
  if (!/[*?]/.test(last) && !/\.\w+$/.test(last)) abs = `${abs}/**/*`;
  let re = '';
  for (let i = 0; i < abs.length; i++) {
    const c = abs[i]!;
    if (c === '*' && abs[i + 1] === '*' && abs[i + 2] === '/') {
      re += '(?:[^/]+/)*';
      i += 2;
    } else if (c === '*' && abs[i + 1] === '*') {
      re += '.*';
      i += 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(include ? `^${re}$` : `^${re}(?:/.*)?$`);
}
