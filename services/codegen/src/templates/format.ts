// Formatting of rendered files with Prettier's standalone build and bundled plugins: no config
// file is read and no plugin is resolved from disk, so the same input formats the same way on
// every machine (output depends only on the Prettier version pinned in package.json).
import type { Options, Plugin } from 'prettier';
import * as prettier from 'prettier/standalone';
import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import * as markdown from 'prettier/plugins/markdown';
import * as typescript from 'prettier/plugins/typescript';
import * as yaml from 'prettier/plugins/yaml';

const PLUGINS = [babel, estree, markdown, typescript, yaml] as unknown as Plugin[];

export const FORMAT_OPTIONS: Options = {
  singleQuote: true,
  printWidth: 100,
  trailingComma: 'all',
  proseWrap: 'preserve',
  endOfLine: 'lf',
};

/** Lock files are written by their package manager and kept byte for byte. */
const UNFORMATTED = /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock)$/;

function parserFor(path: string): string | undefined {
  if (UNFORMATTED.test(path)) return undefined;
  if (/(^|\/)package\.json$/.test(path)) return 'json-stringify';
  if (/\.(ts|mts|cts)$/.test(path)) return 'typescript';
  if (/\.(js|mjs|cjs)$/.test(path)) return 'babel';
  if (/\.json$/.test(path)) return 'json';
  if (/\.md$/.test(path)) return 'markdown';
  if (/\.ya?ml$/.test(path)) return 'yaml';
  return undefined;
}

export function isFormatted(path: string): boolean {
  return parserFor(path) !== undefined;
}

export class FormatError extends Error {
  override readonly name = 'FormatError';
}

/**
 * Formats `content` as the language of `path` (TS, JS, JSON, Markdown, YAML); other files are
 * returned with trailing whitespace removed and exactly one final newline. A syntax error in a
 * rendered file is a template bug, reported with the file's path.
 */
export async function formatFile(path: string, content: string): Promise<string> {
  const parser = parserFor(path);
  if (parser === undefined) {
    if (UNFORMATTED.test(path)) return content;
    return `${content
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd()}\n`;
  }
  try {
    // Prettier is not always idempotent in one pass (broken member chains, for one): format to
    // a fixed point so that formatting a rendered file again changes nothing.
    let text = content;
    for (let pass = 0; pass < 3; pass++) {
      const next = await prettier.format(text, { ...FORMAT_OPTIONS, parser, plugins: PLUGINS });
      if (next === text) break;
      text = next;
    }
    return text;
  } catch (err) {
    throw new FormatError(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
