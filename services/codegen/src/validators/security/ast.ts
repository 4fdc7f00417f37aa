import type { Node } from '../tree-sitter.js';

/** Small, grammar-aware helpers over tree-sitter nodes shared by the rules. */

export const JS_FUNCTION_TYPES = new Set([
  'function_declaration',
  'function_expression',
  'function',
  'arrow_function',
  'method_definition',
  'generator_function',
  'generator_function_declaration',
]);

export const PY_FUNCTION_TYPES = new Set(['function_definition', 'lambda']);

export function namedChildren(node: Node): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < node.namedChildCount; i++) {
    const c = node.namedChild(i);
    if (c) out.push(c);
  }
  return out;
}

export function field(node: Node | null | undefined, name: string): Node | null {
  return node ? node.childForFieldName(name) : null;
}

/** The operator token of a binary node (`+`, `??`, `%` …). */
export function operatorOf(node: Node): string | undefined {
  for (let i = 0; i < node.childCount; i++) {
    const c = node.child(i);
    if (c && !c.isNamed) return c.type;
  }
  return undefined;
}

export function ancestors(node: Node): Node[] {
  const out: Node[] = [];
  for (let p = node.parent; p; p = p.parent) out.push(p);
  return out;
}

export function enclosing(node: Node, types: ReadonlySet<string>): Node | null {
  for (let p = node.parent; p; p = p.parent) if (types.has(p.type)) return p;
  return null;
}

export function isInside(node: Node, container: Node): boolean {
  return node.startIndex >= container.startIndex && node.endIndex <= container.endIndex;
}

/** Descendants of the given types, in document order. */
export function descendants(node: Node, types: string | string[]): Node[] {
  return node.descendantsOfType(types).filter((n): n is Node => n !== null);
}

/**
 * The value of a JS string literal, or of a template literal without substitutions;
 * undefined for anything dynamic.
 */
export function jsStringValue(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'string') return node.text.slice(1, -1);
  if (
    node.type === 'template_string' &&
    !namedChildren(node).some((c) => c.type === 'template_substitution')
  )
    return node.text.slice(1, -1);
  return undefined;
}

/** The value of a Python string literal (not an f-string); undefined if dynamic. */
export function pyStringValue(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'concatenated_string') {
    const parts = namedChildren(node).map(pyStringValue);
    return parts.every((p) => p !== undefined) ? parts.join('') : undefined;
  }
  if (node.type !== 'string') return undefined;
  const children = namedChildren(node);
  if (children.some((c) => c.type === 'interpolation')) return undefined;
  return children
    .filter((c) => c.type === 'string_content')
    .map((c) => c.text)
    .join('');
}

/** Dotted name of a callee/member chain (`fs.promises.readFile`), or undefined if not a plain chain. */
export function jsDottedName(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'identifier':
    case 'property_identifier':
    case 'this':
      return node.text;
    case 'member_expression': {
      const obj = jsDottedName(field(node, 'object'));
      const prop = field(node, 'property');
      return obj && prop ? `${obj}.${prop.text}` : undefined;
    }
    case 'parenthesized_expression':
      return jsDottedName(node.namedChild(0));
    case 'non_null_expression':
      return jsDottedName(node.namedChild(0));
    default:
      return undefined;
  }
}

export function pyDottedName(node: Node | null | undefined): string | undefined {
  if (!node) return undefined;
  if (node.type === 'identifier') return node.text;
  if (node.type === 'attribute') {
    const obj = pyDottedName(field(node, 'object'));
    const attr = field(node, 'attribute');
    return obj && attr ? `${obj}.${attr.text}` : undefined;
  }
  return undefined;
}

export function callArguments(call: Node): Node[] {
  const args = field(call, 'arguments');
  if (!args || (args.type !== 'arguments' && args.type !== 'argument_list')) return [];
  return namedChildren(args).filter((c) => c.type !== 'comment');
}

/** Splits an identifier into lower-case words: `jwtSecretKey` → [jwt, secret, key]. */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

const SECRET_NOUNS = new Set([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'credential',
  'credentials',
]);
const KEY_QUALIFIERS = new Set([
  'api',
  'private',
  'secret',
  'access',
  'signing',
  'encryption',
  'session',
  'auth',
  'master',
  'client',
]);

/** Does a variable/property name denote a secret value (not a secret's length, expiry, header…)? */
export function isSecretName(name: string): boolean {
  const w = words(name);
  const last = w[w.length - 1];
  if (!last) return false;
  if (SECRET_NOUNS.has(last)) return true;
  return last === 'key' && w.length >= 2 && KEY_QUALIFIERS.has(w[w.length - 2]!);
}

const PASSWORD_WORDS = /pass(word|wd|phrase)?$|^pwd$/;
export function isPasswordName(name: string): boolean {
  return words(name).some((w) => PASSWORD_WORDS.test(w));
}

const TOKEN_CONTEXT = new Set([
  'token',
  'secret',
  'password',
  'passwd',
  'nonce',
  'salt',
  'otp',
  'session',
  'apikey',
  'csrf',
  'iv',
]);
/** Names under which a random value must be unpredictable. */
export function isTokenName(name: string): boolean {
  const w = words(name);
  if (isSecretName(name) || w.some((x) => TOKEN_CONTEXT.has(x))) return true;
  // "resetCode", "verificationCode", "inviteCode" …, but not "colorCode".
  return (
    w.includes('code') &&
    w.some((x) =>
      /^(reset|verification|verify|invite|confirm|confirmation|auth|login|otp|access)$/.test(x),
    )
  );
}

/** Values that are obviously not real secrets. */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v.length === 0) return true;
  if (/^(.)\1+$/.test(v)) return true; // xxxxxxxx, ********
  return /change[-_ ]?me|example|placeholder|your[-_ ]|<[^>]+>|\$\{|\{\{|%\(|^%s$|replace[-_ ]?me|dummy|redacted|^todo$|^xxx|not[-_ ]?set|^none$|^null$|^undefined$|insert[-_ ]|^test$/i.test(
    v,
  );
}
