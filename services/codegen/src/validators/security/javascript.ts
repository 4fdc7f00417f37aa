import type { Node, Tree } from '../tree-sitter.js';
import { querySync } from '../tree-sitter.js';
import type { LanguageId } from '../languages.js';
import {
  JS_FUNCTION_TYPES,
  callArguments,
  descendants,
  enclosing,
  field,
  isInside,
  isPasswordName,
  isPlaceholder,
  isSecretName,
  isTokenName,
  jsDottedName,
  jsStringValue,
  namedChildren,
  operatorOf,
  words,
} from './ast.js';
import type { ProjectFacts, RawFinding, RuleContext } from './types.js';

/**
 * Security rules for JavaScript/TypeScript, on the tree-sitter syntax tree. Each rule finds its
 * sinks with a query, resolves what the callee really is through the file's imports
 * (`exec` from child_process, not RegExp#exec), and follows values through local declarations
 * in the enclosing function; none of it is regex over raw text.
 */

type JsLang = Extract<LanguageId, 'javascript' | 'typescript' | 'tsx'>;

interface Binding {
  module: string;
  /** 'default', '*' (namespace / whole require) or the imported name. */
  imported: string;
}

interface JsFile {
  tree: Tree;
  lang: JsLang;
  root: Node;
  bindings: Map<string, Binding>;
  calls: Node[];
  news: Node[];
}

const CALL_QUERY = '(call_expression) @call';
const NEW_QUERY = '(new_expression) @new';

function canonicalModule(m: string): string {
  const bare = m.replace(/^node:/, '');
  if (bare === 'fs/promises' || bare === 'fs-extra' || bare === 'graceful-fs') return 'fs';
  return bare;
}

function captureNodes(tree: Tree, lang: JsLang, source: string): Node[] {
  return querySync(tree, lang, source)
    .captures(tree.rootNode)
    .map((c) => c.node);
}

export function analyzeJs(tree: Tree, lang: JsLang): JsFile {
  const root = tree.rootNode;
  return {
    tree,
    lang,
    root,
    bindings: collectBindings(root),
    calls: captureNodes(tree, lang, CALL_QUERY),
    news: captureNodes(tree, lang, NEW_QUERY),
  };
}

function requireSource(node: Node | null): string | undefined {
  if (!node) return undefined;
  let n = node;
  if (n.type === 'await_expression' && n.namedChild(0)) n = n.namedChild(0)!;
  if (n.type !== 'call_expression') return undefined;
  const fn = field(n, 'function');
  if (!fn || (fn.text !== 'require' && fn.type !== 'import')) return undefined;
  return jsStringValue(callArguments(n)[0]);
}

function collectBindings(root: Node): Map<string, Binding> {
  const out = new Map<string, Binding>();
  for (const imp of descendants(root, 'import_statement')) {
    const source = jsStringValue(field(imp, 'source'));
    if (!source) continue;
    const module = canonicalModule(source);
    for (const clause of namedChildren(imp)) {
      if (clause.type === 'import_require_clause') {
        const id = namedChildren(clause).find((c) => c.type === 'identifier');
        if (id) out.set(id.text, { module, imported: '*' });
      }
      if (clause.type !== 'import_clause') continue;
      for (const part of namedChildren(clause)) {
        if (part.type === 'identifier') out.set(part.text, { module, imported: 'default' });
        else if (part.type === 'namespace_import') {
          const id = namedChildren(part).find((c) => c.type === 'identifier');
          if (id) out.set(id.text, { module, imported: '*' });
        } else if (part.type === 'named_imports') {
          for (const spec of descendants(part, 'import_specifier')) {
            const name = field(spec, 'name')?.text;
            const alias = field(spec, 'alias')?.text;
            if (name) out.set(alias ?? name, { module, imported: name });
          }
        }
      }
    }
  }
  for (const decl of descendants(root, 'variable_declarator')) {
    const source = requireSource(field(decl, 'value'));
    if (!source) continue;
    const module = canonicalModule(source);
    const name = field(decl, 'name');
    if (!name) continue;
    if (name.type === 'identifier') out.set(name.text, { module, imported: '*' });
    else if (name.type === 'object_pattern') {
      for (const p of namedChildren(name)) {
        if (p.type === 'shorthand_property_identifier_pattern')
          out.set(p.text, { module, imported: p.text });
        else if (p.type === 'pair_pattern') {
          const key = field(p, 'key')?.text;
          const value = field(p, 'value');
          if (key && value?.type === 'identifier') out.set(value.text, { module, imported: key });
        }
      }
    }
  }
  return out;
}

interface Callee {
  /** Canonical module the callee comes from, when known ('child_process', 'fs', 'vm', 'crypto' …). */
  module?: string;
  /** Function path inside the module (`exec`, `promises.readFile`) or the global dotted name. */
  name: string;
}

/** What a call really calls, through the file's imports. */
function resolveCallee(js: JsFile, fnNode: Node | null): Callee | undefined {
  if (!fnNode) return undefined;
  // require('child_process').exec(...)
  if (fnNode.type === 'member_expression') {
    const src = requireSource(field(fnNode, 'object'));
    const prop = field(fnNode, 'property')?.text;
    if (src && prop) return { module: canonicalModule(src), name: prop };
  }
  const dotted = jsDottedName(fnNode);
  if (!dotted) return undefined;
  const [head, ...rest] = dotted.split('.');
  const binding = js.bindings.get(head!);
  if (!binding) return { name: dotted };
  const inner =
    binding.imported === '*' || binding.imported === 'default' ? rest : [binding.imported, ...rest];
  let name = inner.join('.');
  if (binding.module === 'fs') name = name.replace(/^promises\./, '');
  return { module: binding.module, name };
}

// ---------------------------------------------------------------------------------------------
// Values: static strings, SQL-looking strings, request-derived data.

const SQL_TEXT =
  /\b(select\s[\s\S]*\bfrom|insert\s+into|update\s+\S+\s+set|delete\s+from|where\s|order\s+by|values\s*\(|drop\s+table|create\s+table|alter\s+table|truncate\s|join\s)/i;

function scopeOf(node: Node): Node {
  return enclosing(node, JS_FUNCTION_TYPES) ?? node.tree.rootNode;
}

/** The nearest declaration of `name` visible from `from` (searching outward). */
function declarationOf(name: string, from: Node): Node | undefined {
  for (
    let scope: Node | null = scopeOf(from);
    scope;
    scope = scope.parent ? scopeOf(scope) : null
  ) {
    const decls = descendants(scope, 'variable_declarator')
      .filter((d) => field(d, 'name')?.type === 'identifier' && field(d, 'name')?.text === name)
      .filter((d) => scopeOf(d).id === scope!.id);
    const before = decls.filter((d) => d.startIndex <= from.startIndex);
    const pick = before[before.length - 1] ?? decls[0];
    if (pick) return pick;
    if (scope.id === from.tree.rootNode.id) break;
  }
  return undefined;
}

function isStatic(expr: Node | null, depth = 0): boolean {
  if (!expr) return false;
  switch (expr.type) {
    case 'string':
    case 'number':
    case 'true':
    case 'false':
    case 'null':
      return true;
    case 'template_string':
      return jsStringValue(expr) !== undefined;
    case 'parenthesized_expression':
    case 'as_expression':
    case 'satisfies_expression':
      return isStatic(expr.namedChild(0), depth);
    case 'binary_expression':
      return isStatic(field(expr, 'left'), depth) && isStatic(field(expr, 'right'), depth);
    case 'identifier': {
      if (depth > 3) return false;
      const decl = declarationOf(expr.text, expr);
      const kind = decl?.parent?.child(0)?.type;
      return !!decl && kind === 'const' && isStatic(field(decl, 'value'), depth + 1);
    }
    default:
      return false;
  }
}

function staticText(expr: Node): string {
  if (expr.type === 'string') return expr.text.slice(1, -1);
  if (expr.type === 'template_string')
    return namedChildren(expr)
      .filter((c) => c.type === 'string_fragment')
      .map((c) => c.text)
      .join(' ');
  return '';
}

function plusLeaves(expr: Node): Node[] {
  if (expr.type === 'binary_expression' && operatorOf(expr) === '+')
    return [...plusLeaves(field(expr, 'left')!), ...plusLeaves(field(expr, 'right')!)];
  if (expr.type === 'parenthesized_expression' && expr.namedChild(0))
    return plusLeaves(expr.namedChild(0)!);
  return [expr];
}

interface DynamicSql {
  /** The non-constant parts spliced into the SQL text. */
  parts: Node[];
}

function dynamicSql(expr: Node | null | undefined, depth = 0): DynamicSql | undefined {
  if (!expr || depth > 3) return undefined;
  if (expr.type === 'template_string') {
    const subs = namedChildren(expr)
      .filter((c) => c.type === 'template_substitution')
      .map((s) => s.namedChild(0))
      .filter((e): e is Node => !!e && !isStatic(e));
    return subs.length && SQL_TEXT.test(staticText(expr)) ? { parts: subs } : undefined;
  }
  if (expr.type === 'binary_expression' && operatorOf(expr) === '+') {
    const leaves = plusLeaves(expr);
    const text = leaves.map(staticText).join(' ');
    const dynamic = leaves.filter((l) => !isStatic(l));
    const nested = leaves.map((l) => dynamicSql(l, depth + 1)).find(Boolean);
    if (nested) return nested;
    return dynamic.length && SQL_TEXT.test(text) ? { parts: dynamic } : undefined;
  }
  if (expr.type === 'identifier') {
    const decl = declarationOf(expr.text, expr);
    const found = dynamicSql(field(decl ?? null, 'value'), depth + 1);
    if (found) return found;
    // let q = 'SELECT …'; q += ` WHERE x = ${y}`
    const scope = scopeOf(expr);
    for (const a of descendants(scope, [
      'augmented_assignment_expression',
      'assignment_expression',
    ])) {
      if (field(a, 'left')?.text !== expr.text || a.startIndex > expr.startIndex) continue;
      const right = field(a, 'right');
      if (
        right &&
        !isStatic(right) &&
        (decl ? SQL_TEXT.test(field(decl, 'value')?.text ?? '') : true)
      ) {
        const inner = dynamicSql(right, depth + 1);
        if (inner) return inner;
        if (a.type === 'augmented_assignment_expression') return { parts: [right] };
      }
    }
  }
  if (expr.type === 'parenthesized_expression' || expr.type === 'as_expression')
    return dynamicSql(expr.namedChild(0), depth);
  return undefined;
}

const REQUEST_SOURCE =
  /^(req|request|ctx\.request|ctx|c\.req)\.(params|query|body|headers|cookies|files?|raw\.url|url)\b/;
const SANITIZERS =
  /(^|\.)(basename|parseInt|parseFloat|Number|Boolean|encodeURIComponent|escape|escapeId|format)$/;

function isRequestSource(node: Node): boolean {
  if (node.type !== 'member_expression' && node.type !== 'subscript_expression') return false;
  const text = node.text.replace(/\[\s*['"`](\w+)['"`]\s*\]/g, '.$1').replace(/\s+/g, '');
  return REQUEST_SOURCE.test(text);
}

/** Occurrences of request data (or variables derived from it) inside `expr`. */
function taintedOccurrences(expr: Node, tainted: ReadonlySet<string>): Node[] {
  const out: Node[] = [];
  const stack = [expr];
  while (stack.length) {
    const n = stack.pop()!;
    if (isRequestSource(n)) {
      out.push(n);
      continue;
    }
    if (n.type === 'identifier' && tainted.has(n.text)) {
      out.push(n);
      continue;
    }
    for (const c of namedChildren(n)) stack.push(c);
  }
  return out;
}

function isSanitizedOccurrence(occ: Node, within: Node): boolean {
  for (let p = occ.parent; p && isInside(p, within); p = p.parent) {
    if (p.type === 'call_expression' && SANITIZERS.test(jsDottedName(field(p, 'function')) ?? ''))
      return true;
  }
  return false;
}

function isTaintedExpr(expr: Node, tainted: ReadonlySet<string>): boolean {
  return taintedOccurrences(expr, tainted).some((o) => !isSanitizedOccurrence(o, expr));
}

function patternNames(pattern: Node): string[] {
  if (pattern.type === 'identifier') return [pattern.text];
  return descendants(pattern, ['identifier', 'shorthand_property_identifier_pattern'])
    .filter((n) => n.parent?.type !== 'pair_pattern' || field(n.parent, 'key')?.id !== n.id)
    .map((n) => n.text);
}

/** Variables of a function that hold request data (unsanitised), by simple forward propagation. */
function taintedNames(scope: Node): Set<string> {
  const tainted = new Set<string>();
  const decls = descendants(scope, ['variable_declarator', 'assignment_expression']);
  for (let round = 0; round < 3; round++) {
    const before = tainted.size;
    for (const d of decls) {
      const target = d.type === 'variable_declarator' ? field(d, 'name') : field(d, 'left');
      const value = d.type === 'variable_declarator' ? field(d, 'value') : field(d, 'right');
      if (!target || !value) continue;
      if (isTaintedExpr(value, tainted)) for (const n of patternNames(target)) tainted.add(n);
    }
    if (tainted.size === before) break;
  }
  return tainted;
}

// ---------------------------------------------------------------------------------------------
// Rules.

const SQL_METHODS = new Set([
  'query',
  'execute',
  'exec',
  'raw',
  'unsafe',
  'run',
  'all',
  'get',
  'prepare',
  'each',
  'queryRaw',
  '$queryRawUnsafe',
  '$executeRawUnsafe',
  'whereRaw',
  'orderByRaw',
  'havingRaw',
  'joinRaw',
  'selectRaw',
]);

function sqlInjection(js: JsFile): RawFinding[] {
  const out: RawFinding[] = [];
  for (const call of js.calls) {
    const fn = field(call, 'function');
    if (fn?.type !== 'member_expression') continue;
    const method = field(fn, 'property')?.text ?? '';
    if (!SQL_METHODS.has(method)) continue;
    const callee = resolveCallee(js, fn);
    if (callee?.module === 'child_process') continue;
    const arg = callArguments(call)[0];
    const dyn = dynamicSql(arg);
    if (!dyn) continue;
    const scope = scopeOf(call);
    const tainted = taintedNames(scope);
    const fromRequest = dyn.parts.some((p) => isTaintedExpr(p, tainted));
    out.push({
      rule: 'security/sql-injection',
      node: call,
      severity: fromRequest ? 'critical' : 'high',
      message: `SQL text built from ${fromRequest ? 'request data' : 'non-constant values'} (${dyn.parts
        .map((p) => p.text)
        .slice(0, 3)
        .join(', ')}) is passed to ${method}(); use placeholders and pass the values as parameters`,
    });
  }
  return out;
}

const SHELL_FUNCTIONS = new Set(['exec', 'execSync']);
const SPAWN_FUNCTIONS = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']);

function hasShellOption(args: Node[]): boolean {
  return args.some(
    (a) =>
      a.type === 'object' &&
      namedChildren(a).some(
        (p) =>
          p.type === 'pair' &&
          field(p, 'key')?.text === 'shell' &&
          field(p, 'value')?.type !== 'false',
      ),
  );
}

function commandInjection(js: JsFile): RawFinding[] {
  const out: RawFinding[] = [];
  for (const call of js.calls) {
    const callee = resolveCallee(js, field(call, 'function'));
    if (!callee) continue;
    const args = callArguments(call);
    const isChild = callee.module === 'child_process';
    const shelljs = callee.module === 'shelljs' && callee.name === 'exec';
    if ((isChild && SHELL_FUNCTIONS.has(callee.name)) || shelljs) {
      if (args[0] && !isStatic(args[0])) {
        out.push({
          rule: 'security/command-injection',
          node: call,
          message: `${callee.name}() runs its argument through a shell and the command is built from non-constant input (${args[0].text.slice(0, 60)}); use execFile/spawn with an argument array and no shell`,
        });
      }
    } else if (isChild && SPAWN_FUNCTIONS.has(callee.name) && hasShellOption(args)) {
      const dynamic = args.filter(
        (a) =>
          a.type !== 'object' &&
          !isStatic(a) &&
          !(a.type === 'array' && namedChildren(a).every((x) => isStatic(x))),
      );
      if (dynamic.length) {
        out.push({
          rule: 'security/command-injection',
          node: call,
          message: `${callee.name}() with shell: true and non-constant arguments lets input inject shell syntax; drop the shell option`,
        });
      }
    }
  }
  return out;
}

const VM_FUNCTIONS = new Set([
  'runInNewContext',
  'runInThisContext',
  'runInContext',
  'compileFunction',
  'Script',
]);

function codeEval(js: JsFile): RawFinding[] {
  const out: RawFinding[] = [];
  for (const call of js.calls) {
    const fn = field(call, 'function');
    const callee = resolveCallee(js, fn);
    if (!callee) continue;
    const args = callArguments(call);
    if (
      !callee.module &&
      (callee.name === 'eval' || callee.name === 'window.eval' || callee.name === 'globalThis.eval')
    ) {
      out.push({
        rule: 'security/code-eval',
        node: call,
        message:
          'eval() executes a string as code; parse data with JSON.parse or use a lookup table',
      });
    } else if (!callee.module && callee.name === 'Function') {
      out.push({
        rule: 'security/code-eval',
        node: call,
        message: 'Function() compiles a string into code at run time',
      });
    } else if (callee.module === 'vm' && VM_FUNCTIONS.has(callee.name)) {
      out.push({
        rule: 'security/code-eval',
        node: call,
        message: `vm.${callee.name}() runs code and is not a security sandbox`,
      });
    } else if (
      !callee.module &&
      /^(setTimeout|setInterval|window\.setTimeout|window\.setInterval)$/.test(callee.name) &&
      args[0]
    ) {
      const a = args[0];
      if (a.type === 'string' || a.type === 'template_string' || a.type === 'binary_expression') {
        out.push({
          rule: 'security/code-eval',
          node: call,
          message: `${callee.name}() with a string evaluates it as code; pass a function`,
        });
      }
    }
  }
  for (const n of js.news) {
    const callee = resolveCallee(js, field(n, 'constructor'));
    if (!callee) continue;
    if (!callee.module && callee.name === 'Function') {
      out.push({
        rule: 'security/code-eval',
        node: n,
        message: 'new Function() compiles a string into code at run time',
      });
    } else if (callee.module === 'vm' && callee.name === 'Script') {
      out.push({
        rule: 'security/code-eval',
        node: n,
        message: 'new vm.Script() compiles code and is not a security sandbox',
      });
    }
  }
  return out;
}

const FS_PATH_FUNCTIONS = new Set([
  'readFile',
  'readFileSync',
  'writeFile',
  'writeFileSync',
  'appendFile',
  'appendFileSync',
  'createReadStream',
  'createWriteStream',
  'unlink',
  'unlinkSync',
  'rm',
  'rmSync',
  'rmdir',
  'rmdirSync',
  'readdir',
  'readdirSync',
  'open',
  'openSync',
  'stat',
  'statSync',
  'lstat',
  'access',
  'accessSync',
  'copyFile',
  'copyFileSync',
  'rename',
  'renameSync',
  'mkdir',
  'mkdirSync',
  'existsSync',
  'readJson',
  'outputFile',
  'remove',
]);
const CONTAINMENT_CALL =
  /(^|\.)(isSafe\w*|isInside\w*|isWithin\w*|\w*[cC]ontain\w*|isSubPath|safeJoin|resolveSafe\w*|assertInside\w*)$/;

function hasContainmentCheck(scope: Node, tainted: ReadonlySet<string>): boolean {
  for (const call of descendants(scope, 'call_expression')) {
    const fn = field(call, 'function');
    if (
      fn?.type === 'member_expression' &&
      /^(startsWith|endsWith)$/.test(field(fn, 'property')?.text ?? '')
    ) {
      const obj = field(fn, 'object');
      if (obj && taintedOccurrences(obj, tainted).length) return true;
    }
    if (
      CONTAINMENT_CALL.test(jsDottedName(fn) ?? '') &&
      callArguments(call).some((a) => taintedOccurrences(a, tainted).length)
    )
      return true;
  }
  return false;
}

function pathTraversal(js: JsFile): RawFinding[] {
  const out: RawFinding[] = [];
  const scopes = new Map<number, { tainted: Set<string>; contained: boolean }>();
  for (const call of js.calls) {
    const fn = field(call, 'function');
    const callee = resolveCallee(js, fn);
    if (!callee) continue;
    const args = callArguments(call);
    let pathArgs: Node[] = [];
    if (callee.module === 'fs' && FS_PATH_FUNCTIONS.has(callee.name)) {
      pathArgs = /^(copyFile|rename)/.test(callee.name) ? args.slice(0, 2) : args.slice(0, 1);
    } else if (
      fn?.type === 'member_expression' &&
      /^(sendFile|download)$/.test(field(fn, 'property')?.text ?? '')
    ) {
      // res.sendFile(p, { root }) confines p to root; without it, p is an absolute path.
      const hasRoot = args.some(
        (a) =>
          a.type === 'object' && namedChildren(a).some((p) => field(p, 'key')?.text === 'root'),
      );
      const receiver = jsDottedName(field(fn, 'object')) ?? '';
      if (!hasRoot && /^(res|response|reply)$/.test(receiver)) pathArgs = args.slice(0, 1);
    }
    if (!pathArgs.length) continue;
    const scope = scopeOf(call);
    let info = scopes.get(scope.id);
    if (!info) {
      const tainted = taintedNames(scope);
      info = { tainted, contained: hasContainmentCheck(scope, tainted) };
      scopes.set(scope.id, info);
    }
    if (info.contained) continue;
    const bad = pathArgs.find((a) => isTaintedExpr(a, info!.tainted));
    if (bad) {
      out.push({
        rule: 'security/path-traversal',
        node: call,
        message: `file path built from request data (${bad.text.slice(0, 60)}) reaches ${callee.name}() with no containment check; resolve it and verify it stays inside the allowed directory (or use path.basename)`,
      });
    }
  }
  return out;
}

function secretAssignmentTarget(node: Node): { name: string; value: Node } | undefined {
  if (node.type === 'variable_declarator') {
    const name = field(node, 'name');
    const value = field(node, 'value');
    if (name?.type === 'identifier' && value) return { name: name.text, value };
  } else if (node.type === 'pair') {
    const key = field(node, 'key');
    const value = field(node, 'value');
    if (key && value) return { name: jsStringValue(key) ?? key.text, value };
  } else if (node.type === 'assignment_expression') {
    const left = field(node, 'left');
    const value = field(node, 'right');
    const name =
      left?.type === 'member_expression'
        ? field(left, 'property')?.text
        : left?.type === 'identifier'
          ? left.text
          : undefined;
    if (name && value) return { name, value };
  } else if (node.type === 'public_field_definition') {
    const name = field(node, 'name');
    const value = field(node, 'value');
    if (name && value) return { name: name.text, value };
  }
  return undefined;
}

function looksLikeSecretValue(value: string): boolean {
  if (value.length < 6 || /\s/.test(value) || isPlaceholder(value)) return false;
  if (/^[A-Z][A-Z0-9_]+$/.test(value)) return false; // an environment variable's name
  if (/^(\/|\.|https?:\/\/[^:@]*$)/.test(value)) return false; // a path or a plain URL
  if (/^(Bearer|Basic|x-[\w-]+|[\w-]+-token|authorization)$/i.test(value)) return false; // scheme or header name
  return true;
}

function hardcodedSecret(js: JsFile): RawFinding[] {
  const out: RawFinding[] = [];
  const nodes = descendants(js.root, [
    'variable_declarator',
    'pair',
    'assignment_expression',
    'public_field_definition',
  ]);
  for (const node of nodes) {
    const target = secretAssignmentTarget(node);
    if (!target || !isSecretName(target.name)) continue;
    let literal = target.value;
    let fallback = false;
    // process.env.JWT_SECRET || 'dev-secret'  /  ?? 'dev-secret'
    if (literal.type === 'binary_expression' && /^(\|\||\?\?)$/.test(operatorOf(literal) ?? '')) {
      const left = field(literal, 'left');
      const right = field(literal, 'right');
      if (left && right && /process\.env|import\.meta\.env|config\(|getenv/i.test(left.text)) {
        literal = right;
        fallback = true;
      }
    }
    const value = jsStringValue(literal);
    if (value === undefined || !looksLikeSecretValue(value)) continue;
    // UI labels and messages: { password: 'Password' }
    const letters = (x: string) => x.toLowerCase().replace(/[^a-z]/g, '');
    if (/^[A-Z]/.test(value) && letters(value) === letters(target.name)) continue;
    out.push({
      rule: 'security/hardcoded-secret',
      node: literal,
      message: fallback
        ? `${target.name} falls back to a hard-coded value when the environment variable is unset; fail at startup instead`
        : `${target.name} is a hard-coded secret; read it from the environment or a secret store`,
    });
  }
  return out;
}

const WEAK_HASHES = /^(md4|md5|sha1|sha-1|ripemd160|rmd160)$/i;
const WEAK_CIPHERS =
  /^(des|des-|des3|3des|rc2|rc4|bf|blowfish|cast|idea|seed)|-ecb$|^aes-\d+-ecb$/i;

function identifiersIn(node: Node): string[] {
  return descendants(node, [
    'identifier',
    'property_identifier',
    'shorthand_property_identifier',
    'shorthand_property_identifier_pattern',
  ]).map((n) => n.text);
}

function passwordContext(call: Node): boolean {
  // the hashed data (createHash('md5').update(password)) or the surrounding function's names
  for (
    let p: Node | null = call.parent;
    p && p.type !== 'expression_statement' && p.type !== 'statement_block';
    p = p.parent
  ) {
    if (
      p.type === 'call_expression' &&
      callArguments(p).some((a) => identifiersIn(a).some(isPasswordName))
    )
      return true;
    if (p.type === 'variable_declarator' && isPasswordName(field(p, 'name')?.text ?? ''))
      return true;
  }
  const fn = enclosing(call, JS_FUNCTION_TYPES);
  if (!fn) return false;
  const name =
    field(fn, 'name')?.text ??
    (fn.parent?.type === 'variable_declarator' ? field(fn.parent, 'name')?.text : undefined);
  if (name && isPasswordName(name)) return true;
  const params = field(fn, 'parameters');
  return !!params && identifiersIn(params).some(isPasswordName);
}

function weakCrypto(js: JsFile): RawFinding[] {
  const out: RawFinding[] = [];
  for (const call of js.calls) {
    const callee = resolveCallee(js, field(call, 'function'));
    if (callee?.module !== 'crypto') continue;
    const args = callArguments(call);
    const algo = jsStringValue(args[0]) ?? '';
    if ((callee.name === 'createHash' || callee.name === 'createHmac') && WEAK_HASHES.test(algo)) {
      if (callee.name === 'createHash' && passwordContext(call)) {
        out.push({
          rule: 'security/weak-password-hash',
          node: call,
          message: `${algo} is a fast, broken hash and must not store passwords; use bcrypt, scrypt or argon2 with a per-user salt`,
        });
      } else {
        out.push({
          rule: 'security/weak-hash',
          node: call,
          message: `${algo} is collision-prone; prefer sha256 or better`,
        });
      }
    } else if (callee.name === 'createCipher' || callee.name === 'createDecipher') {
      out.push({
        rule: 'security/weak-cipher',
        node: call,
        message: `crypto.${callee.name}() derives the key with MD5 and uses no IV (removed in Node 22); use createCipheriv with aes-256-gcm and a random IV`,
      });
    } else if (
      (callee.name === 'createCipheriv' || callee.name === 'createDecipheriv') &&
      WEAK_CIPHERS.test(algo)
    ) {
      out.push({
        rule: 'security/weak-cipher',
        node: call,
        message: `${algo} is a weak cipher or mode; use aes-256-gcm`,
      });
    }
  }
  return out;
}

/** The name a value is being given: variable, property, assignment target, or returning function. */
function destinationName(node: Node): string | undefined {
  for (let p: Node | null = node.parent; p; p = p.parent) {
    if (p.type === 'variable_declarator') return field(p, 'name')?.text;
    if (p.type === 'pair') return field(p, 'key')?.text;
    if (p.type === 'assignment_expression') {
      const left = field(p, 'left');
      return left?.type === 'member_expression' ? field(left, 'property')?.text : left?.text;
    }
    if (p.type === 'return_statement' || p.type === 'arrow_function') {
      const fn = p.type === 'arrow_function' ? p : enclosing(p, JS_FUNCTION_TYPES);
      if (!fn) return undefined;
      return (
        field(fn, 'name')?.text ??
        (fn.parent?.type === 'variable_declarator' ? field(fn.parent, 'name')?.text : undefined)
      );
    }
    if (p.type === 'statement_block' || p.type === 'expression_statement') return undefined;
  }
  return undefined;
}

function insecureRandom(js: JsFile): RawFinding[] {
  const out: RawFinding[] = [];
  for (const call of js.calls) {
    if (jsDottedName(field(call, 'function')) !== 'Math.random') continue;
    const name = destinationName(call);
    const fn = enclosing(call, JS_FUNCTION_TYPES);
    const fnName = fn
      ? (field(fn, 'name')?.text ??
        (fn.parent?.type === 'variable_declarator' ? field(fn.parent, 'name')?.text : undefined))
      : undefined;
    // A value with a name of its own is judged by that name; otherwise by the function it is in.
    const what = name
      ? isTokenName(name)
        ? name
        : undefined
      : fnName && isTokenName(fnName)
        ? fnName
        : undefined;
    if (!what) continue;
    out.push({
      rule: 'security/insecure-random',
      node: call,
      message: `Math.random() is predictable and feeds ${what}; use crypto.randomBytes / crypto.randomUUID`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Missing authorization on mutating routes.

const MUTATING = new Set(['post', 'put', 'patch', 'delete', 'del']);
const HTTP_CLIENTS =
  /^(axios|http|https|got|ky|fetch|request|superagent|supertest|client|httpClient|agent|api|\$http|this\.http|this\.client|ofetch|wretch)$/;
const SERVER_NAMES =
  /^(app|server|fastify|router|routes|instance|api|apiRouter|[a-z]+Router|this\.app|this\.server|this\.router)$/;
const SERVER_MODULES =
  /^(fastify|express|koa|@koa\/router|koa-router|hono|restify|polka|@fastify\/.+)$/;
const AUTH_VOCABULARY = new Set([
  'auth',
  'authn',
  'authz',
  'authenticate',
  'authenticated',
  'authentication',
  'authorize',
  'authorized',
  'authorization',
  'jwt',
  'verify',
  'guard',
  'session',
  'token',
  'protect',
  'protected',
  'permission',
  'permissions',
  'role',
  'roles',
  'admin',
  'login',
  'logged',
  'passport',
  'bearer',
  'apikey',
  'acl',
  'rbac',
  'clerk',
  'oauth',
]);

/** Does this code mention authentication, judged by whole identifier words (not "author")? */
function isAuthish(text: string): boolean {
  for (const id of text.match(/[A-Za-z_$][\w$]*/g) ?? []) {
    const w = words(id);
    if (w.some((x) => AUTH_VOCABULARY.has(x))) return true;
    if ((w.includes('require') || w.includes('ensure')) && w.includes('user')) return true;
    if (w.join('') === 'currentuser') return true;
  }
  return false;
}
const PUBLIC_PATHS =
  /(^|\/)(login|logout|signin|sign-in|signup|sign-up|register|auth|token|refresh|forgot[-_]?password|reset[-_]?password|password[-_]?reset|verify|verify-email|webhooks?|health|healthz|readyz|callback|oauth|public|contact|subscribe)(\/|$|:|\?)/i;
const HOOK_KEYS = new Set([
  'preHandler',
  'onRequest',
  'preValidation',
  'preParsing',
  'beforeHandler',
]);

export const AUTH_MODULES = new Set([
  '@fastify/jwt',
  'fastify-jwt',
  '@fastify/auth',
  '@fastify/bearer-auth',
  '@fastify/basic-auth',
  '@fastify/passport',
  '@fastify/session',
  '@fastify/secure-session',
  'jsonwebtoken',
  'jose',
  'passport',
  'passport-jwt',
  'express-jwt',
  'express-session',
  'express-openid-connect',
  '@clerk/fastify',
  '@clerk/express',
  'lucia',
  'better-auth',
]);

/** Whether this file shows the app authenticates (feeds ProjectFacts.hasAuth). */
export function jsAuthEvidence(tree: Tree, lang: JsLang): string | undefined {
  const js = analyzeJs(tree, lang);
  for (const b of js.bindings.values())
    if (AUTH_MODULES.has(b.module)) return `imports ${b.module}`;
  for (const call of js.calls) {
    const fn = field(call, 'function');
    if (fn?.type !== 'member_expression' || field(fn, 'property')?.text !== 'decorate') continue;
    const name = jsStringValue(callArguments(call)[0]);
    if (name && isAuthish(name)) return `decorates ${name}`;
  }
  for (const pair of descendants(js.root, 'pair')) {
    const key = field(pair, 'key')?.text ?? '';
    if (HOOK_KEYS.has(key) && isAuthish(field(pair, 'value')?.text ?? ''))
      return `uses ${key}: ${field(pair, 'value')!.text.slice(0, 40)}`;
  }
  return undefined;
}

function isFunctionLike(n: Node | undefined): boolean {
  return (
    !!n &&
    (JS_FUNCTION_TYPES.has(n.type) ||
      n.type === 'identifier' ||
      n.type === 'member_expression' ||
      n.type === 'call_expression')
  );
}

function hooksProtect(obj: Node): boolean {
  return namedChildren(obj).some((p) => {
    if (p.type !== 'pair') return false;
    const key = jsStringValue(field(p, 'key')) ?? field(p, 'key')?.text ?? '';
    return HOOK_KEYS.has(key) && isAuthish(field(p, 'value')?.text ?? '');
  });
}

/** Is this call an auth hook: addHook('onRequest', app.authenticate), use(requireAuth), all('*', auth)? */
function isAuthHookCall(call: Node): boolean {
  const fn = field(call, 'function');
  if (fn?.type !== 'member_expression') return false;
  const method = field(fn, 'property')?.text;
  if (method !== 'addHook' && method !== 'use' && method !== 'all') return false;
  const args = callArguments(call);
  if (method === 'addHook' && !HOOK_KEYS.has(jsStringValue(args[0]) ?? '')) return false;
  // app.use('/orders', auth, router) guards that path only; app.use(auth) guards what follows.
  const path = method === 'addHook' ? undefined : jsStringValue(args[0]);
  if (path !== undefined && path !== '/' && path !== '*') return false;
  const handlers = method === 'addHook' ? args.slice(1) : args.filter((a) => a.type !== 'string');
  return handlers.some((h) => isAuthish(h.text));
}

function functionName(fn: Node): string | undefined {
  return (
    field(fn, 'name')?.text ??
    (fn.parent?.type === 'variable_declarator' ? field(fn.parent, 'name')?.text : undefined)
  );
}

/**
 * Plugins/routers mounted behind auth elsewhere: `scope.addHook('onRequest', auth);
 * scope.register(bookRoutes)` or `app.use('/orders', requireAuth, ordersRouter)`. Returns the
 * import specifiers and local names of what is mounted, so routes in those files count as
 * protected (Fastify encapsulation / Express middleware order, approximated per scope).
 */
export function jsProtectedMounts(
  tree: Tree,
  lang: JsLang,
): { specifiers: string[]; names: string[] } {
  const js = analyzeJs(tree, lang);
  const authScopes = new Set<number>();
  for (const call of js.calls) if (isAuthHookCall(call)) authScopes.add(scopeOf(call).id);
  const specifiers: string[] = [];
  const names: string[] = [];
  for (const call of js.calls) {
    const fn = field(call, 'function');
    if (fn?.type !== 'member_expression') continue;
    const method = field(fn, 'property')?.text;
    if (method !== 'register' && method !== 'use') continue;
    const args = callArguments(call);
    const guarded =
      authScopes.has(scopeOf(call).id) ||
      (method === 'use' && args.some((a) => a.type !== 'string' && isAuthish(a.text)));
    if (!guarded) continue;
    const mounted =
      method === 'register' ? args.slice(0, 1) : args.filter((a) => a.type !== 'string');
    for (const a of mounted) {
      const dynamic = requireSource(a);
      if (dynamic) specifiers.push(dynamic);
      const name = jsDottedName(a)?.split('.')[0];
      if (!name || isAuthish(a.text)) continue;
      names.push(name);
      const binding = js.bindings.get(name);
      if (binding && binding.module.startsWith('.')) specifiers.push(binding.module);
    }
  }
  return { specifiers, names };
}

/** addHook('onRequest', app.authenticate) / router.use(requireAuth) in the same plugin scope or at top level. */
function scopeProtected(js: JsFile, route: Node): boolean {
  const routeScopes = new Set<number>();
  for (let s: Node | null = route; s; s = enclosing(s, JS_FUNCTION_TYPES))
    routeScopes.add(scopeOf(s).id);
  routeScopes.add(js.root.id);
  return js.calls.some((call) => routeScopes.has(scopeOf(call).id) && isAuthHookCall(call));
}

function mountedBehindAuth(route: Node, project: ProjectFacts, file: string): boolean {
  if (project.protectedFiles?.has(file)) return true;
  for (let fn = enclosing(route, JS_FUNCTION_TYPES); fn; fn = enclosing(fn, JS_FUNCTION_TYPES)) {
    const name = functionName(fn);
    if (name && project.protectedNames?.has(name)) return true;
  }
  return false;
}

interface Route {
  node: Node;
  method: string;
  path: string;
  protectedHere: boolean;
}

function findRoutes(js: JsFile): Route[] {
  const serverFile = [...js.bindings.values()].some((b) => SERVER_MODULES.test(b.module));
  const routes: Route[] = [];
  for (const call of js.calls) {
    const fn = field(call, 'function');
    if (fn?.type !== 'member_expression') continue;
    const receiverNode = field(fn, 'object');
    const receiver = jsDottedName(receiverNode) ?? '';
    if (!receiverNode || receiverNode.type === 'call_expression' || HTTP_CLIENTS.test(receiver))
      continue;
    const method = field(fn, 'property')?.text ?? '';
    const args = callArguments(call);
    if (MUTATING.has(method)) {
      const path =
        jsStringValue(args[0]) ??
        (args[0]?.type === 'template_string' ? args[0].text.slice(1, -1) : undefined);
      if (path === undefined || !path.startsWith('/')) continue;
      const handler = args[args.length - 1];
      if (args.length < 2 || !isFunctionLike(handler)) continue;
      if (!serverFile && !SERVER_NAMES.test(receiver)) continue;
      if (
        !JS_FUNCTION_TYPES.has(handler!.type) &&
        !serverFile &&
        args.length === 2 &&
        handler!.type === 'identifier' &&
        !SERVER_NAMES.test(receiver)
      )
        continue;
      const middle = args.slice(1, -1);
      const protectedHere = middle.some((m) =>
        m.type === 'object' ? hooksProtect(m) : isAuthish(m.text),
      );
      routes.push({ node: call, method: method.toUpperCase(), path, protectedHere });
    } else if (
      method === 'route' &&
      args[0]?.type === 'object' &&
      (serverFile || SERVER_NAMES.test(receiver))
    ) {
      const obj = args[0];
      const prop = (k: string) =>
        namedChildren(obj).find((p) => p.type === 'pair' && field(p, 'key')?.text === k);
      const methodNode = field(prop('method') ?? null, 'value');
      const methods = methodNode
        ? [methodNode, ...namedChildren(methodNode)]
            .map((m) => jsStringValue(m)?.toLowerCase())
            .filter(Boolean)
        : [];
      const mutating = methods.find((m) => MUTATING.has(m!));
      const path = jsStringValue(field(prop('url') ?? prop('path') ?? null, 'value')) ?? '';
      if (!mutating) continue;
      routes.push({
        node: call,
        method: mutating.toUpperCase(),
        path,
        protectedHere: hooksProtect(obj),
      });
    }
  }
  return routes;
}

function missingAuthz(js: JsFile, project: ProjectFacts, file: string): RawFinding[] {
  if (!project.hasAuth) return [];
  const out: RawFinding[] = [];
  for (const r of findRoutes(js)) {
    if (r.protectedHere || PUBLIC_PATHS.test(r.path)) continue;
    if (scopeProtected(js, r.node) || mountedBehindAuth(r.node, project, file)) continue;
    out.push({
      rule: 'security/missing-authz',
      node: r.node,
      message: `${r.method} ${r.path} changes data but has no authentication/authorization hook, while the app has auth (${project.authEvidence ?? 'auth in use'}); add a preHandler/middleware such as app.authenticate`,
    });
  }
  return out;
}

export function runJsRules(ctx: RuleContext): RawFinding[] {
  const js = analyzeJs(ctx.tree, ctx.lang as JsLang);
  const findings = [
    ...sqlInjection(js),
    ...commandInjection(js),
    ...codeEval(js),
    ...pathTraversal(js),
    ...weakCrypto(js),
  ];
  if (!ctx.isTest)
    findings.push(
      ...hardcodedSecret(js),
      ...insecureRandom(js),
      ...missingAuthz(js, ctx.project, ctx.file.path),
    );
  return findings;
}
