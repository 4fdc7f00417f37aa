import { basename } from './files.js';

/**
 * Languages the syntax check parses, each backed by a grammar from `tree-sitter-wasms`.
 * Left out on purpose: lua (the 0.1.13 build mis-parses valid code), elm and ql (ABI too old
 * for web-tree-sitter 0.25), vue/embedded_template (they only parse the template shell).
 */
export const LANGUAGES = [
  'bash',
  'c',
  'c_sharp',
  'cpp',
  'css',
  'dart',
  'elisp',
  'elixir',
  'go',
  'html',
  'java',
  'javascript',
  'json',
  'kotlin',
  'objc',
  'ocaml',
  'php',
  'python',
  'ruby',
  'rust',
  'scala',
  'solidity',
  'swift',
  'toml',
  'tsx',
  'typescript',
  'yaml',
  'zig',
] as const;
export type LanguageId = (typeof LANGUAGES)[number];

const BY_EXTENSION: Record<string, LanguageId> = {
  sh: 'bash',
  bash: 'bash',
  zsh: 'bash',
  c: 'c',
  h: 'c',
  cs: 'c_sharp',
  cc: 'cpp',
  cpp: 'cpp',
  cxx: 'cpp',
  hh: 'cpp',
  hpp: 'cpp',
  hxx: 'cpp',
  css: 'css',
  dart: 'dart',
  el: 'elisp',
  ex: 'elixir',
  exs: 'elixir',
  go: 'go',
  html: 'html',
  htm: 'html',
  java: 'java',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  json: 'json',
  jsonc: 'json',
  kt: 'kotlin',
  kts: 'kotlin',
  m: 'objc',
  ml: 'ocaml',
  php: 'php',
  py: 'python',
  pyi: 'python',
  rb: 'ruby',
  rake: 'ruby',
  gemspec: 'ruby',
  rs: 'rust',
  scala: 'scala',
  sc: 'scala',
  sol: 'solidity',
  swift: 'swift',
  toml: 'toml',
  tsx: 'tsx',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  yaml: 'yaml',
  yml: 'yaml',
  zig: 'zig',
};

const BY_NAME: Record<string, LanguageId> = {
  Gemfile: 'ruby',
  Rakefile: 'ruby',
  Podfile: 'ruby',
  Vagrantfile: 'ruby',
  '.bashrc': 'bash',
  '.profile': 'bash',
  Pipfile: 'toml',
};

export function detectLanguage(path: string): LanguageId | undefined {
  const name = basename(path);
  const byName = BY_NAME[name];
  if (byName) return byName;
  const dot = name.lastIndexOf('.');
  if (dot <= 0 && !name.startsWith('.')) return undefined;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()];
}

/** The JS family, whose files the security rules and the import extractor understand. */
export function isJsLike(
  lang: LanguageId | undefined,
): lang is 'javascript' | 'typescript' | 'tsx' {
  return lang === 'javascript' || lang === 'typescript' || lang === 'tsx';
}

/** JSON files whose consumers accept comments and trailing commas (tsconfig & co). */
export function isJsonc(path: string): boolean {
  const name = basename(path);
  return (
    name.endsWith('.jsonc') ||
    /^(tsconfig|jsconfig)(\..+)?\.json$/.test(name) ||
    /(^|\/)\.vscode\/[^/]+\.json$/.test(path) ||
    name === '.eslintrc.json' ||
    name === 'devcontainer.json'
  );
}
