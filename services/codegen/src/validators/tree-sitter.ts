import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Language, Parser, Query } from 'web-tree-sitter';
import type { Node, Tree } from 'web-tree-sitter';
import type { LanguageId } from './languages.js';
import { resolveDependencyFile } from './resolve.js';

export type { Node, Tree } from 'web-tree-sitter';

/**
 * One web-tree-sitter runtime per process: the WASM runtime is initialised once, each grammar
 * is loaded the first time a file of its language shows up, and one Parser per language is
 * reused (parsing is synchronous, so a parser is never used by two callers at once).
 *
 * The prebuilt grammars of tree-sitter-wasms@0.1.13 import a few libc/libc++ symbols that
 * web-tree-sitter 0.25's runtime does not export (`isalpha` for bash, `operator new/delete`
 * for yaml, `__assert_fail`/`abort` for several scanners). A missing import only fails when it
 * is called — mid-parse — so bash and yaml would crash on ordinary input. We add those symbols
 * to the runtime's import table when it is instantiated, which makes both grammars usable.
 */

let runtime: Promise<void> | undefined;
const languages = new Map<LanguageId, Promise<Language>>();
const parsers = new Map<LanguageId, Parser>();
const queries = new Map<string, Query>();

export class GrammarError extends Error {
  override readonly name = 'GrammarError';
}

function grammarsDir(): string {
  return path.join(path.dirname(resolveDependencyFile('tree-sitter-wasms/package.json')), 'out');
}

interface RuntimeExports {
  malloc(size: number): number;
  free(ptr: number): void;
}

/** The global WebAssembly API (our TS lib set has no DOM/WebAssembly typings). */
interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ instance: { exports: unknown }; module: unknown }>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

function initRuntime(): Promise<void> {
  runtime ??= (async () => {
    const wasm = await readFile(resolveDependencyFile('web-tree-sitter/tree-sitter.wasm'));
    let exports: RuntimeExports | undefined;
    const fail = (what: string) => () => {
      throw new GrammarError(`tree-sitter grammar aborted (${what})`);
    };
    const shims = {
      isalpha: (c: number) => (((c | 32) - 97) >>> 0 < 26 ? 1 : 0),
      __assert_fail: fail('assertion failed'),
      abort: fail('abort'),
      _Znwm: (size: number) => exports!.malloc(size),
      _ZdlPv: (ptr: number) => exports!.free(ptr),
      _ZNKSt3__220__vector_base_commonILb1EE20__throw_length_errorEv: fail('vector length'),
    };
    await Parser.init({
      instantiateWasm(
        imports: Record<string, Record<string, unknown>>,
        receive: (instance: unknown, module: unknown) => void,
      ) {
        const env = imports['env']!;
        for (const [name, fn] of Object.entries(shims)) if (!(name in env)) env[name] = fn;
        void wasmApi.instantiate(wasm, imports).then(({ instance, module }) => {
          exports = instance.exports as RuntimeExports;
          receive(instance, module);
        });
        return {};
      },
    } as unknown as Parameters<typeof Parser.init>[0]);
  })();
  runtime.catch(() => {
    runtime = undefined;
  });
  return runtime;
}

/**
 * Emscripten links a grammar into the runtime through module-global state (weak symbols,
 * relocation tables), so two loads in flight at once corrupt each other ("bad export type for
 * tree_sitter_yaml_external_scanner_create"). Loads are therefore chained, one at a time.
 */
let loadQueue: Promise<unknown> = Promise.resolve();

export function loadLanguage(lang: LanguageId): Promise<Language> {
  let loaded = languages.get(lang);
  if (!loaded) {
    loaded = loadQueue.then(async () => {
      await initRuntime();
      return Language.load(await readFile(path.join(grammarsDir(), `tree-sitter-${lang}.wasm`)));
    });
    loadQueue = loaded.catch(() => undefined);
    languages.set(lang, loaded);
    loaded.catch(() => languages.delete(lang));
  }
  return loaded;
}

async function parserFor(lang: LanguageId): Promise<Parser> {
  const language = await loadLanguage(lang);
  let parser = parsers.get(lang);
  if (!parser) {
    parser = new Parser();
    parser.setLanguage(language);
    parsers.set(lang, parser);
  }
  return parser;
}

export interface ParseOptions {
  /** Give up on one file after this long (pathological input); default 10 s. */
  timeoutMs?: number;
}

/** Parses `source`; the caller owns the returned tree and must `delete()` it. */
export async function parse(
  lang: LanguageId,
  source: string,
  options: ParseOptions = {},
): Promise<Tree> {
  const parser = await parserFor(lang);
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let tree: Tree | null;
  try {
    tree = parser.parse(source, null, { progressCallback: () => Date.now() > deadline });
  } catch (err) {
    // A scanner that threw leaves the parser mid-parse; start the next file on a fresh one.
    parsers.delete(lang);
    try {
      parser.delete();
    } catch {
      // already unusable
    }
    throw err instanceof GrammarError
      ? err
      : new GrammarError(`${lang} parser failed: ${String(err)}`);
  }
  if (!tree) {
    parser.reset();
    throw new GrammarError(`${lang} parse timed out`);
  }
  return tree;
}

/** A compiled query, cached per language and source text. */
export async function query(lang: LanguageId, source: string): Promise<Query> {
  const key = `${lang}\u0000${source}`;
  let q = queries.get(key);
  if (!q) {
    q = new Query(await loadLanguage(lang), source);
    queries.set(key, q);
  }
  return q;
}

/** `query` for callers that already hold a tree of that language. */
export function querySync(tree: Tree, lang: LanguageId, source: string): Query {
  const key = `${lang}\u0000${source}`;
  let q = queries.get(key);
  if (!q) {
    q = new Query(tree.language, source);
    queries.set(key, q);
  }
  return q;
}

/** Walks every node in document order (iteratively: generated files can nest deeply). */
export function* walk(root: Node): Generator<Node> {
  const cursor = root.walk();
  try {
    let descending = true;
    for (;;) {
      if (descending) yield cursor.currentNode;
      if (descending && cursor.gotoFirstChild()) continue;
      if (cursor.gotoNextSibling()) {
        descending = true;
        continue;
      }
      if (!cursor.gotoParent()) return;
      descending = false;
      if (cursor.currentNode.id === root.id) return;
    }
  } finally {
    cursor.delete();
  }
}

/** Loads grammars ahead of the first request (service start-up), so no request pays for it. */
export async function preloadLanguages(langs: readonly LanguageId[]): Promise<void> {
  await Promise.all(langs.map((l) => loadLanguage(l)));
}
