// Word-level helpers: inflection and identifier casing. Inflection is compromise's (a maintained
// English NLP library with irregular forms), wrapped because its noun transforms assume their
// input is already plural or singular ("status" -> "statu"), which a parser cannot know.
import nlp from 'compromise';

const methods = nlp.methods() as unknown as {
  two: {
    transform: {
      noun: { toSingular(w: string, m: unknown): string; toPlural(w: string, m: unknown): string };
      verb: { toInfinitive(w: string, m: unknown): string };
    };
  };
};
const model = nlp.model();

/** Words whose singular and plural are the same, or that are used as mass nouns. */
const INVARIANT = new Set([
  'staff',
  'personnel',
  'data',
  'news',
  'series',
  'species',
  'equipment',
  'information',
  'software',
  'hardware',
  'feedback',
  'luggage',
  'baggage',
  'furniture',
  'sheep',
  'deer',
  'fish',
  'aircraft',
  'media',
  'metadata',
  'inventory',
  'stock',
  'analytics',
  'statistics',
  'logistics',
  'clothing',
  'merchandise',
  'music',
  'money',
  'traffic',
  'crew',
  'faculty',
  'police',
  'everyone',
  'anyone',
]);

const IRREGULAR_PLURALS: Record<string, string> = {
  people: 'person',
  children: 'child',
  men: 'man',
  women: 'woman',
  feet: 'foot',
  teeth: 'tooth',
  mice: 'mouse',
  geese: 'goose',
  criteria: 'criterion',
  phenomena: 'phenomenon',
  indices: 'index',
  matrices: 'matrix',
  vertices: 'vertex',
  leaves: 'leave',
  wives: 'wife',
  knives: 'knife',
  lives: 'life',
  shelves: 'shelf',
  halves: 'half',
  wolves: 'wolf',
  loaves: 'loaf',
};
const IRREGULAR_SINGULARS = Object.fromEntries(
  Object.entries(IRREGULAR_PLURALS).map(([p, s]) => [s, p]),
);

/** Singular nouns that end like plurals. */
const LOOKS_PLURAL = /(?:ss|us|is|ous|ys|ws)$/;
/** -ics words that are singular mass nouns; other -ics words are plurals ("mechanics"). */
const SINGULAR_ICS = new Set([
  'analytics',
  'statistics',
  'physics',
  'mathematics',
  'maths',
  'economics',
  'electronics',
  'ethics',
  'politics',
  'logistics',
  'athletics',
  'genetics',
  'linguistics',
  'aesthetics',
  'robotics',
  'gymnastics',
  'aerobics',
  'acoustics',
  'dynamics',
  'mechanics-of',
]);
const SINGULAR_S = new Set([
  'gas',
  'canvas',
  'atlas',
  'alias',
  'bias',
  'yes',
  'this',
  'its',
  'has',
]);
/** Plurals that end like singulars ("menus" is not like "status"). */
const PLURAL_US = new Set(['menus', 'gurus', 'emus', 'haikus', 'tofus', 'sudokus', 'tutus']);
const SINGULAR_FIXES: Record<string, string> = {
  aliases: 'alias',
  lenses: 'lens',
  canvases: 'canvas',
  atlases: 'atlas',
  biases: 'bias',
  gases: 'gas',
};

export function isPluralWord(word: string): boolean {
  const w = word.toLowerCase();
  if (w in IRREGULAR_PLURALS) return true;
  if (w in IRREGULAR_SINGULARS || INVARIANT.has(w) || SINGULAR_ICS.has(w)) return false;
  if (PLURAL_US.has(w) || w in SINGULAR_FIXES) return true;
  if (!w.endsWith('s') || w.length < 3 || SINGULAR_S.has(w)) return false;
  if (LOOKS_PLURAL.test(w) && !/(?:sses|uses|ises|ays|eys|oys|ows|ews)$/.test(w)) return false;
  return true;
}

export function singularWord(word: string): string {
  const w = word.toLowerCase();
  const irregular = IRREGULAR_PLURALS[w] ?? SINGULAR_FIXES[w];
  if (irregular !== undefined) return irregular;
  if (!isPluralWord(w)) return w;
  if (PLURAL_US.has(w)) return w.slice(0, -1);
  if (/(?:ss|us|x|ch|sh|z)es$/.test(w) && w.length > 4) {
    // statuses, buses, boxes, matches, wishes, quizzes: compromise handles the -zzes case
    const s = methods.two.transform.noun.toSingular(w, model);
    return s.length > 0 ? s : w.slice(0, -2);
  }
  const s = methods.two.transform.noun.toSingular(w, model);
  return s.length > 0 ? s : w.slice(0, -1);
}

export function pluralWord(word: string): string {
  const w = word.toLowerCase();
  const irregular = IRREGULAR_SINGULARS[w];
  if (irregular !== undefined) return irregular;
  if (INVARIANT.has(w)) return w;
  if (isPluralWord(w)) return w;
  const p = methods.two.transform.noun.toPlural(w, model);
  return p.length > 0 ? p : `${w}s`;
}

/** Singularizes the head (last word) of a noun phrase: "order items" -> "order item". */
export function singularPhrase(words: readonly string[]): string[] {
  if (words.length === 0) return [];
  return [...words.slice(0, -1), singularWord(words[words.length - 1]!)];
}

export function pluralPhrase(words: readonly string[]): string[] {
  if (words.length === 0) return [];
  return [...words.slice(0, -1), pluralWord(words[words.length - 1]!)];
}

/** Infinitive of a verb form: "borrows" -> "borrow", "checked" -> "check". */
export function infinitive(verb: string): string {
  const w = verb.toLowerCase();
  if (/^(?:is|are|was|were|be|been)$/.test(w)) return 'be';
  if (/^(?:has|had|having)$/.test(w)) return 'have';
  const v = methods.two.transform.verb.toInfinitive(w, model);
  return v.length > 0 ? v : w;
}

const ACRONYMS = new Set(['id', 'url', 'isbn', 'sku', 'vin', 'api', 'uuid', 'ip', 'gps']);

function splitWords(words: readonly string[]): string[] {
  return words
    .map((w) => w.replace(/['’]s$/i, '').replace(/['’]/g, ''))
    .flatMap((w) => w.split(/[^A-Za-z0-9]+/))
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

function capitalize(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}

/** ["order", "item"] -> "OrderItem". Names starting with a digit get an "N" prefix. */
export function pascalCase(words: readonly string[]): string {
  const s = splitWords(words).map(capitalize).join('');
  return /^[0-9]/.test(s) ? `N${s}` : s;
}

/** ["due", "date"] -> "dueDate"; ["employee", "ID"] -> "employeeId". */
export function camelCase(words: readonly string[]): string {
  const parts = splitWords(words);
  const s = parts.map((w, i) => (i === 0 ? w : capitalize(w))).join('');
  return /^[0-9]/.test(s) ? `n${s}` : s;
}

export function snakeCase(words: readonly string[]): string {
  const s = splitWords(words).join('_');
  return /^[0-9]/.test(s) ? `n_${s}` : s;
}

export function kebabCase(words: readonly string[]): string {
  const s = splitWords(words).join('-');
  return /^[0-9]/.test(s) ? `app-${s}` : s;
}

/** Splits a camelCase or PascalCase identifier back into lower-case words. */
export function identifierWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

export function isAcronym(word: string): boolean {
  return ACRONYMS.has(word.toLowerCase());
}

const UPPER_IN_TITLES = new Set([
  ...ACRONYMS,
  'crm',
  'hr',
  'it',
  'erp',
  'lms',
  'cms',
  'iot',
  'ui',
  'faq',
]);

/** "Title Case" of words: ["hr", "app"] -> "HR App". */
export function titleCase(words: readonly string[]): string {
  return splitWords(words)
    .map((w) => (UPPER_IN_TITLES.has(w) ? w.toUpperCase() : capitalize(w)))
    .join(' ');
}

/** A word compromise knows only as an adjective ("pretty", "fast"), never as a noun. */
export function isAdjectiveOnly(word: string): boolean {
  const doc = nlp(word);
  return doc.has('#Adjective') && !doc.has('#Noun');
}

/** "a book", "an order", "an hour", "a user", "a one-off": the indefinite article by sound. */
export function withArticle(phrase: string): string {
  const w = phrase.trim().toLowerCase();
  const vowelSound =
    /^(?:[aeio]|u(?!ni|s[eu]|ti|r[aeiou]|rl|bi)|hour|honest|honou?r|heir)/.test(w) &&
    !/^one\b/.test(w);
  return `${vowelSound ? 'an' : 'a'} ${phrase}`;
}
