import type { Node, Tree } from '../tree-sitter.js';
import { querySync } from '../tree-sitter.js';
import {
  PY_FUNCTION_TYPES,
  callArguments,
  descendants,
  enclosing,
  field,
  isPasswordName,
  isPlaceholder,
  isSecretName,
  isTokenName,
  namedChildren,
  operatorOf,
  pyDottedName,
  pyStringValue,
} from './ast.js';
import type { RawFinding, RuleContext } from './types.js';

/** The cheap half of the rule set for Python: same rule ids, same tree-based approach. */

interface PyFile {
  root: Node;
  /** local name → dotted module path (`sp` → `subprocess`, `md5` → `hashlib.md5`). */
  bindings: Map<string, string>;
  calls: Node[];
}

function collectBindings(root: Node): Map<string, string> {
  const out = new Map<string, string>();
  for (const imp of descendants(root, 'import_statement')) {
    for (const n of namedChildren(imp)) {
      if (n.type === 'dotted_name') out.set(n.text.split('.')[0]!, n.text.split('.')[0]!);
      else if (n.type === 'aliased_import') {
        const name = field(n, 'name')?.text;
        const alias = field(n, 'alias')?.text;
        if (name && alias) out.set(alias, name);
      }
    }
  }
  for (const imp of descendants(root, 'import_from_statement')) {
    const module = field(imp, 'module_name')?.text;
    if (!module) continue;
    for (const n of namedChildren(imp)) {
      if (n.id === field(imp, 'module_name')?.id) continue;
      if (n.type === 'dotted_name') out.set(n.text, `${module}.${n.text}`);
      else if (n.type === 'aliased_import') {
        const name = field(n, 'name')?.text;
        const alias = field(n, 'alias')?.text;
        if (name && alias) out.set(alias, `${module}.${name}`);
      }
    }
  }
  return out;
}

/** Fully qualified callee (`subprocess.run`), or the dotted text for builtins and locals. */
function qualified(py: PyFile, fn: Node | null): string | undefined {
  const dotted = pyDottedName(fn);
  if (!dotted) return undefined;
  const [head, ...rest] = dotted.split('.');
  const bound = py.bindings.get(head!);
  return bound ? [bound, ...rest].join('.') : dotted;
}

function isLiteral(n: Node | undefined | null): boolean {
  if (!n) return false;
  if (pyStringValue(n) !== undefined) return true;
  if (['integer', 'float', 'true', 'false', 'none'].includes(n.type)) return true;
  if (n.type === 'list' || n.type === 'tuple') return namedChildren(n).every(isLiteral);
  return false;
}

function keyword(call: Node, name: string): Node | undefined {
  const arg = callArguments(call).find(
    (a) => a.type === 'keyword_argument' && field(a, 'name')?.text === name,
  );
  return arg ? (field(arg, 'value') ?? undefined) : undefined;
}

function positional(call: Node): Node[] {
  return callArguments(call).filter(
    (a) =>
      a.type !== 'keyword_argument' && a.type !== 'list_splat' && a.type !== 'dictionary_splat',
  );
}

const SQL_TEXT =
  /\b(select\s[\s\S]*\bfrom|insert\s+into|update\s+\S+\s+set|delete\s+from|where\s|order\s+by|values\s*\(|drop\s+table|create\s+table)/i;

function stringText(n: Node): string {
  return n.type === 'string' || n.type === 'concatenated_string' ? n.text : '';
}

function dynamicSql(n: Node | undefined | null, scope: Node, depth = 0): boolean {
  if (!n || depth > 3) return false;
  if (n.type === 'string' && pyStringValue(n) === undefined) return SQL_TEXT.test(n.text); // f-string
  if (n.type === 'binary_operator') {
    const op = operatorOf(n);
    const left = field(n, 'left');
    const right = field(n, 'right');
    if (op === '%' && left && SQL_TEXT.test(stringText(left))) return true;
    if (op === '+') {
      const leaves = [left, right].filter((x): x is Node => !!x);
      return (
        leaves.some((l) => dynamicSql(l, scope, depth + 1)) ||
        (leaves.some((l) => SQL_TEXT.test(stringText(l))) && leaves.some((l) => !isLiteral(l)))
      );
    }
  }
  if (n.type === 'call') {
    const fn = field(n, 'function');
    // "SELECT … {}".format(x)
    if (
      fn?.type === 'attribute' &&
      field(fn, 'attribute')?.text === 'format' &&
      SQL_TEXT.test(stringText(field(fn, 'object')!))
    )
      return true;
    // sqlalchemy text(f"…")
    if (/(^|\.)text$/.test(pyDottedName(fn) ?? ''))
      return dynamicSql(positional(n)[0], scope, depth + 1);
  }
  if (n.type === 'identifier') {
    for (const a of descendants(scope, ['assignment', 'augmented_assignment'])) {
      if (field(a, 'left')?.text !== n.text || a.startIndex > n.startIndex) continue;
      const right = field(a, 'right');
      if (dynamicSql(right, scope, depth + 1)) return true;
      if (a.type === 'augmented_assignment' && right && !isLiteral(right)) return true;
    }
  }
  return false;
}

const SQL_METHODS = new Set([
  'execute',
  'executemany',
  'executescript',
  'exec_driver_sql',
  'raw',
  'mogrify',
]);

function sqlInjection(py: PyFile): RawFinding[] {
  const out: RawFinding[] = [];
  for (const call of py.calls) {
    const fn = field(call, 'function');
    if (fn?.type !== 'attribute' || !SQL_METHODS.has(field(fn, 'attribute')?.text ?? '')) continue;
    const scope = enclosing(call, PY_FUNCTION_TYPES) ?? py.root;
    if (!dynamicSql(positional(call)[0], scope)) continue;
    out.push({
      rule: 'security/sql-injection',
      node: call,
      message:
        'SQL text is built with an f-string, concatenation or formatting; pass values as query parameters (%s / :name placeholders)',
    });
  }
  return out;
}

const SUBPROCESS = /^subprocess\.(run|call|Popen|check_output|check_call)$/;

function commandInjection(py: PyFile): RawFinding[] {
  const out: RawFinding[] = [];
  for (const call of py.calls) {
    const name = qualified(py, field(call, 'function'));
    if (!name) continue;
    const first = positional(call)[0] ?? keyword(call, 'args');
    if (SUBPROCESS.test(name)) {
      const shell = keyword(call, 'shell');
      if (shell && shell.type !== 'false' && first && !isLiteral(first)) {
        out.push({
          rule: 'security/command-injection',
          node: call,
          message: `${name}(…, shell=True) with a non-constant command lets input inject shell syntax; pass an argument list without shell=True`,
        });
      }
    } else if (
      /^(os\.system|os\.popen|subprocess\.getoutput|subprocess\.getstatusoutput|commands\.getoutput)$/.test(
        name,
      )
    ) {
      if (first && !isLiteral(first)) {
        out.push({
          rule: 'security/command-injection',
          node: call,
          message: `${name}() runs a shell command built from non-constant input; use subprocess.run([...]) without a shell`,
        });
      }
    }
  }
  return out;
}

function codeEval(py: PyFile): RawFinding[] {
  const out: RawFinding[] = [];
  for (const call of py.calls) {
    const fn = field(call, 'function');
    if (fn?.type !== 'identifier' || !/^(eval|exec)$/.test(fn.text) || py.bindings.has(fn.text))
      continue;
    const first = positional(call)[0];
    if (first && isLiteral(first)) continue;
    out.push({
      rule: 'security/code-eval',
      node: call,
      message: `${fn.text}() runs a string as Python code; use ast.literal_eval / json.loads or explicit dispatch`,
    });
  }
  return out;
}

function looksLikeSecretValue(value: string): boolean {
  return (
    value.length >= 6 &&
    !/\s/.test(value) &&
    !isPlaceholder(value) &&
    !/^[A-Z][A-Z0-9_]+$/.test(value) &&
    !/^(\/|\.|https?:\/\/[^:@]*$)/.test(value)
  );
}

function hardcodedSecret(py: PyFile): RawFinding[] {
  const out: RawFinding[] = [];
  const report = (node: Node, name: string, fallback: boolean) =>
    out.push({
      rule: 'security/hardcoded-secret',
      node,
      message: fallback
        ? `${name} falls back to a hard-coded value when the environment variable is unset; fail at startup instead`
        : `${name} is a hard-coded secret; read it from the environment or a secret store`,
    });
  for (const n of descendants(py.root, ['assignment', 'keyword_argument', 'pair'])) {
    let nameNode: Node | null;
    let value: Node | null;
    if (n.type === 'assignment') {
      nameNode = field(n, 'left');
      value = field(n, 'right');
      if (nameNode?.type === 'attribute') nameNode = field(nameNode, 'attribute');
    } else if (n.type === 'keyword_argument') {
      nameNode = field(n, 'name');
      value = field(n, 'value');
    } else {
      nameNode = field(n, 'key');
      value = field(n, 'value');
    }
    if (!nameNode || !value) continue;
    const name = pyStringValue(nameNode) ?? nameNode.text;
    if (!isSecretName(name)) continue;
    const literal = pyStringValue(value);
    if (literal !== undefined && looksLikeSecretValue(literal)) report(value, name, false);
  }
  for (const call of py.calls) {
    const name = qualified(py, field(call, 'function'));
    if (!name || !/^(os\.getenv|os\.environ\.get|environ\.get|getenv)$/.test(name)) continue;
    const [key, fallback] = positional(call);
    const envName = pyStringValue(key);
    const def = fallback ?? keyword(call, 'default');
    const value = pyStringValue(def);
    if (envName && isSecretName(envName) && value !== undefined && looksLikeSecretValue(value))
      report(def!, envName, true);
  }
  return out;
}

const WEAK_HASHES = /^(md4|md5|sha1|sha-1|ripemd160)$/i;

function passwordContext(call: Node): boolean {
  const ids = (n: Node) => descendants(n, ['identifier']).map((x) => x.text);
  if (callArguments(call).some((a) => ids(a).some(isPasswordName))) return true;
  const fn = enclosing(call, PY_FUNCTION_TYPES);
  if (!fn) return false;
  if (isPasswordName(field(fn, 'name')?.text ?? '')) return true;
  const params = field(fn, 'parameters');
  return !!params && ids(params).some(isPasswordName);
}

function weakCrypto(py: PyFile): RawFinding[] {
  const out: RawFinding[] = [];
  for (const call of py.calls) {
    const name = qualified(py, field(call, 'function')) ?? '';
    let algo: string | undefined;
    const m = /^hashlib\.(md5|sha1|md4)$/.exec(name);
    if (m) algo = m[1];
    else if (name === 'hashlib.new') algo = pyStringValue(positional(call)[0]);
    if (algo && WEAK_HASHES.test(algo)) {
      if (passwordContext(call)) {
        out.push({
          rule: 'security/weak-password-hash',
          node: call,
          message: `${algo} must not store passwords; use bcrypt, argon2 (passlib/argon2-cffi) or hashlib.scrypt with a salt`,
        });
      } else {
        out.push({
          rule: 'security/weak-hash',
          node: call,
          message: `${algo} is collision-prone; prefer sha256 or better`,
        });
      }
      continue;
    }
    if (/^(Crypto|Cryptodome)\.Cipher\.(DES|DES3|ARC4|ARC2|Blowfish|CAST)\.new$/.test(name)) {
      out.push({
        rule: 'security/weak-cipher',
        node: call,
        message: `${name} is a weak cipher; use AES in GCM mode`,
      });
    } else if (
      /^(Crypto|Cryptodome)\.Cipher\.AES\.new$/.test(name) &&
      callArguments(call).some((a) => /MODE_ECB$/.test(a.text))
    ) {
      out.push({
        rule: 'security/weak-cipher',
        node: call,
        message: 'AES in ECB mode leaks patterns; use GCM',
      });
    }
  }
  return out;
}

function destinationName(node: Node): string | undefined {
  for (let p: Node | null = node.parent; p; p = p.parent) {
    if (p.type === 'assignment') {
      const left = field(p, 'left');
      return left?.type === 'attribute' ? field(left, 'attribute')?.text : left?.text;
    }
    if (p.type === 'keyword_argument') return field(p, 'name')?.text;
    if (p.type === 'pair') return pyStringValue(field(p, 'key')) ?? field(p, 'key')?.text;
    if (p.type === 'return_statement') return field(enclosing(p, PY_FUNCTION_TYPES), 'name')?.text;
    if (p.type === 'block' || p.type === 'expression_statement') return undefined;
  }
  return undefined;
}

function insecureRandom(py: PyFile): RawFinding[] {
  const out: RawFinding[] = [];
  for (const call of py.calls) {
    const name = qualified(py, field(call, 'function')) ?? '';
    if (
      !/^random\.(random|randint|randrange|choice|choices|sample|getrandbits|uniform|shuffle)$/.test(
        name,
      )
    )
      continue;
    const dest = destinationName(call);
    const fnName = field(enclosing(call, PY_FUNCTION_TYPES), 'name')?.text;
    const what = dest
      ? isTokenName(dest)
        ? dest
        : undefined
      : fnName && isTokenName(fnName)
        ? fnName
        : undefined;
    if (!what) continue;
    out.push({
      rule: 'security/insecure-random',
      node: call,
      message: `${name}() is predictable and feeds ${what}; use the secrets module`,
    });
  }
  return out;
}

export function runPythonRules(ctx: RuleContext): RawFinding[] {
  const tree: Tree = ctx.tree;
  const py: PyFile = {
    root: tree.rootNode,
    bindings: collectBindings(tree.rootNode),
    calls: querySync(tree, 'python', '(call) @call')
      .captures(tree.rootNode)
      .map((c) => c.node),
  };
  const findings = [
    ...sqlInjection(py),
    ...commandInjection(py),
    ...codeEval(py),
    ...weakCrypto(py),
  ];
  if (!ctx.isTest) findings.push(...hardcodedSecret(py), ...insecureRandom(py));
  return findings;
}
