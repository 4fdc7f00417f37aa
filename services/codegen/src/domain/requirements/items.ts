// List items: "a title, an author, an ISBN (unique) and a status: draft or published" becomes
// one Item per attribute, with the hints found in its wording (quantifier, required/unique,
// enum values, units, yes/no). Whether an item is a field or a reference to another entity is
// decided later, when every entity of the description is known.
import type { FieldType } from '../artifacts/index.js';
import type { TypeHints } from './fieldtypes.js';
import {
  DETERMINERS,
  ENUM_HEADS,
  FIELD_NOISE_SUFFIX,
  MANY_QUANTIFIERS,
  ONE_QUANTIFIERS,
  REQUIRED_ONE,
} from './lexicon.js';
import { splitOutsideParens } from './text.js';
import { isPluralWord, singularWord, snakeCase } from './words.js';

export interface Item {
  /** The item as written. */
  raw: string;
  /** Cleaned lower-case words naming it ("due date"). */
  words: string[];
  quantifier: 'many' | 'one' | null;
  required: boolean;
  unique: boolean;
  optional: boolean;
  enumValues: string[];
  hints: TypeHints;
  /** Fields given for this item ("visits with a date ...", "members (name, email)"). */
  sub: Item[];
  /** The item opened a "with" list. */
  hasWith: boolean;
  /** Its attributes were given as "their names, emails": written in the plural. */
  possessive?: boolean;
  /** Written in the plural as an attribute of many records ("their orders"): singularized. */
  writtenPlural?: boolean;
  plural: boolean;
}

export type ListMode = 'fields' | 'entities';

const LIST_SEPARATOR =
  /\s*[,;]\s*(?:(?:and|or)\s+(?:also\s+)?)?|\s+(?:and\s+also|as\s+well\s+as|along\s+with|together\s+with|and|or|plus|&)\s+/gi;

const UNIT_TIME =
  /\s+(?:in|as)\s+(?:minutes?|mins?|seconds?|secs?|hours?|hrs?|days?|weeks?|months?|years?|nights?)$/;
const UNIT_MEASURE =
  /\s+in\s+(?:kg|kgs|kilograms?|grams?|g|lbs?|pounds|km|kms|kilometers?|kilometres?|miles?|meters?|metres?|m|cm|centimeters?|mm|inches|inch|feet|ft|liters?|litres?|l|ml|gallons?|square\s+(?:meters?|metres?|feet|foot|ft|m|km|miles?)|sq\.?\s?(?:ft|m)|m2|sqm|degrees?(?:\s+\w+)?|celsius|fahrenheit|percent|percentage|%|mph|kph|km\/h|kwh|watts?|bpm)$/;
const UNIT_MONEY =
  /\s+in\s+(?:usd|eur|gbp|dollars?|euros?|cents|\$|€|£|the\s+local\s+currency|currency)$/;
const EXPLICIT_TYPE: Record<string, FieldType> = {
  date: 'date',
  'a date': 'date',
  datetime: 'datetime',
  'date and time': 'datetime',
  timestamp: 'datetime',
  time: 'datetime',
  number: 'number',
  'a number': 'number',
  decimal: 'number',
  float: 'number',
  integer: 'integer',
  int: 'integer',
  'whole number': 'integer',
  text: 'text',
  string: 'text',
  'free text': 'text',
  url: 'url',
  link: 'url',
  email: 'email',
  money: 'money',
  currency: 'money',
  amount: 'money',
  boolean: 'boolean',
  bool: 'boolean',
  'yes/no': 'boolean',
  'yes or no': 'boolean',
  'y/n': 'boolean',
  'true/false': 'boolean',
  'true or false': 'boolean',
  checkbox: 'boolean',
};
const HINT_WORDS =
  /\b(?:unique|distinct|required|mandatory|compulsory|optional|must\s+have|not\s+null|nullable)\b/g;

function emptyItem(raw: string): Item {
  return {
    raw,
    words: [],
    quantifier: null,
    required: false,
    unique: false,
    optional: false,
    enumValues: [],
    hints: {},
    sub: [],
    hasWith: false,
    plural: false,
  };
}

export function toWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/['’]s\b/g, '')
    .replace(/['’]/g, '')
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** "their names" -> "name": the attribute of one record. */
function singularItem(item: Item): Item {
  if (!item.plural || item.words.length === 0) return item;
  const words = [...item.words.slice(0, -1), singularWord(item.words[item.words.length - 1]!)];
  return { ...item, words, plural: false, writtenPlural: true };
}

/** Normalizes an enum value: "In Progress" -> "in_progress". */
export function enumValue(text: string): string | null {
  const v = snakeCase(toWords(text.replace(/^(?:either|or|and)\s+/i, '')));
  return v.length > 0 && v.length <= 64 ? v : null;
}

function splitValues(text: string): string[] {
  return text
    .split(/\s*(?:,|\/|\||;|\bor\b|\band\b)\s*/i)
    .map((v) => v.trim())
    .filter((v) => v.length > 0 && v.split(/\s+/).length <= 4);
}

/** What a parenthetical says about the field before it. */
function applyParenthetical(item: Item, paren: string): void {
  const p = paren.trim().toLowerCase();
  if (p === '') return;
  const explicit = EXPLICIT_TYPE[p.replace(/^(?:as\s+)?/, '')];
  if (explicit !== undefined) {
    if (explicit === 'boolean') item.hints.boolean = true;
    else item.hints.explicit = explicit;
    return;
  }
  let rest = p;
  const hintMatches = rest.match(HINT_WORDS) ?? [];
  for (const h of hintMatches) applyHint(item, h);
  rest = rest.replace(HINT_WORDS, ' ').replace(/\s+/g, ' ').trim();
  if (/^(?:e\.?g\.?|i\.?e\.?|such as|like|for example|ex\.?)\b/.test(rest)) return;
  if (/\b(?:yes\s*\/\s*no|y\s*\/\s*n|true\s*\/\s*false|yes or no|true or false)\b/.test(rest)) {
    item.hints.boolean = true;
    return;
  }
  if (/^(?:in\s+)?(?:minutes?|mins?|seconds?|hours?|days?|weeks?|months?|years?)$/.test(rest)) {
    item.hints.unit = 'time';
    return;
  }
  if (UNIT_MEASURE.test(` in ${rest}`)) {
    item.hints.unit = 'measure';
    return;
  }
  if (UNIT_MONEY.test(` in ${rest}`) || /^[$€£]$/.test(rest)) {
    item.hints.unit = 'money';
    return;
  }
  if (
    /^(?:from\s+)?\d+(?:\.\d+)?\s*(?:-|to|–)\s*\d+(?:\.\d+)?$/.test(rest) ||
    /^out of \d+$/.test(rest)
  ) {
    item.hints.explicit = item.hints.explicit ?? 'number';
    return;
  }
  const valuesText = rest.replace(
    /^(?:one of|either|values?:?|options?:?|can be|could be|e\.g\.)\s*/,
    '',
  );
  const values = splitValues(valuesText);
  if (values.length >= 2 && rest.length > 0) {
    item.enumValues.push(...values.map(enumValue).filter((v): v is string => v !== null));
  }
}

function applyHint(item: Item, hint: string): void {
  if (/unique|distinct/.test(hint)) item.unique = true;
  else if (/required|mandatory|compulsory|must have|not null/.test(hint)) item.required = true;
  else if (/optional|nullable/.test(hint)) item.optional = true;
}

const BOOLEAN_WHETHER =
  /^whether\s+(?:or\s+not\s+)?(?:(?:it|he|she|they|this|that|there|(?:the|each|every|a|an|this|that|its|their)\s+[a-z]+(?:\s+[a-z]+)?)\s+)?(?:is|are|was|were|has\s+been|have\s+been|had\s+been|can\s+be|could\s+be|will\s+be|should\s+be|gets?|got|has|have|needs?|can)\s+(?:been\s+|already\s+|currently\s+|still\s+)?(.+)$/;

/** Cleans one list piece into an Item (without its parenthetical). */
export function cleanItem(rawPiece: string): Item {
  const item = emptyItem(rawPiece.trim());
  let t = rawPiece
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^(?:and|or|also|plus|then|as well as|along with|but|with)\s+/, '')
    .replace(/\s+(?:etc|and so on|and more)\.?$/, '')
    .trim();

  if (t.endsWith('?')) {
    item.hints.boolean = true;
    t = t.replace(/\?+$/, '').trim();
  }
  const yesNo =
    /\s+(?:yes\s*\/\s*no|y\s*\/\s*n|true\s*\/\s*false|yes\s+or\s+no|true\s+or\s+false)$/;
  if (yesNo.test(t)) {
    item.hints.boolean = true;
    t = t.replace(yesNo, '').trim();
  }

  // Relative clauses that say "unique"/"required": "a SKU which must be unique".
  const hintClause = t.match(
    /\s+(?:which|that|who)\s+(?:must|should|has to|have to|needs to|need to|is|are|will)\s+(?:be\s+|always\s+be\s+)?((?:unique|distinct|required|mandatory|optional)(?:\s+and\s+(?:unique|distinct|required|mandatory|optional))?)$/,
  );
  if (hintClause !== null) {
    for (const h of hintClause[1]!.split(/\s+and\s+/)) applyHint(item, h);
    t = t.slice(0, hintClause.index).trim();
  }

  for (const m of t.match(HINT_WORDS) ?? []) applyHint(item, m);
  t = t
    .replace(/\bmust\s+have\b/g, ' ')
    .replace(HINT_WORDS, ' ')
    .replace(/\s+/g, ' ')
    .trim();

  // Quantifiers.
  t = t.replace(/^(?:the|a|an)\s+(?=(?:list|set|collection|history|series|number)\s+of\b)/, '');
  t = t.replace(/^between\s+\w+\s+(?:and|to)\s+\w+\s+/, 'many ');
  t = t.replace(/^(?:up\s+to|at\s+most|no\s+more\s+than|over|more\s+than)\s+\w+\s+/, 'many ');
  t = t.replace(
    /^(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|fifty|hundred|\d+)\s+(?:(?:or|to|-)\s+(?:more|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|fifty|hundred|\d+)\s+)?(?=\w+s\b)/,
    'many ',
  );
  t = t.replace(
    /^(?:one|1)\s+(?:or|to|-)\s+(?:more|many|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+/,
    'many ',
  );
  t = t.replace(
    /^(?:zero|0)\s+(?:or|to|-)\s+(?:more|many|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+/,
    'many ',
  );
  for (const q of MANY_QUANTIFIERS) {
    if (t.startsWith(`${q} `)) {
      item.quantifier = 'many';
      t = t.slice(q.length + 1);
      break;
    }
  }
  if (item.quantifier === null) {
    for (const q of ONE_QUANTIFIERS) {
      if (t.startsWith(`${q} `)) {
        item.quantifier = 'one';
        if (REQUIRED_ONE.has(q)) item.required = true;
        t = t.slice(q.length + 1);
        break;
      }
    }
  }

  // Yes/no wording.
  const whether = t.match(BOOLEAN_WHETHER);
  if (whether !== null) {
    item.hints.boolean = true;
    t = whether[1]!.replace(/\s+or\s+not$/, '');
  } else if (/^whether\s+/.test(t)) {
    item.hints.boolean = true;
    t = t.replace(/^whether\s+(?:or\s+not\s+)?/, '');
  }
  const flag = t.match(
    /^(?:(?:a|an|the)\s+)?(?:flag|checkbox|toggle|boolean|indicator|marker)\s+(?:for|of|to\s+(?:mark|show|say|indicate)|indicating|showing|saying|marking|that\s+(?:says|shows|indicates))\s+(?:whether\s+|if\s+)?(?:(?:it|the\s+\w+)\s+(?:is|was|has\s+been)\s+)?(.+)$/,
  );
  if (flag !== null) {
    item.hints.boolean = true;
    t = flag[1]!;
  }

  // Units and ranges.
  if (UNIT_TIME.test(t)) {
    item.hints.unit = 'time';
    t = t.replace(UNIT_TIME, '');
  } else if (UNIT_MEASURE.test(t)) {
    item.hints.unit = 'measure';
    t = t.replace(UNIT_MEASURE, '');
  } else if (UNIT_MONEY.test(t)) {
    item.hints.unit = 'money';
    t = t.replace(UNIT_MONEY, '');
  }
  const range = t.match(
    /\s+(?:from\s+)?\d+(?:\.\d+)?\s*(?:-|to)\s*\d+(?:\.\d+)?$|\s+out\s+of\s+\d+$|\s+on\s+a\s+(?:\d+|five|ten)[\s-]point\s+scale$/,
  );
  if (range !== null) {
    item.hints.explicit = item.hints.explicit ?? 'number';
    t = t.slice(0, range.index);
  }
  t = t
    .replace(/\s+(?:e\.?g\.?|such as|like|for example)\s+.*$/, '')
    .replace(/\s+in\s+(?:the|a|an|their|its|his|her|our)\s+.*$/, '')
    .replace(/\s+(?:that|which|who|where|whom)\s+.*$/, '')
    .replace(
      /\s+(?:they|he|she|it|we|you|i|people|users)\s+(?:can\s+|will\s+|must\s+)?[a-z]+(?:\s.*)?$/,
      '',
    )
    .replace(/\s+(?:for|of)\s+(?:each|every|the|this|that)\s+\w+$/, '')
    // "battery level for electric bikes": a qualifier, not part of the name.
    .replace(
      /^(.+?\s\S+)\s+for\s+(?:all\s+|each\s+|every\s+|the\s+)?(?:[a-z]+\s+){0,2}[a-z]+$/,
      '$1',
    )
    .trim();

  let words = toWords(t);
  while (words.length > 1 && DETERMINERS.has(words[0]!)) words = words.slice(1);
  if (words.length > 1 && FIELD_NOISE_SUFFIX.has(words[words.length - 1]!)) {
    if (words[words.length - 1] === 'flag' || words[words.length - 1] === 'checkbox') {
      item.hints.boolean = true;
    }
    words = words.slice(0, -1);
  }
  // "published at timestamp" -> "published at"; "returned on date" -> "returned on".
  if (
    words.length >= 3 &&
    /^(?:at|on)$/.test(words[words.length - 2]!) &&
    /^(?:timestamp|date|time|datetime|dates|timestamps)$/.test(words[words.length - 1]!)
  ) {
    words = words.slice(0, -1);
  }
  // "email address" is an email; "e mail" too.
  const phrase = words.join(' ');
  if (/(?:^|\s)email address(?:es)?$/.test(phrase)) words = [...words.slice(0, -2), 'email'];
  item.words = words;
  item.plural = words.length > 0 && isPluralWord(words[words.length - 1]!);
  return item;
}

/** Does the piece start a list of enum values ("status: draft", "a status which can be open")? */
function enumStart(piece: string): { field: string; first: string } | null {
  if (/^whether\b/i.test(piece)) return null;
  const colon = piece.match(/^(.+?)\s*[:=]\s*(.+)$/);
  if (colon !== null && !/\(/.test(colon[1]!)) return { field: colon[1]!, first: colon[2]! };
  const notHint = (v: string): boolean =>
    !/^(?:unique|distinct|required|mandatory|optional|empty|blank|null|set|changed|updated|edited|used|shown|stored|given|made)\b/i.test(
      v.trim(),
    );
  const which = piece.match(
    /^(.+?)\s+(?:which|that)\s+(?:can|could|may|must|should|will)?\s*(?:be|is)\s+(?:either\s+|one\s+of\s+|set\s+to\s+)?(.+)$/i,
  );
  if (which !== null && notHint(which[2]!)) return { field: which[1]!, first: which[2]! };
  const copula = piece.match(
    /^(.+?)\s+(?:(?:can|could|may|must|should|will)\s+be|being|is)\s+(?:either\s+|one\s+of\s+|set\s+to\s+)?(.+)$/i,
  );
  if (copula !== null && notHint(copula[2]!)) {
    const head = toWords(copula[1]!).pop() ?? '';
    if (ENUM_HEADS.has(head)) return { field: copula[1]!, first: copula[2]! };
  }
  const oneOf = piece.match(
    /^(.+?)\s+(?:either|one\s+of|of\s+either|with\s+values?|with\s+options?)\s+(.+)$/i,
  );
  if (oneOf !== null) return { field: oneOf[1]!, first: oneOf[2]! };
  return null;
}

/** A piece that can continue an enum list: a short value without a determiner. */
function isValuePiece(piece: string): boolean {
  const t = piece.trim().toLowerCase();
  if (t === '' || /[:(]/.test(t)) return false;
  const words = t.split(/\s+/);
  if (words.length > 3) return false;
  return !/^(?:a|an|the|its|their|his|her|each|every|one|some|many|several|multiple|with|whether|optional|unique|required)\b/.test(
    t,
  );
}

const ENUM_OF_HEAD =
  /^(.*\b(?:status|state|type|kind|category|priority|level|stage|role|tier|plan|size|mode|severity|urgency|difficulty|visibility|condition))\s+of\s+(\w+)$/;

export interface ParseListOptions {
  /** In entity lists, decides whether a piece after a "with" list starts a new entity. */
  startsEntity?: (item: Item) => boolean;
}

/**
 * Parses a list of attributes (mode "fields") or of entities with optional attributes (mode
 * "entities": "members (name, email), trainers with a name and a rate, and classes").
 */
export function parseList(text: string, mode: ListMode, options: ParseListOptions = {}): Item[] {
  const prepared = text
    .replace(/\bwhether\s+or\s+not\b/gi, 'whether')
    .replace(/\s+or\s+not\b/gi, '')
    .replace(/\bbetween\s+(\w+)\s+and\s+(\w+)\b/gi, 'between $1 to $2')
    .replace(
      /\b(date|first|last|terms|pros|name)\s+and\s+(time|last|conditions|cons|surname)\b/gi,
      '$1_and_$2',
    )
    // "one or more lines", "two or three photos": a quantity, not two items.
    .replace(
      /\b(zero|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+or\s+(more|fewer|less|two|three|four|five|six|seven|eight|nine|ten|\d+)\b/gi,
      '$1_or_$2',
    );
  const pieces = splitOutsideParens(prepared, LIST_SEPARATOR)
    .map((p) => ({
      ...p,
      piece: p.piece.trim().replace(/_and_/g, ' and ').replace(/_or_/g, ' or '),
    }))
    .filter((p) => p.piece.length > 0);

  const items: Item[] = [];
  let enumTarget: Item | null = null;
  let withTarget: Item | null = null;

  for (const { piece } of pieces) {
    // Enum continuation: "draft", "published" after "status: draft".
    if (enumTarget !== null && withTarget === null && isValuePiece(piece)) {
      const v = enumValue(piece);
      if (v !== null) enumTarget.enumValues.push(v);
      continue;
    }
    enumTarget = null;

    // Split off a parenthetical.
    const parenMatch = piece.match(/^(.*?)\s*\((.*)\)\s*(.*)$/s);
    let body = piece;
    let paren: string | null = null;
    if (parenMatch !== null) {
      body = `${parenMatch[1]!} ${parenMatch[3]!}`.trim();
      paren = parenMatch[2]!;
    }

    // "visits with a date", "each with a URL": the rest is a sub-list.
    const withMatch = body.match(
      /^(.*?)\s*\b(?:each\s+)?(?:with|having|including|containing)\b\s*(?:fields?|attributes|properties|columns|details)?\s*:?\s*(.*)$/i,
    );
    if (withMatch !== null && !/^whether\b/i.test(body)) {
      const head = withMatch[1]!.trim();
      const rest = withMatch[2]!.trim();
      if (head === '' || /^each$/i.test(head)) {
        // "each with a URL": fields of the previous item.
        const owner = items[items.length - 1];
        if (owner !== undefined) {
          owner.hasWith = true;
          withTarget = owner;
          if (rest !== '') owner.sub.push(...parseList(rest, 'fields'));
          continue;
        }
      } else {
        const owner = cleanItem(head);
        owner.hasWith = true;
        if (paren !== null) owner.sub.push(...parseList(paren, 'fields'));
        if (rest !== '') owner.sub.push(...parseList(rest, 'fields'));
        items.push(owner);
        withTarget = owner;
        continue;
      }
    }

    // "customers, their names, emails and phone numbers": attributes of the previous entity.
    if (
      mode === 'entities' &&
      /^(?:their|its|his|her)\s/i.test(piece) &&
      (withTarget ?? items[items.length - 1]) !== undefined
    ) {
      const owner: Item = (withTarget ?? items[items.length - 1])!;
      owner.hasWith = true;
      owner.possessive = /^their\s/i.test(piece) || owner.possessive;
      withTarget = owner;
      owner.sub.push(
        ...parseList(piece, 'fields').map((i) => (owner.possessive ? singularItem(i) : i)),
      );
      continue;
    }

    if (withTarget !== null) {
      const candidate = cleanItem(body);
      const newEntity =
        mode === 'entities' && (options.startsEntity?.(candidate) ?? candidate.plural);
      if (!newEntity) {
        const sub = parseList(piece, 'fields');
        const owner: Item = withTarget;
        withTarget.sub.push(...sub.map((i) => (owner.possessive ? singularItem(i) : i)));
        continue;
      }
      withTarget = null;
    }

    if (mode === 'fields') {
      const start = enumStart(body);
      if (start !== null) {
        const item = cleanItem(start.field);
        if (paren !== null) applyParenthetical(item, paren);
        const values = splitValues(start.first);
        item.enumValues.push(...values.map(enumValue).filter((v): v is string => v !== null));
        items.push(item);
        enumTarget = item;
        continue;
      }
      const ofHead = body.toLowerCase().match(ENUM_OF_HEAD);
      if (ofHead !== null) {
        const item = cleanItem(ofHead[1]!);
        const v = enumValue(ofHead[2]!);
        if (v !== null) item.enumValues.push(v);
        items.push(item);
        enumTarget = item;
        continue;
      }
    }

    const item = cleanItem(body);
    if (paren !== null) {
      if (mode === 'entities') {
        const inner = paren.trim();
        if (/[,]|\band\b/.test(inner) || inner.split(/\s+/).length <= 3) {
          item.sub.push(...parseList(inner, 'fields'));
        }
      } else {
        applyParenthetical(item, paren);
      }
    }
    if (item.words.length > 0 || item.sub.length > 0) items.push(item);
  }

  // A lone value list after a colon with a single value is not an enum.
  for (const item of items) {
    item.enumValues = [...new Set(item.enumValues)];
    if (item.enumValues.length === 1) item.enumValues = [];
  }
  return items.filter((i) => i.words.length > 0);
}
