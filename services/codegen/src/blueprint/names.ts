// Identifier casing for everything a blueprint names: tables and columns (snake_case), URL
// segments and module names (kebab-case), code identifiers (camelCase / PascalCase). Inputs are
// the validated names of a Requirements document (PascalCase entities, camelCase members).

/** Splits "OrderItem", "dueDate", "order_item", "ISBNCode" into lower-case words. */
export function words(identifier: string): string[] {
  return identifier
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

export function snakeCase(identifier: string): string {
  return words(identifier).join('_');
}

export function kebabCase(identifier: string): string {
  return words(identifier).join('-');
}

export function camelCase(identifier: string): string {
  const [first = '', ...rest] = words(identifier);
  return first + rest.map(capitalize).join('');
}

export function pascalCase(identifier: string): string {
  return words(identifier).map(capitalize).join('');
}

/** "dueDate" -> "due date": for titles, summaries and messages. */
export function humanize(identifier: string): string {
  return words(identifier).join(' ');
}

export function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/**
 * Reserved words of JavaScript/TypeScript (strict mode) and a few globals that generated code
 * uses by name: an entity called "Date" or "Class" must not shadow or break them.
 */
const RESERVED = new Set([
  'await',
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'debugger',
  'default',
  'delete',
  'do',
  'else',
  'enum',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'implements',
  'import',
  'in',
  'instanceof',
  'interface',
  'let',
  'new',
  'null',
  'package',
  'private',
  'protected',
  'public',
  'return',
  'static',
  'super',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'var',
  'void',
  'while',
  'with',
  'yield',
  'arguments',
  'eval',
  'undefined',
]);

/** Global and imported type names that a generated entity type must not shadow. */
const RESERVED_TYPES = new Set([
  'Array',
  'Boolean',
  'Buffer',
  'Database',
  'Date',
  'Error',
  'Event',
  'FastifyInstance',
  'FastifyReply',
  'FastifyRequest',
  'Function',
  'Headers',
  'JSON',
  'Map',
  'Math',
  'Number',
  'Object',
  'Omit',
  'Partial',
  'Pick',
  'Promise',
  'Readonly',
  'Record',
  'Request',
  'Required',
  'Response',
  'SQL',
  'Set',
  'String',
  'Symbol',
  'URL',
]);

export function isReservedWord(name: string): boolean {
  return RESERVED.has(name);
}

/** A camelCase value identifier that is not reserved and not in `taken`. */
export function safeIdentifier(name: string, taken: ReadonlySet<string> = new Set()): string {
  let candidate = name;
  for (const suffix of ['Item', 'Record', 'Value']) {
    if (!RESERVED.has(candidate) && !taken.has(candidate)) return candidate;
    candidate = `${name}${suffix}`;
  }
  let n = 2;
  while (RESERVED.has(candidate) || taken.has(candidate)) candidate = `${name}${n++}`;
  return candidate;
}

/** A PascalCase type name that does not shadow a global or imported type. */
export function safeTypeName(name: string): string {
  return RESERVED_TYPES.has(name) ? `${name}Entity` : name;
}

/**
 * Past participles an action may leave behind as a state: "complete" -> "completed",
 * "ship" -> "shipped", "checkIn" -> "checked_in", "pay" -> "paid". Used to find the enum value or
 * boolean flag an action sets. Several spellings are returned; callers match what exists.
 */
export function participles(action: string): string[] {
  const [verb = '', ...rest] = words(action);
  const tail = rest.length > 0 ? `_${rest.join('_')}` : '';
  const irregular: Record<string, string[]> = {
    pay: ['paid'],
    send: ['sent'],
    buy: ['bought'],
    sell: ['sold'],
    build: ['built'],
    lend: ['lent'],
    spend: ['spent'],
    hold: ['held'],
    begin: ['begun'],
    write: ['written'],
    take: ['taken'],
    give: ['given'],
    hide: ['hidden'],
    choose: ['chosen'],
    freeze: ['frozen'],
    lose: ['lost'],
    find: ['found'],
    read: ['read'],
    set: ['set'],
    put: ['put'],
    shut: ['shut'],
    close: ['closed'],
    cancel: ['cancelled', 'canceled'],
  };
  const forms = new Set<string>(irregular[verb] ?? []);
  if (forms.size > 0) return [...forms].map((f) => `${f}${tail}`);
  if (verb.endsWith('e')) forms.add(`${verb}d`);
  else if (/[^aeiou]y$/.test(verb)) forms.add(`${verb.slice(0, -1)}ied`);
  else {
    forms.add(`${verb}ed`);
    if (/[^aeiou][aeiou][bdgklmnprt]$/.test(verb)) forms.add(`${verb}${verb.slice(-1)}ed`);
  }
  return [...forms].map((f) => `${f}${tail}`);
}
