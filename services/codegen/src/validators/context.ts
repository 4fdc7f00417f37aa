import type { SourceFile } from './files.js';
import { isProbablyBinary, normalizePath } from './files.js';
import type { LanguageId } from './languages.js';
import { detectLanguage, isJsonc } from './languages.js';
import type { Tree } from './tree-sitter.js';
import { parse } from './tree-sitter.js';

export interface ParsedFile {
  file: SourceFile;
  lang: LanguageId;
  tree: Tree;
}

export type ParseOutcome =
  | { ok: true; parsed: ParsedFile }
  | { ok: false; file: SourceFile; lang: LanguageId; error: string };

/** Files above this size are not parsed (generated sources are small; this is a guard). */
export const DEFAULT_MAX_PARSE_BYTES = 2 * 1024 * 1024;

/**
 * Parses each file at most once per validation run, so the syntax, security and dependency
 * checks share trees. Trees live in WASM memory: `dispose()` must be called at the end.
 */
export class SyntaxTrees {
  private readonly outcomes = new Map<string, Promise<ParseOutcome | undefined>>();
  private disposed = false;

  constructor(private readonly maxBytes = DEFAULT_MAX_PARSE_BYTES) {}

  get(file: SourceFile): Promise<ParseOutcome | undefined> {
    if (this.disposed) throw new Error('SyntaxTrees used after dispose()');
    const key = normalizePath(file.path);
    let outcome = this.outcomes.get(key);
    if (!outcome) {
      outcome = this.parseFile(file);
      this.outcomes.set(key, outcome);
    }
    return outcome;
  }

  private async parseFile(file: SourceFile): Promise<ParseOutcome | undefined> {
    const lang = detectLanguage(normalizePath(file.path));
    if (!lang || isProbablyBinary(file.content) || file.content.length > this.maxBytes)
      return undefined;
    const source =
      lang === 'json' && isJsonc(file.path) ? blankTrailingCommas(file.content) : file.content;
    try {
      return { ok: true, parsed: { file, lang, tree: await parse(lang, source) } };
    } catch (err) {
      return { ok: false, file, lang, error: err instanceof Error ? err.message : String(err) };
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    for (const outcome of this.outcomes.values()) {
      const o = await outcome.catch(() => undefined);
      if (o?.ok) o.parsed.tree.delete();
    }
    this.outcomes.clear();
  }
}

/**
 * tsconfig-style JSON allows trailing commas, which the JSON grammar rejects. Replacing each
 * such comma by a space keeps every offset, so reported positions stay right.
 */
export function blankTrailingCommas(text: string): string {
  const out = text.split('');
  let pendingComma = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      pendingComma = -1;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === ',') {
      pendingComma = i;
    } else if (c === '}' || c === ']') {
      if (pendingComma >= 0) out[pendingComma] = ' ';
      pendingComma = -1;
    } else if (!/\s/.test(c)) {
      pendingComma = -1;
    }
  }
  return out.join('');
}
