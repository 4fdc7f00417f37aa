// Turning a free-form description into statements: normalization, bullet lists with their
// headers ("Each book has:" + "- a title"), wrapped lines, sentences and clauses.

export interface Statement {
  /** The statement, whitespace-normalized, without its final punctuation. */
  text: string;
  /** Position in the description, for ordering. */
  index: number;
}

export function normalize(description: string): string {
  return description
    .replace(/\r\n?/g, '\n')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/\s[\u2013\u2014]\s|[\u2013\u2014]/g, ' - ')
    .replace(/\u00a0/g, ' ')
    .replace(/\be-mail/gi, 'email')
    .replace(/\bw\/(?=\s)/gi, 'with')
    .replace(/\s&\s/g, ' and ')
    .replace(/\*\*|__|`/g, '')
    .replace(/[ \t]+/g, ' ')
    .replace(/ +\n/g, '\n');
}

const BULLET = /^\s*(?:[-*\u2022+\u25aa\u25e6\u2023\u00b7>]|\d{1,3}[.)]|[a-z][.)]|\[[ xX]?\])\s+/;
const HEADING = /^\s*#{1,6}\s+/;

/** Headers whose bullets stand on their own ("Entities:", "Rules:"). */
const GENERIC_HEADER =
  /^(?:(?:the\s+)?(?:main\s+|core\s+|key\s+)?(?:entities|data(?:\s+model)?|models?|tables?|objects?|resources?|records?|requirements?|rules?|features?|notes?|relations(?:hips)?|permissions?|(?:user\s+)?stories|(?:non[\s-]?)?functional\s+requirements|constraints|overview|description|details|scope|must[\s-]haves?|nice[\s-]to[\s-]haves?|business\s+rules|workflows?|use\s+cases?|functionality|things\s+to\s+(?:track|store)|what\s+(?:it|the\s+app)\s+(?:should\s+)?(?:do|does|track|store)s?|(?:we|i)\s+(?:need|want)|(?:the\s+)?(?:app|system|platform)(?:\s+(?:should|must|will))?(?:\s+(?:do|have|support|allow))?|it\s+should(?:\s+(?:do|have|support|allow))?|also)(?:\s+\w+)?)$/i;
const ROLE_HEADER =
  /^(?:(?:user\s+)?roles?|(?:user\s+)?types\s+of\s+users|user\s+types|actors|personas)$/i;
/** Header endings that continue into the bullet ("Each book has:" + "a title"). */
const CONTINUING_HEADER =
  /\b(?:has|have|with|includes?|including|contains?|can|could|should|must|will|may|need(?:s)?(?:\s+to)?|stores?|tracks?|records?|keeps?|are|is|of|to|for|like|such\s+as|want\s+to|be\s+able\s+to|able\s+to|allowed\s+to|lets?|allows?)$/i;

function combine(header: string, bullet: string): string[] {
  const h = header.trim().replace(/[:\-\s]+$/, '');
  if (ROLE_HEADER.test(h)) return [`Roles: ${bullet}`, bullet];
  if (GENERIC_HEADER.test(h)) return [bullet];
  // A title ("Backend for a food delivery app:") introduces bullets that stand on their own.
  if (
    /\b(?:app|application|system|platform|backend|api|site|website|tool|service|portal|software|crm)\b/i.test(
      h,
    ) &&
    !CONTINUING_HEADER.test(h)
  ) {
    return [bullet];
  }
  if (CONTINUING_HEADER.test(h)) return [`${h} ${bullet}`];
  return [`${h}: ${bullet}`];
}

const ABBREVIATIONS =
  /(?:\be\.g|\bi\.e|\betc|\bvs|\bno|\bapprox|\bincl|\bnr|\bmr|\bmrs|\bms|\bdr|\bst|\bjr|\bsr|\bfig|\bcf|\bdept|\best)\.$/i;

/** Splits a line into sentences at . ! ? ; (not inside parentheses or after abbreviations). */
export function splitSentences(line: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '(' || ch === '[') depth++;
    else if ((ch === ')' || ch === ']') && depth > 0) depth--;
    else if (depth === 0 && /[.!?;]/.test(ch)) {
      const next = line[i + 1];
      if (next !== undefined && !/\s/.test(next)) continue; // 4.5, e.g.x, example.com
      const piece = line.slice(start, i + 1);
      if (ch === '.' && ABBREVIATIONS.test(piece)) continue;
      out.push(piece);
      start = i + 1;
    }
  }
  out.push(line.slice(start));
  return out
    .map((s) =>
      s
        .trim()
        .replace(/[.!;]+$/, '')
        .trim(),
    )
    .filter((s) => /[A-Za-z]/.test(s));
}

const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_SEPARATOR = /^\s*\|?(?:\s*:?-{2,}:?\s*\|)+\s*(?::?-{2,}:?\s*)?\|?\s*$/;
const ENTITY_COLUMN =
  /^(?:entity|entities|table|tables|model|models|resource|resources|record|records|object|objects|thing|things)$/i;
const FIELDS_COLUMN = /^(?:fields?|attributes?|columns?|properties|data|details|stores?)$/i;
const FIELD_COLUMN = /^(?:fields?|attributes?|columns?|propert(?:y|ies)|name|field\s+name)$/i;
const TYPE_COLUMN = /^(?:type|data\s+type|kind|format)$/i;
const ROLE_COLUMN = /^(?:roles?|user\s+types?|actors?)$/i;

function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());
}

/**
 * Markdown tables, rewritten as the sentences they stand for: an entity table (`| Entity |
 * Fields |`) gives `Book: title, author`; a field table (`| Field | Type |`) under a heading gives
 * `Book: title (text), price (money)`; a role table gives `Roles: ...`. Other tables are dropped
 * rather than guessed at.
 */
export function convertTables(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!TABLE_ROW.test(lines[i]!) || !TABLE_SEPARATOR.test(lines[i + 1] ?? '')) {
      out.push(lines[i]!);
      continue;
    }
    const header = cells(lines[i]!);
    const rows: string[][] = [];
    let j = i + 2;
    for (; j < lines.length && TABLE_ROW.test(lines[j]!); j++) rows.push(cells(lines[j]!));
    i = j - 1;
    const col = (re: RegExp): number => header.findIndex((h) => re.test(h));
    const entityCol = col(ENTITY_COLUMN);
    const fieldsCol = col(FIELDS_COLUMN);
    const fieldCol = col(FIELD_COLUMN);
    const typeCol = col(TYPE_COLUMN);
    if (entityCol === 0) {
      if (fieldsCol > 0) {
        for (const r of rows) {
          if (r[0] && r[fieldsCol]) out.push(`${r[0]}: ${r[fieldsCol]}.`);
        }
      } else {
        const names = rows.map((r) => r[0]).filter((n) => n !== undefined && n !== '');
        if (names.length > 0) out.push(`Entities: ${names.join(', ')}.`);
      }
      out.push('');
      continue;
    }
    if (col(ROLE_COLUMN) === 0) {
      const names = rows.map((r) => r[0]).filter((n) => n !== undefined && n !== '');
      if (names.length > 0) out.push(`Roles: ${names.join(', ')}.`);
      out.push('');
      continue;
    }
    if (fieldCol === 0) {
      // The entity is named by the heading (or "Book:" line) above the table.
      let k = out.length - 1;
      while (k >= 0 && out[k]!.trim() === '') k--;
      const above = k >= 0 ? out[k]!.trim() : '';
      const heading = above.match(/^(?:#{1,6}\s+)?([A-Za-z][\w' ]{0,40}?)\s*:?$/);
      if (heading === null || (!/^#/.test(above) && !/:$/.test(above))) {
        out.push('');
        continue;
      }
      const items = rows
        .filter((r) => r[0] !== undefined && r[0] !== '')
        .map((r) => {
          const notes = r
            .filter((_, c) => c !== 0 && c !== typeCol)
            .join(' ')
            .toLowerCase();
          const flags = (notes.match(/\b(?:unique|required|optional)\b/g) ?? []).join(' ');
          const type = typeCol > 0 ? (r[typeCol] ?? '').trim() : '';
          return `${flags !== '' ? `${flags} ` : ''}${r[0]!}${type !== '' ? ` (${type})` : ''}`;
        });
      out.length = k;
      if (items.length > 0) out.push(`${heading[1]!}: ${items.join(', ')}.`);
      out.push('');
      continue;
    }
    out.push('');
  }
  return out.join('\n');
}

/** "Each book has: - a title - an author" / "Books: • title • author": a list written inline. */
export function inlineBullets(line: string): string {
  const re = /:\s*([-\u2022\u00b7\u25aa\u25e6*])\s+/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) {
    const start = m.index + m[0].length;
    const rest = line.slice(start);
    const end = rest.search(/[.;](?:\s|$)/);
    const body = end >= 0 ? rest.slice(0, end) : rest;
    const marker = m[1]!.replace(/[*]/, '\\*');
    const parts = body.split(new RegExp(`\\s+${marker}\\s+`)).map((p) => p.trim());
    if (parts.length < 2 || parts.some((p) => p === '')) continue;
    const list = parts.join(', ');
    line = `${line.slice(0, m.index)}: ${list}${end >= 0 ? rest.slice(end) : ''}`;
    re.lastIndex = m.index + list.length;
  }
  return line;
}

/** Splits a normalized description into statements, resolving bullet headers. */
export function segment(input: string): Statement[] {
  const text = convertTables(input);
  const raw = text.split('\n');
  // Join hard-wrapped lines: a line without final punctuation followed by a lower-case line.
  const lines: string[] = [];
  for (const line of raw) {
    const prev = lines[lines.length - 1];
    if (
      prev !== undefined &&
      prev.trim() !== '' &&
      !/[.!?:;]\s*$/.test(prev) &&
      /^\s*[a-z]/.test(line) &&
      !BULLET.test(line) &&
      !BULLET.test(prev)
    ) {
      lines[lines.length - 1] = `${prev.trimEnd()} ${line.trim()}`;
    } else {
      lines.push(line);
    }
  }

  for (let i = 0; i < lines.length; i++) lines[i] = inlineBullets(lines[i]!);
  const statements: string[] = [];
  let header: string | null = null;
  // A header without a colon ("Products" over "- name") only applies to plain short bullets.
  let bareHeader = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(HEADING, '').trimEnd();
    if (line.trim() === '') {
      header = null;
      continue;
    }
    if (BULLET.test(line)) {
      const content = line.replace(BULLET, '').trim();
      const selfContained =
        /:|\s-\s|\([^)]*,[^)]*\)/.test(content) ||
        content.replace(/\([^)]*\)/g, '').split(/\s+/).length > 5;
      const parts =
        header === null || (bareHeader && selfContained) ? [content] : combine(header, content);
      for (const part of parts) statements.push(...splitSentences(part));
      continue;
    }
    const next = lines.slice(i + 1).find((l) => l.trim() !== '');
    const shortTitle = !/[.!?;,]\s*$/.test(line) && line.trim().split(/\s+/).length <= 4;
    if (
      (/:\s*$/.test(line) || shortTitle) &&
      next !== undefined &&
      BULLET.test(next) &&
      lines[i + 1]?.trim() !== ''
    ) {
      header = line.replace(/:\s*$/, '').trim();
      bareHeader = !/:\s*$/.test(line);
      // A header is also the app's title when it is the first line ("bakery orders",
      // "Backend for a food delivery app:").
      if (
        statements.length === 0 &&
        (bareHeader ||
          /\b(?:app|application|system|platform|backend|api|site|website|tool|service|portal|software|crm)\b/i.test(
            header,
          ))
      ) {
        statements.push(header);
      }
      // The header may itself be a sentence ending in a list intro ("We track: ...").
      continue;
    }
    header = null;
    statements.push(...splitSentences(line.trim()));
  }
  return statements.map((s, index) => ({ text: s.replace(/\s+/g, ' ').trim(), index }));
}

/** Replaces everything inside parentheses with spaces so that splitting ignores it. */
export function maskParens(text: string): string {
  let depth = 0;
  let out = '';
  for (const ch of text) {
    if (ch === '(' || ch === '[') {
      depth++;
      out += ch;
    } else if ((ch === ')' || ch === ']') && depth > 0) {
      depth--;
      out += ch;
    } else out += depth > 0 ? '\u0001' : ch;
  }
  return out;
}

/**
 * Splits `text` at each match of `re` (a global regex) found outside parentheses. Returns the
 * pieces and the separator before each piece.
 */
export function splitOutsideParens(text: string, re: RegExp): { piece: string; sep: string }[] {
  const masked = maskParens(text);
  const out: { piece: string; sep: string }[] = [];
  let last = 0;
  let sep = '';
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  for (let m = g.exec(masked); m !== null; m = g.exec(masked)) {
    if (m[0].length === 0) {
      g.lastIndex++;
      continue;
    }
    out.push({ piece: text.slice(last, m.index), sep });
    sep = m[0];
    last = m.index + m[0].length;
  }
  out.push({ piece: text.slice(last), sep });
  return out;
}
