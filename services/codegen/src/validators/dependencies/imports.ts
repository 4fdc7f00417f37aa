import type { LanguageId } from '../languages.js';
import {
  callArguments,
  descendants,
  field,
  jsStringValue,
  namedChildren,
} from '../security/ast.js';
import type { Node, Tree } from '../tree-sitter.js';
import { querySync } from '../tree-sitter.js';

export interface ImportRef {
  /** As written: `@scope/pkg/sub`, `./x.js`, `os.path`, `github.com/a/b/c`. */
  specifier: string;
  line: number;
  column: number;
  /** `import type …` / `export type … from` (satisfied by @types packages too). */
  typeOnly: boolean;
}

function ref(node: Node, specifier: string, typeOnly = false): ImportRef {
  return {
    specifier,
    line: node.startPosition.row + 1,
    column: node.startPosition.column + 1,
    typeOnly,
  };
}

function hasTypeKeyword(statement: Node): boolean {
  for (let i = 0; i < statement.childCount; i++) {
    const c = statement.child(i);
    if (c && !c.isNamed && c.type === 'type') return true;
    if (c?.type === 'import_clause' || c?.type === 'string') break;
  }
  return false;
}

/** import/export-from/require()/import()/import x = require() in JS and TS. */
export function jsImports(tree: Tree, lang: LanguageId): ImportRef[] {
  const out: ImportRef[] = [];
  const root = tree.rootNode;
  for (const statement of descendants(root, ['import_statement', 'export_statement'])) {
    let source = field(statement, 'source');
    if (!source) {
      const requireClause = namedChildren(statement).find(
        (c) => c.type === 'import_require_clause',
      );
      source = field(requireClause ?? null, 'source');
    }
    const spec = jsStringValue(source);
    if (spec !== undefined) out.push(ref(source!, spec, hasTypeKeyword(statement)));
  }
  const calls = querySync(
    tree,
    lang,
    '(call_expression function: [(identifier) (import)] @fn) @call',
  ).matches(root);
  for (const m of calls) {
    const call = m.captures.find((c) => c.name === 'call')?.node;
    const fn = m.captures.find((c) => c.name === 'fn')?.node;
    if (!call || !fn || (fn.type !== 'import' && fn.text !== 'require')) continue;
    const arg = callArguments(call)[0];
    const spec = jsStringValue(arg);
    if (spec !== undefined) out.push(ref(arg!, spec));
  }
  // require.resolve('x') also needs x installed
  for (const m of querySync(
    tree,
    lang,
    '(call_expression function: (member_expression object: (identifier) @obj property: (property_identifier) @prop)) @call',
  ).matches(root)) {
    const obj = m.captures.find((c) => c.name === 'obj')?.node;
    const prop = m.captures.find((c) => c.name === 'prop')?.node;
    const call = m.captures.find((c) => c.name === 'call')?.node;
    if (obj?.text !== 'require' || prop?.text !== 'resolve' || !call) continue;
    const arg = callArguments(call)[0];
    const spec = jsStringValue(arg);
    if (spec !== undefined) out.push(ref(arg!, spec));
  }
  return out;
}

/** Top-level module names of absolute imports (`import a.b` → `a`); relative imports are skipped. */
export function pyImports(tree: Tree): ImportRef[] {
  const out: ImportRef[] = [];
  const root = tree.rootNode;
  for (const statement of descendants(root, 'import_statement')) {
    for (const n of namedChildren(statement)) {
      const name =
        n.type === 'aliased_import' ? field(n, 'name') : n.type === 'dotted_name' ? n : null;
      if (name) out.push(ref(name, name.text));
    }
  }
  for (const statement of descendants(root, 'import_from_statement')) {
    const module = field(statement, 'module_name');
    if (!module || module.type === 'relative_import') continue;
    out.push(ref(module, module.text));
  }
  // `from __future__ import x` parses as its own node type
  return out;
}

export function goImports(tree: Tree): ImportRef[] {
  const out: ImportRef[] = [];
  for (const spec of descendants(tree.rootNode, 'import_spec')) {
    const p = field(spec, 'path');
    if (p) out.push(ref(p, p.text.replace(/^["`]|["`]$/g, '')));
  }
  return out;
}

const NPM_NAME = /^(?:@[a-z0-9-*][a-z0-9-*._~]*\/)?[a-z0-9][a-z0-9-._~]*$/;

/**
 * The npm package a specifier refers to (`@scope/pkg/sub` → `@scope/pkg`, `lodash/fp` → `lodash`),
 * or undefined for relative/absolute paths, URLs, subpath imports (`#x`) and aliases (`@/x`, `~/x`).
 */
export function npmPackageName(specifier: string): string | undefined {
  if (!specifier || /^[./]/.test(specifier) || specifier.startsWith('#')) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier)) return undefined; // node:, http:, data:, virtual: …
  const parts = specifier.split('/');
  const name = specifier.startsWith('@')
    ? parts.length >= 2
      ? `${parts[0]}/${parts[1]}`
      : undefined
    : parts[0];
  if (!name || name.length > 214 || !NPM_NAME.test(name)) return undefined;
  return name;
}

/** The @types package that types `name` (`@scope/pkg` → `@types/scope__pkg`). */
export function typesPackageFor(name: string): string {
  return name.startsWith('@') ? `@types/${name.slice(1).replace('/', '__')}` : `@types/${name}`;
}
