// Statement-level rules: each statement of the description is matched against the ways people
// describe data-backed apps, and what it says is recorded as claims (see claims.ts). The rules are
// tried from the most specific form ("Roles: admin and member", "Book: title, author") to the
// general subject-verb-object clause, which handles declarations ("each book has ..."), relations
// ("books belong to authors"), and operations ("members borrow books").
import nlp from 'compromise';
import type { OperationKind } from '../artifacts/index.js';
import type { Claims } from './claims.js';
import { inferFieldType } from './fieldtypes.js';
import { cleanItem, parseList, toWords } from './items.js';
import type { Item } from './items.js';
import {
  ACTION_VERBS,
  APP_NOUNS,
  AUTH_PATTERN,
  BELONG_PATTERNS,
  CREATE_AS_ACTION,
  CREATE_VERBS,
  DELETE_VERBS,
  DETERMINERS,
  FIELD_MODIFIER_VERBS,
  FIELD_NOUNS,
  GENERIC_ACTORS,
  HAS_VERBS,
  LINK_VERBS,
  LIST_VERBS,
  LOGIN_PATTERN,
  MANAGE_VERBS,
  MANY_TO_MANY_VERBS,
  NOMINALIZATIONS,
  PARTICLES,
  READ_VERBS,
  SIGNUP_PATTERN,
  TRACK_VERBS,
  UPDATE_VERBS,
  VERB_PREPOSITIONS,
} from './lexicon.js';
import { matchEntity } from './match.js';
import { maskParens, splitOutsideParens } from './text.js';
import type { Statement } from './text.js';
import { infinitive, isPluralWord, pluralPhrase, singularPhrase } from './words.js';

/** Nouns that name the application when they are the subject ("the app has ..."). */
const CONTAINER_NOUNS = new Set([
  'app',
  'application',
  'system',
  'platform',
  'website',
  'site',
  'portal',
  'tool',
  'software',
  'program',
  'api',
  'backend',
  'dashboard',
  'database',
]);
const MODALS = new Set([
  'can',
  'could',
  'may',
  'might',
  'must',
  'should',
  'shall',
  'will',
  'would',
  'cannot',
  "can't",
  'needs',
]);
/** Objects of "add X to Y" that are attributes of Y rather than records of their own. */
const FIELDISH_OBJECTS =
  /^(?:notes?|remarks?|tags?|labels?|descriptions?|ratings?|scores?|photos?|images?|pictures?|attachments?|files?|links?|status|priority|deadline|due date|grade|feedback|comment|summary|reason|price|cost|category|location|a note)$/;

/** Adverbs that stand where an object would ("vote once", "pay later"). */
const ADVERB_OBJECTS =
  /^(?:once|twice|again|later|now|today|tomorrow|yesterday|online|offline|here|there|together|alone|anytime|anywhere|everywhere|somewhere|home|back|away|ahead|more|less|first|last)$/;

/** Gerunds that supply details of a record being created ("..., choosing a reason"). */
const GERUND_DETAIL =
  /^(?:choosing|selecting|picking|giving|adding|entering|specifying|providing|setting|uploading|attaching|including|writing|filling\s+in|stating|indicating|typing)\s+/i;

const PRONOUN_ADVERBS =
  /^(?:also|just|often|usually|sometimes|only|then|really|always|never|still|mostly|currently|already|normally|typically|regularly|occasionally)$/;

const COPULAS = new Set(['is', 'are', 'was', 'were', 'be', 'gets', 'get', 'being']);
const RELATION_VERBS = new Set([
  'belongs',
  'belong',
  'refers',
  'refer',
  'references',
  'reference',
  'points',
  'lives',
  'live',
  'works',
  'resides',
  'sits',
  'happens',
  'takes',
]);
const PREPOSITIONS = new Set([
  'with',
  'for',
  'to',
  'in',
  'on',
  'at',
  'by',
  'from',
  'into',
  'between',
  'about',
  'per',
  'as',
  'via',
  'under',
  'during',
  'through',
  'of',
  'after',
  'before',
  'within',
  'without',
  'over',
]);
const NOT_SUBJECT = new Set([
  'that',
  'which',
  'who',
  'where',
  'when',
  'if',
  'whether',
  'because',
  'so',
  'but',
  'and',
  'or',
  'not',
  'there',
  'here',
  ...PREPOSITIONS,
]);
/** Words that end a subject for good (a subordinate clause starts). */
const NOT_SUBJECT_STRICT = new Set([
  'that',
  'which',
  'who',
  'where',
  'when',
  'if',
  'whether',
  'because',
  'so',
  'but',
  'not',
  'there',
  'here',
]);

const FILLER_ADJECTIVES = new Set([
  'simple',
  'small',
  'basic',
  'little',
  'new',
  'tiny',
  'quick',
  'minimal',
  'easy',
  'nice',
  'modern',
  'full',
  'complete',
  'lightweight',
  'web',
  'online',
  'mobile',
  'rest',
  'restful',
  'crud',
  'whole',
  'custom',
  'internal',
]);

/** People nouns the tagger does not always mark as such. */
const PERSON_NOUNS = new Set([
  'stylist',
  'tenant',
  'student',
  'patient',
  'client',
  'member',
  'owner',
  'guest',
  'trainer',
  'coach',
  'volunteer',
  'employee',
  'teacher',
  'instructor',
  'driver',
  'walker',
  'rider',
  'seller',
  'buyer',
  'vendor',
  'landlord',
  'host',
  'attendee',
  'speaker',
  'author',
  'artist',
  'player',
  'agent',
  'doctor',
  'nurse',
  'customer',
  'rep',
  'representative',
  'manager',
  'staff',
  'participant',
  'subscriber',
  'reader',
  'listener',
  'mentor',
  'tutor',
  'parent',
  'child',
  'kid',
  'athlete',
  'therapist',
  'vet',
  'mechanic',
  'technician',
  'courier',
  'recruiter',
  'candidate',
  'applicant',
  'supervisor',
  'organizer',
  'contractor',
  'freelancer',
  'partner',
  'contact',
  'lead',
  'person',
]);

interface Token {
  text: string;
  word: string;
  tags: Set<string>;
}

/** Tokens of a sentence with compromise's part-of-speech tags, in context. */
function tokenize(text: string): Token[] {
  const tokens = text
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .map((t) => ({
      text: t,
      word: t.toLowerCase().replace(/^[^a-z0-9']+|[^a-z0-9']+$/g, ''),
      tags: new Set<string>(),
    }));
  const terms = (
    nlp(text).json() as { terms: { text: string; normal: string; tags: string[] }[] }[]
  ).flatMap((s) => s.terms);
  let j = 0;
  for (const token of tokens) {
    const norm = token.word.replace(/[^a-z0-9]/g, '');
    for (let k = j; k < Math.min(terms.length, j + 3); k++) {
      const term = terms[k]!;
      const tn = (term.normal || term.text).toLowerCase().replace(/[^a-z0-9]/g, '');
      if (tn === norm || (tn.length > 0 && norm.startsWith(tn))) {
        for (const tag of term.tags) token.tags.add(tag);
        j = k + 1;
        break;
      }
    }
  }
  return tokens;
}

/** "let store managers edit prices" -> "store managers can edit prices". */
function letClause(rest: string): string | null {
  const tokens = tokenize(rest);
  for (let i = 1; i < Math.min(tokens.length, 4); i++) {
    const t = tokens[i]!;
    const verbLike =
      (t.tags.has('Verb') && !t.tags.has('Plural')) ||
      (isActionVerbWord(t.word) && lemma(t.word) === t.word);
    if (!verbLike || isPluralWord(t.word)) continue;
    if (tokens.slice(0, i).some((x) => PREPOSITIONS.has(x.word) || x.word === 'to')) return null;
    const subject = tokens.slice(0, i).map((x) => x.text);
    return `${subject.join(' ')} can ${tokens
      .slice(i)
      .map((x) => x.text)
      .join(' ')}`;
  }
  return null;
}

function lemma(word: string): string {
  return infinitive(word.replace(/[^a-z-]/g, ''));
}

function isActionVerbWord(word: string): boolean {
  const l = lemma(word);
  return (
    CREATE_VERBS.has(l) ||
    READ_VERBS.has(l) ||
    UPDATE_VERBS.has(l) ||
    DELETE_VERBS.has(l) ||
    MANAGE_VERBS.has(l) ||
    LINK_VERBS.has(l) ||
    TRACK_VERBS.has(word) ||
    ACTION_VERBS.has(l)
  );
}

function isStrongVerb(word: string): boolean {
  return (
    MODALS.has(word) ||
    COPULAS.has(word) ||
    HAS_VERBS.has(word) ||
    RELATION_VERBS.has(word) ||
    /^(?:consists?|comprises?|contains?|includes?)$/.test(word)
  );
}

/** Is the token at i a verb here (and not the first word of a compound noun)? */
function isVerbAt(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i];
  if (t === undefined) return false;
  const next = tokens[i + 1];
  if (FIELD_MODIFIER_VERBS.has(lemma(t.word)) && next !== undefined && FIELD_NOUNS.has(next.word)) {
    return false;
  }
  if (isStrongVerb(t.word)) return true;
  // A gerund without an auxiliary is a noun ("volunteer scheduling", "plant watering").
  if (/ing$/.test(t.word) && !COPULAS.has(tokens[i - 1]?.word ?? '')) return false;
  if (isActionVerbWord(t.word)) {
    if (t.tags.has('Verb')) return true;
    // The tagger misses verbs it also knows as nouns ("reject", "mark"): trust the lexicon when
    // what follows looks like an object. A last word is a verb only if the tagger says so.
    if (next === undefined) return t.tags.has('Verb') && !t.tags.has('Noun');
    // A gerund without an auxiliary is a noun ("volunteer scheduling for a food bank").
    if (/ing$/.test(t.word) && !COPULAS.has(tokens[i - 1]?.word ?? '')) return false;
    return (
      DETERMINERS.has(next.word) ||
      PREPOSITIONS.has(next.word) ||
      PARTICLES.has(next.word) ||
      next.tags.has('Noun') ||
      next.tags.has('Plural') ||
      isPluralWord(next.word)
    );
  }
  if (/ing$/.test(t.word) && !COPULAS.has(tokens[i - 1]?.word ?? '')) return false;
  return t.tags.has('Verb') && !t.tags.has('Noun') && !t.tags.has('Adjective');
}

function isNounish(t: Token): boolean {
  if (NOT_SUBJECT.has(t.word)) return false;
  return true;
}

/** Plural nouns that are also third-person verbs ("order records", "stock movements record ..."). */
const NOUN_OR_VERB =
  /^(?:records|tracks|keeps|stores|lists|holds|needs|features|shows|saves|captures|logs|orders|books|reports|requests|reviews|notes|tags|files|posts|issues|plans|sets|requires|includes|contains|rates|charges|costs|prices|marks|scores|ranks|grades|checks|returns|starts|ends)$/;

/** Index of the main verb: after a noun-phrase subject, or 0 for an imperative. -1: none. */
function findVerb(tokens: readonly Token[]): number {
  const first = tokens[0];
  if (first === undefined) return -1;
  // "I also lend records to friends": after a personal pronoun comes the verb.
  if (/^(?:i|we|you|they)$/.test(first.word)) {
    let j = 1;
    while (j < tokens.length && PRONOUN_ADVERBS.test(tokens[j]!.word)) j++;
    const t = tokens[j];
    if (
      t !== undefined &&
      (isStrongVerb(t.word) || t.tags.has('Verb') || isActionVerbWord(t.word)) &&
      !/ing$/.test(t.word)
    )
      return j;
  }
  const second = tokens[1];
  // "Order items have ...", "Leave requests are ...": a compound noun, not an imperative.
  const laterStrong = tokens
    .slice(1, 4)
    .findIndex((t) => isStrongVerb(t.word) && !NOUN_OR_VERB.test(t.word));
  const compoundSubject =
    laterStrong > 0 &&
    tokens
      .slice(1, laterStrong + 1)
      .every((t) => !DETERMINERS.has(t.word) && !PREPOSITIONS.has(t.word));
  // Imperative: a base-form verb first, followed by its object ("track vehicles"), but not
  // the first word of a field name ("start time, end time").
  const fieldCompound =
    FIELD_MODIFIER_VERBS.has(first.word) && second !== undefined && FIELD_NOUNS.has(second.word);
  if (
    second !== undefined &&
    !compoundSubject &&
    !fieldCompound &&
    (TRACK_VERBS.has(first.word) || isActionVerbWord(first.word)) &&
    lemma(first.word) === first.word &&
    !isStrongVerb(second.word) &&
    !(
      isActionVerbWord(second.word) &&
      !isPluralWord(second.word) &&
      second.tags.has('Verb') &&
      !DETERMINERS.has(second.word)
    )
  ) {
    return 0;
  }
  const subjectOk = (i: number): boolean => {
    const before = tokens.slice(0, i);
    if (!before.every((t) => isNounish(t) || /^(?:and|or|&)$/.test(t.word) || t.word === ''))
      return false;
    return before.some((t) => !DETERMINERS.has(t.word) && !/^(?:and|or|&)$/.test(t.word));
  };
  for (let i = 1; i < Math.min(tokens.length, 9); i++) {
    const before = tokens.slice(0, i);
    // "Parts used on a repair order are ...": a modifier after the head noun is allowed.
    const headNoun = before[0] !== undefined && !DETERMINERS.has(before[0].word) ? 0 : 1;
    const modifierOk = before.every(
      (t, k) =>
        isNounish(t) ||
        /^(?:and|or|&)$/.test(t.word) ||
        (k > headNoun &&
          (PREPOSITIONS.has(t.word) || /ed$/.test(t.word)) &&
          !NOT_SUBJECT_STRICT.has(t.word)),
    );
    if (!modifierOk) break;
    const t = tokens[i]!;
    // Words like "records" or "needs" are nouns as often as verbs: left to the second scan.
    if (!isStrongVerb(t.word) || NOUN_OR_VERB.test(t.word)) continue;
    const pronounSubject =
      before.length === 1 &&
      /^(?:some|most|many|all|each|they|these|those|few|several)$/.test(before[0]!.word);
    if (
      !pronounSubject &&
      !before.some((x) => !DETERMINERS.has(x.word) && !/^(?:and|or|&)$/.test(x.word))
    )
      continue;
    return i;
  }
  for (let i = 1; i < Math.min(tokens.length, 8); i++) {
    const before = tokens.slice(0, i);
    if (!before.every((t) => isNounish(t) || /^(?:and|or|&)$/.test(t.word))) break;
    if (!subjectOk(i)) continue;
    if (/^(?:and|or|&)$/.test(tokens[i - 1]!.word)) continue;
    // A comma inside the subject means a list of nouns, not a subject ("name, breed, age").
    if (before.some((t) => t.text.endsWith(','))) break;
    if (isVerbAt(tokens, i) && agrees(before, tokens[i]!)) return i;
  }
  return -1;
}

const COLLECTIVE = new Set([
  'staff',
  'people',
  'personnel',
  'team',
  'crew',
  'everyone',
  'everybody',
  'police',
  'faculty',
  'management',
  'hr',
  'support',
]);

/**
 * Subject-verb agreement, to tell "members borrow books" from "IT asset register": a base-form
 * verb needs a plural subject, an -s verb a singular one.
 */
function agrees(subject: readonly Token[], verb: Token): boolean {
  const head = [...subject].reverse().find((t) => !/^(?:and|or|&)$/.test(t.word));
  if (head === undefined) return false;
  const plural =
    isPluralWord(head.word) ||
    COLLECTIVE.has(head.word) ||
    subject.some((t) => /^(?:and|or|&)$/.test(t.word));
  const base = lemma(verb.word) === verb.word;
  if (base) return plural || /^(?:i|we|you|they)$/.test(head.word);
  if (/s$/.test(verb.word)) return !plural;
  return true; // past tense: "customers placed orders"
}

/** Tokens of a clause without its parentheticals (whose words are never the clause's verb). */
function clauseTokens(text: string): Token[] {
  return tokenize(
    text
      .replace(/\([^()]*\)/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  );
}

/** "title, isbn and status": a list of short items before any verb. */
function looksLikeList(text: string): boolean {
  const masked = maskParens(text);
  const firstComma = masked.indexOf(',');
  if (firstComma < 0) return false;
  const head = text.slice(0, firstComma);
  return head.split(/\s+/).length <= 4 && findVerb(clauseTokens(head)) === -1;
}

/** The noun phrase of an entity mention, without what qualifies it ("animals up for adoption"). */
function entityPhrase(text: string): string {
  return text
    .replace(
      /\s+(?:up|out|available|up\s+for|for|from|of\s+(?:people|users|customers)|in|on|at|with|about|to|that|which|who|whose|where|when)\b.*$/i,
      '',
    )
    .trim();
}

function words(text: string): string[] {
  return toWords(text);
}

function stripDeterminers(ws: string[]): string[] {
  let out = ws;
  while (out.length > 1 && DETERMINERS.has(out[0]!)) out = out.slice(1);
  return out;
}

/** Entity-name words of a noun phrase, minus noise ("book records" -> "book"). */
function entityWords(text: string | readonly string[]): string[] {
  let ws = typeof text === 'string' ? words(text) : [...text];
  ws = stripDeterminers(ws).filter(
    (w) => !['only', 'own', 'all', 'other', 'new', 'existing', 'registered'].includes(w),
  );
  while (
    ws.length > 1 &&
    /^(?:details|info|information|data|table|entity|model|fields?|attributes|properties|columns|list|collection|catalog|catalogue|database|library|inventory)$/.test(
      ws[ws.length - 1]!,
    )
  ) {
    ws = ws.slice(0, -1);
  }
  return ws.slice(-4);
}

function isGeneric(ws: readonly string[]): boolean {
  const key = singularPhrase(ws).join(' ');
  return GENERIC_ACTORS.has(key) || GENERIC_ACTORS.has(ws.join(' ')) || ws.length === 0;
}

/** The app itself ("the system has ..."); a plural ("applications") names records instead. */
function isContainer(ws: readonly string[]): boolean {
  const head = ws[ws.length - 1];
  return head !== undefined && CONTAINER_NOUNS.has(head) && !isPluralWord(head);
}

function hasLetters(s: string): boolean {
  return /[a-z]/i.test(s);
}

export interface InterpretOptions {
  /** Entity keys known from a previous pass, to resolve lists that mix entities and fields. */
  known?: ReadonlySet<string>;
}

interface Subject {
  text: string;
  /** One word list per conjoined subject ("agents and admins"). */
  parts: string[][];
  only: boolean;
}

function parseSubject(text: string): Subject {
  const only = /\bonly\b/i.test(text);
  const cleaned = text.replace(/\b(?:only|just|also|then)\b/gi, ' ').trim();
  const parts = cleaned
    .split(/\s*(?:,|\band\b|\bor\b|&)\s*/i)
    .map((p) => entityWords(p))
    .filter((p) => p.length > 0);
  return { text, parts, only };
}

export class Interpreter {
  constructor(
    private readonly claims: Claims,
    private readonly options: InterpretOptions = {},
  ) {}

  private known(ws: readonly string[]): boolean {
    return this.canonicalKey(ws) !== undefined;
  }

  /** The known entity these words name ("a lot" -> "parking lot"), if any. */
  private canonicalKey(ws: readonly string[]): string | undefined {
    const known = this.options.known;
    if (known === undefined || ws.length === 0) return undefined;
    const key = singularPhrase(ws).join(' ');
    if (known.has(key)) return key;
    const map = new Map([...known].map((k) => [k, k.split(' ')] as const));
    return matchEntity(ws, map);
  }

  /** Words of the known entity these words name, or the words themselves. */
  private canonical(ws: readonly string[]): string[] {
    const key = this.canonicalKey(ws);
    return key !== undefined ? key.split(' ') : [...ws];
  }

  interpret(statements: readonly Statement[]): void {
    for (const s of statements) this.statement(s);
  }

  private understood(s: Statement): void {
    this.claims.understood.add(s.index);
  }

  private statement(s: Statement): void {
    this.scanFeatures(s);
    this.scanNonFunctional(s);
    this.scanAuth(s);
    if (s.index === 0) this.scanTitle(s.text);

    let text = this.stripPrefixes(s.text);
    if (text === '') return;

    // "Recipe app: recipes have ...", "Book: title, author", "Roles: admin, member".
    const colon = text.match(/^([^:()]{1,60}?)\s*:\s*(.+)$/);
    if (colon !== null) {
      const left = colon[1]!.trim();
      const right = colon[2]!.trim();
      if (this.rolesList(left, right, s)) return;
      if (
        /^(?:(?:main|core|key)\s+)?(?:entities|models|tables|objects|resources|records|data(?:\s+model)?|things\s+to\s+(?:track|store))$/i.test(
          left,
        )
      ) {
        this.entityList(right, s, 'listed');
        return;
      }
      const leftTokens = clauseTokens(left);
      const leftVerb = findVerb(leftTokens);
      const rightIsClause =
        (!looksLikeList(right) && findVerb(clauseTokens(right)) !== -1) ||
        /^(?:for\s+(?:each|every|all)|each|every|there)\b/i.test(right);
      // A verb as the last word of a short phrase is a noun use ("IT asset register").
      const leftIsPhrase = leftVerb === -1 || (leftVerb === leftTokens.length - 1 && leftVerb > 0);
      if (!leftIsPhrase && rightIsClause && leftVerb !== -1) {
        // "When a patient comes in we create a visit: the visit records the date, ...".
        for (const part of [left, right]) {
          const t = this.stripPrefixes(part);
          for (const clause of this.splitClauses(t)) this.clause(clause, s);
        }
        return;
      }
      if (leftIsPhrase && this.isTitleLike(left, s.index) && rightIsClause) {
        this.title(left, 3);
        text = this.stripPrefixes(right);
      } else if (leftIsPhrase && left.split(/\s+/).length <= 6 && !rightIsClause) {
        const head = left.replace(
          /\s+(?:with|having|has|have|contains?|includes?)(?:\s+(?:the\s+following|these|some))?(?:\s+(?:fields?|attributes|properties|columns|details|info(?:rmation)?))?$/i,
          '',
        );
        if (this.declaration(head, right, s)) return;
      }
    }

    // "a blog platform where users can sign up", "a shop that lets customers order cakes".
    const where = text.match(
      /^(.*?\b(?:app|application|system|platform|site|website|portal|tool|service|api|backend|software|program|marketplace|shop|store|tracker|manager|crm|trainer|planner|organi[sz]er|journal|diary|log|catalog(?:ue)?|directory|scheduler|hub|board|assistant|game|bot))s?\s+(?:where|in\s+which|through\s+which|that\s+lets|which\s+lets|that\s+allows|which\s+allows|so\s+that|letting|allowing|to\s+let|to\s+allow|for\s+(?=\w+\s+(?:to|who)\b))\s+(.+)$/i,
    );
    if (where !== null && findVerb(tokenize(where[1]!)) === -1) {
      this.title(where[1]!, 3);
      this.understood(s);
      text = this.stripPrefixes(
        where[2]!.replace(/^(\w+(?:\s+\w+)?)\s+(?:to|who\s+can)\s+/i, '$1 can '),
      );
    }

    const subjectParen = text.match(
      /^((?:(?:a|an|the|each|every|all)\s+)?[A-Za-z][\w' ]{0,40}?)\s*\(([^()]+)\)\s+(.+)$/,
    );
    if (
      subjectParen !== null &&
      findVerb(clauseTokens(subjectParen[1]!)) === -1 &&
      findVerb(clauseTokens(`${subjectParen[1]!} ${subjectParen[3]!}`)) !== -1
    ) {
      this.declaration(subjectParen[1]!, subjectParen[2]!, s);
      text = `${subjectParen[1]!} ${subjectParen[3]!}`;
    }

    if (this.constraint(text, s)) return;
    if (this.manyToMany(text, s)) return;
    if (this.rolesList('', text, s)) return;
    if (this.dashOrParenDeclaration(text, s)) return;
    if (this.forEach(text, s)) return;
    if (this.attributesOfEach(text, s)) return;
    if (this.bareEntityList(text, s)) return;
    if (this.relativeClause(text, s)) return;
    if (this.appPurpose(text, s)) return;

    // "Customers open a return request, choosing a reason and adding photos": what the gerunds
    // supply are attributes of the record the main clause creates.
    const gerunds = splitOutsideParens(
      text,
      /,\s*(?:by\s+)?(?=(?:choosing|selecting|picking|giving|adding|entering|specifying|providing|setting|uploading|attaching|including|writing|filling\s+in|stating|indicating|typing)\s)/gi,
    );
    let details: string[] = [];
    if (gerunds.length > 1) {
      text = gerunds[0]!.piece.trim();
      details = gerunds
        .slice(1)
        .flatMap((g) =>
          splitOutsideParens(
            g.piece,
            new RegExp(`,?\\s+and\\s+(?=${GERUND_DETAIL.source.slice(1)})`, 'gi'),
          ),
        )
        .map((g) => g.piece.trim().replace(GERUND_DETAIL, '').trim())
        .filter((d) => d !== '');
    }
    for (const clause of this.splitClauses(text)) this.clause(clause, s);
    const owner = this.lastObjects[0];
    if (owner !== undefined) {
      for (const d of details) {
        for (const item of parseList(d.replace(/^(?:it|them)\s+/i, ''), 'fields')) {
          if (item.words.length > 0 && item.words.length <= 4)
            this.addItem(owner, item, s.text, 0.8);
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Prefixes and titles

  private stripPrefixes(input: string): string {
    let t = input.trim();
    // "When a patient comes in, we create a visit": keep the main clause.
    const subordinate = t.match(
      /^(?:when|whenever|once|after|before|if|as\s+soon\s+as|(?:each|every)\s+time(?=\s+(?:a|an|the|we|i|you|they|someone|somebody|users?|customers?)\b))\s+.+?(?:,\s*|\s+(?=(?:we|i|you|they|the\s+(?:app|system|platform))\s))(.+)$/i,
    );
    if (subordinate !== null) t = subordinate[1]!.trim();
    // User stories: "As a librarian, I want to add books so that ..." -> "librarians can add books".
    const story = t.match(
      /^as\s+(?:a|an|the)\s+([a-z][a-z ]*?)\s*,?\s+(?:i|we)\s+(?:want|would\s+like|'d\s+like|need|wish|can|should\s+be\s+able|must\s+be\s+able|am\s+able|expect)\s+(?:to\s+)?(?:be\s+able\s+to\s+)?(.+?)(?:,?\s+so\s+(?:that\s+)?.*)?$/i,
    );
    if (story !== null) {
      const role = words(story[1]!);
      this.storyActors.add(singularPhrase(role).join(' '));
      t = `${pluralPhrase(role).join(' ')} can ${story[2]!}`;
    }
    for (let i = 0; i < 6; i++) {
      const before = t;
      t = t
        .replace(
          /^(?:so|also|additionally|finally|and|then|basically|ideally|obviously|of course|please|plus|oh|ok|okay|note)\b,?\s+/i,
          '',
        )
        .replace(
          /^(?:i|we)(?:'d|'ll| would| also| really| will| just)*\s+(?:like|love|want|need|wish|hope|expect|require)\s+((?:(?!to\b)[a-z]+\s+){1,2})to\s+(?=[a-z])/i,
          '$1',
        )
        .replace(
          /^(?:i|we)(?:'d|'ll| would| also| really| will| just)*\s+(?:like|love|want|need|wish|hope|plan|intend|require|expect|have)(?:\s+you)?(?:\s+to)?(?:\s+(?:have|build|create|make|get|be\s+able\s+to|also|easily|quickly|a\s+way\s+to))*\s+/i,
          '',
        )
        .replace(
          /^(?:we're|we are|i'm|i am)\s+(?:building|making|creating|developing|writing|designing|planning)\s+/i,
          'build ',
        )
        .replace(
          /^(?:build|create|make|develop|design|write|generate)\s+(?=(?:a|an|the|me|us|my|our)\b)/i,
          '',
        )
        .replace(/^(?:me|us)\s+/i, '')
        .replace(/^(?:need|needs|want|wanna|gotta|have|has|got)\s+to\s+(?=[a-z])/i, '')
        .replace(
          /^(?:[a-z]+\s+){0,3}?(?:needs?|wants?|requires?|would\s+like|is\s+looking\s+for|are\s+looking\s+for)\s+(?:a|an|some)\s+(?:way|app|application|system|tool|platform|place|website|site)\s+to\s+/i,
          '',
        )
        .replace(/^(?:a|some)\s+way\s+to\s+/i, '')
        .replace(
          /^(?:the|this|our|my)\s+(?:app|application|system|platform|site|website|tool|service|api|backend|software|program|portal|product|solution)\s+(?:should|must|will|needs?\s+to|has\s+to|shall|can|is\s+going\s+to|is\s+supposed\s+to)\s+(?:be\s+able\s+to\s+|also\s+)*/i,
          '',
        )
        .replace(
          /^(?:it|this)\s+(?:should|must|will|needs?\s+to|has\s+to|shall)\s+(?:also\s+)?/i,
          '',
        )
        .replace(/^(?:allow|enable|permit)s?\s+([a-z]+(?:\s+[a-z]+)?)\s+to\s+/i, '$1 can ')
        .replace(/^lets?\s+(.+)$/i, (all: string, rest: string) => letClause(rest) ?? all)
        .replace(
          /^there\s+(?:is|are|will\s+be|should\s+be|must\s+be)\s+(?=(?:a|an|some|many|several|multiple|\w+s)\b)/i,
          '',
        )
        .trim();
      if (t === before) break;
    }
    return (
      t
        .replace(/\b(?:should|must|will|shall|need\s+to|needs\s+to)\s+be\s+able\s+to\b/gi, 'can')
        .replace(/\b(?:are|is)\s+able\s+to\b/gi, 'can')
        .replace(/\b(?:must|should|will|shall|need\s+to|needs\s+to)\s+(?:can|could)\b/gi, 'can')
        .replace(/\bcan\s+(?:also|easily|quickly|optionally)\b/gi, 'can')
        .replace(
          /\bcheck\s+([a-z]+(?:\s+[a-z]+)?)\s+in\s+and\s+out\b/gi,
          'check in and check out $1',
        )
        .replace(
          /\b(?:keep|keeps|keeping)\s+(?:a\s+)?(?:track|record|records|log)\s+of\b/gi,
          'track',
        )
        .replace(/\b(?:take|takes)\s+care\s+of\b/gi, 'manage')
        // "a rating from 1 to 5": a range, kept away from the prepositions that split clauses.
        .replace(
          /\b(?:from|between)\s+(\d+(?:\.\d+)?)\s+(?:to|and)\s+(\d+(?:\.\d+)?)\b/gi,
          '($1-$2)',
        )
    );
  }

  private isTitleLike(text: string, index: number): boolean {
    const ws = words(text);
    if (ws.length === 0 || ws.length > 7) return false;
    if (TRACK_VERBS.has(ws[0]!)) return false;
    return ws.some((w) => APP_NOUNS.has(w) || w === 'crm' || w === 'cms') || index === 0;
  }

  private title(text: string, strength: number): void {
    const cut = text.split(/\s+(?:for|where|with|that|which|to|who|so|in\s+which|where)\s+/i);
    let ws = words(cut[0]!);
    ws = ws.filter(
      (w) => !FILLER_ADJECTIVES.has(w) && !DETERMINERS.has(w) && w !== 'i' && w !== 'we',
    );
    if (ws.length > 0 && ws.every((w) => APP_NOUNS.has(w)) && cut.length > 1) {
      let rest = words(cut[1]!);
      if (rest[0] !== undefined && (TRACK_VERBS.has(rest[0]) || isActionVerbWord(rest[0])))
        rest = rest.slice(1);
      const extra = rest.filter(
        (w) =>
          !DETERMINERS.has(w) &&
          !/^(?:my|our|your|their|help|helping|us|me|people|business|company|organization|organisation|team)$/.test(
            w,
          ),
      );
      ws = [...extra.slice(0, 3), ...ws];
    }
    if (ws.length === 0 || ws.length > 6) return;
    this.claims.titles.push({ words: ws, strength, order: this.claims.titles.length });
  }

  private scanTitle(text: string): void {
    if (
      /^(?:(?:main|core|key)\s+)?(?:entities|models|tables|objects|resources|records|data|roles?|features?|requirements?)\s*:/i.test(
        text,
      )
    )
      return;
    const called = text.match(
      /\b(?:called|named)\s+["']?([A-Za-z][\w\s-]{1,40}?)["']?(?:[,.]|\s+(?:for|that|which|where|to|with)\b|$)/i,
    );
    if (called !== null) this.title(called[1]!, 5);
    const tokens = tokenize(this.stripPrefixes(text));
    if (findVerb(tokens) === -1 && words(text).length <= 10) {
      this.title(this.stripPrefixes(text), 3);
      return;
    }
    const appNoun = text.match(
      /\b((?:[a-z][\w-]*\s+){0,3}(?:app|application|system|platform|tool|tracker|manager|site|website|portal|service|api|backend|crm|register|hosting|marketplace|shop|store))\b/i,
    );
    if (appNoun !== null) {
      const ws = words(appNoun[1]!);
      let start = ws.length - 1;
      while (start > 0) {
        const w = ws[start - 1]!;
        if (
          DETERMINERS.has(w) ||
          MODALS.has(w) ||
          COPULAS.has(w) ||
          /^(?:i|we|need|want|build|building|make|create|like|run|have|an?)$/.test(w)
        )
          break;
        start--;
      }
      const phrase = ws.slice(start).filter((w) => !FILLER_ADJECTIVES.has(w));
      if (phrase.length >= 2) this.title(phrase.join(' '), 2);
    }
    const run = text.match(
      /\b(?:we|i)\s+(?:run|own|operate|manage|have)\s+(?:a|an)\s+((?:[a-z]+\s+){0,3}[a-z]+)/i,
    );
    if (run !== null)
      this.title(run[1]!.replace(/\s+(?:and|to|for|with|that|where|which|who|in|at)\b.*$/i, ''), 1);
  }

  // ---------------------------------------------------------------------------------------------
  // Specific forms

  /** "Roles: admin, member", "There are three roles: student, instructor and admin". */
  private rolesList(left: string, right: string, s: Statement): boolean {
    const text = left === '' ? right : `${left}: ${right}`;
    const m = text.match(
      /^(?:there\s+(?:are|will\s+be|should\s+be)\s+)?(?:(?:two|three|four|five|six|\d+)\s+)?(?:different\s+)?(?:user\s+)?(?:roles?|types\s+of\s+(?:users?|accounts?)|kinds\s+of\s+(?:users?|accounts?)|user\s+types|account\s+types|access\s+levels|permission\s+levels)\s*(?::|-|are|include|including|like|such\s+as)\s*(.+)$/i,
    );
    if (m === null) return false;
    const list = m[1]!.replace(/\s*[-:]\s+.*$/, '');
    const roles = list
      .split(/\s*(?:,|\band\b|\bor\b|\/|&)\s*/i)
      .map((r) => entityWords(r.replace(/\s+(?:who|which|that|can|with)\b.*$/i, '')))
      .filter((r) => r.length > 0 && r.length <= 3);
    for (const role of roles) {
      this.claims.auth.roles.push({ words: singularPhrase(role), source: s.text, explicit: true });
    }
    this.claims.auth.sources.push(s.text);
    this.understood(s);
    return roles.length > 0;
  }

  /** "Books are identified by a unique ISBN", "Emails must be unique", "A title is required". */
  private constraint(text: string, s: Statement): boolean {
    const add = (
      entityText: string | undefined,
      fieldText: string,
      flag: 'unique' | 'required',
    ): boolean => {
      const item = cleanItem(fieldText);
      if (item.words.length === 0 || item.words.length > 4) return false;
      item[flag] = true;
      if (entityText === undefined) {
        this.claims.constraints.push({ words: item.words, [flag]: true, source: s.text });
      } else {
        const ws = this.canonical(entityWords(entityText));
        if (ws.length === 0 || isGeneric(ws)) return false;
        const key = this.claims.entity(ws, 'mentioned', s.text);
        this.claims.attributes.push({ entity: key, item, source: s.text, confidence: 0.8 });
      }
      this.understood(s);
      return true;
    };
    const identified = text.match(
      /^(?:each|every|a|an|the|all)?\s*([a-z][\w ]*?)\s+(?:is|are|can\s+be|must\s+be)\s+(?:uniquely\s+)?identified\s+by\s+(?:a|an|the|its|their|his|her)?\s*(?:unique\s+)?([a-z][\w ]*?)$/i,
    );
    if (identified !== null) return add(identified[1]!, identified[2]!, 'unique');
    const noTwo = text.match(
      /^no\s+two\s+([a-z][\w ]*?)\s+(?:can|may|should|must|will)\s+(?:have|share|use)\s+the\s+same\s+([a-z][\w ]*)$/i,
    );
    if (noTwo !== null) return add(noTwo[1]!, noTwo[2]!, 'unique');
    const flag = text.match(
      /^(?:the\s+|each\s+|every\s+)?([a-z][\w' ]*?)\s+(?:must|should|has\s+to|have\s+to|needs?\s+to|is|are)\s+(?:be\s+)?(?:always\s+)?(unique|required|mandatory|compulsory)(?:\s+(?:for|per|across|among|in)\s+(?:each|every|all|a|an)?\s*([a-z][\w ]*))?$/i,
    );
    if (flag !== null) {
      const kind = /unique/i.test(flag[2]!) ? 'unique' : 'required';
      let fieldText = flag[1]!;
      let entityText = flag[3];
      const of = fieldText.match(/^(.+?)\s+(?:of|for)\s+(?:each|every|a|an|the)\s+(.+)$/i);
      const poss = fieldText.match(
        /^(?:each|every|a|an|the)?\s*([a-z]+(?:\s+[a-z]+)?)'s?\s+(.+)$/i,
      );
      if (of !== null) {
        fieldText = of[1]!;
        entityText = of[2]!;
      } else if (poss !== null && /'/.test(fieldText)) {
        entityText = poss[1]!;
        fieldText = poss[2]!;
      }
      return add(entityText, fieldText, kind);
    }
    return false;
  }

  /** "Orders and products are many-to-many", "many-to-many between X and Y". */
  private manyToMany(text: string, s: Statement): boolean {
    const patterns: RegExp[] = [
      /^(.+?)\s+and\s+(.+?)\s+(?:are|have|has|share|form|with)\s+(?:a\s+)?many[\s-]to[\s-]many\b/i,
      /\bmany[\s-]to[\s-]many\s+(?:relationship\s+|relation\s+|link\s+)?between\s+(.+?)\s+and\s+(.+)$/i,
      /^(.+?)\s+(?:has|have|is\s+in|are\s+in)\s+(?:a\s+)?many[\s-]to[\s-]many\s+(?:relationship|relation|link)?\s*(?:with|to)\s+(.+)$/i,
    ];
    // "Students and courses are linked": a link without a cardinality, read as many-to-many.
    patterns.push(
      /^(?:the\s+)?([a-z][\w ]*?)\s+and\s+(?:the\s+)?([a-z][\w ]*?)\s+(?:are|can\s+be|should\s+be|must\s+be|will\s+be)\s+(?:linked|connected|related|associated|cross[\s-]referenced)(?:\s+(?:to|with)\s+(?:each\s+other|one\s+another))?$/i,
    );
    for (const re of patterns) {
      const m = text.match(re);
      if (m === null) continue;
      const aw = entityWords(m[1]!);
      const bw = entityWords(m[2]!);
      if (aw.length === 0 || bw.length === 0 || aw.length > 3 || bw.length > 3) continue;
      if (isGeneric(aw) || isGeneric(bw) || isContainer(aw) || isContainer(bw)) continue;
      const a = this.claims.entity(this.canonical(aw), 'related', s.text);
      const b = this.claims.entity(this.canonical(bw), 'related', s.text);
      this.claims.relations.push({
        kind: 'many_to_many',
        from: a,
        to: b,
        required: false,
        confidence: 0.95,
        source: s.text,
      });
      this.understood(s);
      return true;
    }
    const oneToMany = text.match(
      /^(.+?)\s+(?:has|have)\s+(?:a\s+)?one[\s-]to[\s-]many\s+(?:relationship|relation)?\s*(?:with|to)\s+(.+)$/i,
    );
    if (oneToMany !== null) {
      const a = this.claims.entity(entityWords(oneToMany[1]!), 'related', s.text);
      const b = this.claims.entity(entityWords(oneToMany[2]!), 'related', s.text);
      this.claims.relations.push({
        kind: 'has_many',
        from: a,
        to: b,
        required: false,
        confidence: 0.95,
        source: s.text,
      });
      this.understood(s);
      return true;
    }
    return false;
  }

  /** "Book: title, author" / "Projects with fields: name, ..." style declaration. */
  private declaration(head: string, list: string, s: Statement): boolean {
    const ws = entityWords(
      head.replace(/\s+(?:fields?|attributes|properties|columns|table|entity|model|details)$/i, ''),
    );
    if (ws.length === 0 || ws.length > 4 || isContainer(ws)) return false;
    if (!/[,]|\band\b/.test(list) && list.split(/\s+/).length > 6) return false;
    const items = parseList(list, 'fields');
    if (items.length === 0) return false;
    const key = this.claims.entity(ws, 'declared', s.text);
    for (const item of items) this.addItem(key, item, s.text, 0.9);
    this.understood(s);
    return true;
  }

  /** "Category - name, slug", "customers (name, phone)", "Projects with fields: ...". */
  private dashOrParenDeclaration(text: string, s: Statement): boolean {
    const dash = text.match(/^([A-Za-z][\w' ]{0,40}?)\s+-\s+(.+)$/);
    if (dash !== null && findVerb(tokenize(dash[1]!)) === -1) {
      return this.declaration(dash[1]!, dash[2]!, s);
    }
    const paren = text.match(/^([A-Za-z][\w' ]{0,40}?)\s*\(([^()]+)\)$/);
    if (paren !== null && findVerb(tokenize(paren[1]!)) === -1) {
      return this.declaration(paren[1]!, paren[2]!, s);
    }
    const withFields = text.match(
      /^([A-Za-z][\w' ]{0,50}?)\s+(?:with|having|containing|including)\s+(?:the\s+following\s+)?(?:fields?|attributes|properties|columns|details|info(?:rmation)?)?\s*:?\s*(.+)$/i,
    );
    if (withFields !== null) {
      const headTokens = tokenize(withFields[1]!);
      if (findVerb(headTokens) === -1 && headTokens.length <= 6) {
        const head = withFields[1]!.replace(
          /^(?:a|an|the)\s+(?:list|set|collection|history|log|record)\s+of\s+/i,
          '',
        );
        return this.declaration(head, withFields[2]!, s);
      }
    }
    return false;
  }

  /** "For each vehicle store the plate number, make, model ..." */
  private forEach(text: string, s: Statement): boolean {
    const m =
      text.match(
        /^for\s+(?:each|every|all|any|a|an)\s+([a-z][\w' ]*?)\s*,?\s+(?:(?:we|i|you|the\s+(?:app|system))\s+)?(?:(?:will|want\s+to|need\s+to|should|must|would\s+like\s+to|'ll|also)\s+)*(?:store|keep|track|record|save|capture|hold|need|want|have|list|log|show|display|collect|know|include|require)s?\s+(.+)$/i,
      ) ?? text.match(/^for\s+(?:each|every)\s+([a-z][\w' ]*?)\s*[:,-]\s*(.+)$/i);
    if (m === null) return false;
    const list = m[2]!.replace(/^(?:its|their|the|his|her)\s+/i, '');
    return this.declaration(m[1]!, list, s);
  }

  /** "(We) store the title, author and price of each book." */
  private attributesOfEach(text: string, s: Statement): boolean {
    const m = text.match(
      /^(?:(?:we|i|the\s+(?:app|system))\s+)?(?:store|keep|track|record|save|capture|need|want|list|log|collect|show|display)s?\s+(?:the\s+)?(.+?)\s+(?:of|for)\s+(?:each|every|a|an|the|all)\s+([a-z]+(?:\s+[a-z]+)?)$/i,
    );
    if (m === null) return false;
    if (!/,|\band\b/.test(m[1]!)) return false;
    return this.declaration(m[2]!, m[1]!, s);
  }

  /** "Walkers, dogs, owners." */
  private bareEntityList(text: string, s: Statement): boolean {
    const pieces = text.split(/\s*(?:,|\band\b|&)\s*/i).filter((p) => p.trim() !== '');
    if (pieces.length < 2) return false;
    const phrases = pieces.map((p) => entityWords(p));
    const ok = phrases.every(
      (p, i) =>
        p.length >= 1 &&
        p.length <= 3 &&
        isPluralWord(p[p.length - 1]!) &&
        findVerb(tokenize(pieces[i]!)) === -1,
    );
    if (!ok) return false;
    for (const p of phrases) {
      if (!isGeneric(p) && !isContainer(p)) this.claims.entity(p, 'listed', s.text);
    }
    this.understood(s);
    return true;
  }

  /** "... with tasks that have a title and a due date." */
  private relativeClause(text: string, s: Statement): boolean {
    const m = text.match(
      /^(.*?)\b([a-z]+(?:\s+[a-z]+)?)\s+(?:that|which|who)\s+(?:each\s+)?(?:has|have|contain|contains|include|includes|store|stores|consist\s+of|consists\s+of|come\s+with|comes\s+with)\s+(.+)$/i,
    );
    if (m === null) return false;
    const before = m[1]!;
    let np = words(m[2]!);
    // Keep only the noun phrase after the last preposition/determiner ("with tasks" -> "tasks").
    const cut = np.findLastIndex((w) => PREPOSITIONS.has(w) || DETERMINERS.has(w));
    if (cut >= 0) np = np.slice(cut + 1);
    if (np.length === 0 || isContainer(np) || isGeneric(np)) return false;
    const lead = `${before}${words(m[2]!)
      .slice(0, cut + 1)
      .join(' ')}`.trim();
    const leadTokens = tokenize(lead);
    const leadVerb = findVerb(leadTokens);
    if (
      leadVerb !== -1 &&
      !/\b(?:with|for|of|about)\s*$/i.test(lead) &&
      !leadTokens.some((t) => APP_NOUNS.has(t.word))
    ) {
      return false;
    }
    if (lead !== '') this.title(lead.replace(/\s+(?:with|for|of|about)\s*$/i, ''), 3);
    return this.declaration(np.join(' '), m[3]!, s);
  }

  /** "a system to manage appointments", "an app for tracking books and authors". */
  private appPurpose(text: string, s: Statement): boolean {
    const m = text.match(
      /\b(?:app|application|system|platform|tool|site|website|portal|software|program|api|backend|service|database)s?\s+(?:to|for|that|which|where\s+\w+\s+can|that\s+lets\s+\w+|so\s+\w+\s+can)\s+(?:help\s+(?:\w+\s+)?)?(?:us\s+|me\s+)?(?:manage|track|store|keep\s+track\s+of|record|organi[sz]e|handle|catalog(?:ue)?|log|schedule|monitor|administer|manag(?:ing)|track(?:ing)|stor(?:ing)|record(?:ing)|organi[sz](?:ing)|handl(?:ing)|schedul(?:ing)|monitor(?:ing))\s+(?:our\s+|my\s+|the\s+|all\s+)?(.+)$/i,
    );
    if (m === null) return false;
    this.entityList(m[1]!, s, 'listed');
    return true;
  }

  /** A list of entities, each optionally with attributes ("members (name), trainers with a rate"). */
  private entityList(text: string, s: Statement, strength: 'listed' | 'declared'): void {
    // "track which friends borrowed which records": a clause about records.
    if (/^(?:which|what|who|whom|when|where|how)\b/i.test(text.trim())) {
      const clause = text
        .replace(/\b(?:which|what|whose)\s+/gi, '')
        .replace(/,?\s+(?:and|or)\s+(?:when|where|how|why|who)\b.*$/i, '')
        .trim();
      if (clause !== '' && !/^(?:who|whom|when|where|how)\b/i.test(clause)) this.clause(clause, s);
      return;
    }
    // "each volunteer's name, phone and email".
    const possessive = text.match(
      /^(?:each|every|the|our|all|a|an)?\s*([a-z]+(?:\s+[a-z]+)?)'s?\s+(.+)$/i,
    );
    if (possessive !== null && /'/.test(text.split(/\s+/).slice(0, 4).join(' '))) {
      if (this.declaration(possessive[1]!, possessive[2]!, s)) return;
    }
    // "list animals (...) and keep applications ...": two lists.
    const second = splitOutsideParens(
      text,
      /\s+and\s+(?=(?:also\s+)?(?:keep|track|store|record|manage|list|log|save|maintain|handle|hold)\s)/gi,
    );
    if (second.length > 1) {
      this.entityList(second[0]!.piece, s, strength);
      for (const more of second.slice(1)) this.clause(more.piece.replace(/^also\s+/i, ''), s);
      return;
    }
    const colon = text.match(/^([^:]{1,80}?)\s*(?::|\s-\s)\s*(.+)$/);
    if (colon !== null) {
      const head = entityPhrase(colon[1]!);
      if (head !== '' && findVerb(tokenize(head)) === -1 && this.declaration(head, colon[2]!, s))
        return;
    }
    const items = parseList(text, 'entities', {
      startsEntity: (item) =>
        item.plural && (this.known(entityWords(item.words)) || item.sub.length > 0),
    });
    for (const item of items) {
      // "handle thousands of users and be GDPR compliant": amounts and verb phrases, not records.
      if (/^(?:be|is|are|being|been|stay|remain|work|run|scale|support)$/.test(item.words[0] ?? ''))
        continue;
      if (/^(?:hundreds|thousands|millions|billions|dozens|tons|lots)$/.test(item.words[0] ?? ''))
        continue;
      const ws = entityWords(entityPhrase(item.words.join(' ')));
      if (ws.length === 0 || ws.length > 4 || isGeneric(ws) || isContainer(ws)) continue;
      const key = this.claims.entity(ws, item.sub.length > 0 ? 'declared' : strength, s.text);
      for (const sub of item.sub) this.addItem(key, sub, s.text, 0.85);
    }
    this.understood(s);
  }

  // ---------------------------------------------------------------------------------------------
  // Clauses

  /** Splits "Students enroll in courses, and each course has a title" into two clauses. */
  private splitClauses(text: string): string[] {
    const tokens = tokenize(maskParens(text).split('\u0001').join('x'));
    const original = text.split(/\s+/).filter((t) => t.length > 0);
    if (original.length !== tokens.length) return [text];
    const cuts: number[] = [];
    for (let k = 1; k < tokens.length - 1; k++) {
      const prevText = tokens[k - 1]!.text;
      const t = tokens[k]!;
      const conj = /^(?:and|but|while|whereas|so)$/.test(t.word);
      const commaEach = prevText.endsWith(',') && /^(?:each|every)$/.test(t.word);
      if (!conj && !commaEach) continue;
      const start = conj ? k + 1 : k;
      let j = start;
      let nouns = 0;
      while (j < tokens.length && DETERMINERS.has(tokens[j]!.word)) {
        // "..., and some have a monitor": a quantifier standing for the subject.
        const next = tokens[j + 1];
        if (
          /^(?:some|most|many|all|each|they|these|those|few|several)$/.test(tokens[j]!.word) &&
          next !== undefined &&
          isStrongVerb(next.word)
        ) {
          nouns = 1;
          j++;
          break;
        }
        j++;
      }
      while (
        j < tokens.length &&
        nouns < 4 &&
        !isStrongVerb(tokens[j]!.word) &&
        !(nouns > 0 && isVerbAt(tokens, j))
      ) {
        if (
          PREPOSITIONS.has(tokens[j]!.word) ||
          NOT_SUBJECT.has(tokens[j]!.word) ||
          tokens[j]!.text.includes(',')
        ) {
          nouns = 0;
          break;
        }
        nouns++;
        j++;
      }
      if (nouns === 0 || j >= tokens.length) continue;
      const verb = tokens[j]!;
      // A verb closing the sentence is a participle ("... and hours flown"), not a new clause.
      if (!isStrongVerb(verb.word) && j + 1 >= tokens.length) continue;
      if (!(
        isStrongVerb(verb.word) ||
        (isVerbAt(tokens, j) && agrees(tokens.slice(start, j), verb))
      ))
        continue;
      const left = tokens.slice(cuts.length > 0 ? cuts[cuts.length - 1]! : 0, k);
      if (findVerb(left) === -1 && !left.some((_, i) => isVerbAt(left, i))) continue;
      cuts.push(start);
    }
    if (cuts.length === 0) return [text];
    const out: string[] = [];
    let from = 0;
    for (const c of cuts) {
      out.push(
        original
          .slice(from, c)
          .join(' ')
          .replace(/[,;]?\s*(?:and|but|while|whereas|so)?\s*$/i, '')
          .replace(/,$/, ''),
      );
      from = c;
    }
    out.push(original.slice(from).join(' '));
    return out.filter((c) => hasLetters(c));
  }

  private clause(text: string, s: Statement): void {
    const tokens = tokenize(text);
    const vi = findVerb(tokens);
    if (vi === -1) {
      if (s.index === 0 || (words(text).length <= 8 && this.isTitleLike(text, s.index))) {
        this.understood(s); // a title line ("A library app")
        return;
      }
      this.claims.notes.push({
        level: 'warning',
        message: `Did not understand "${text}".`,
        source: s.text,
      });
      return;
    }
    let subject = parseSubject(this.subjectHead(tokens.slice(0, vi), s));
    // "they have ...", "some have a monitor": the previous clause's subject (some: optional).
    const pronoun = subject.text
      .trim()
      .toLowerCase()
      .replace(/\s+of\s+(?:them|these|those)$/, '');
    this.partialSubject = false;
    if (
      /^(?:they|some|most|many|all|each|few|a\s+few|several|these|those)$/.test(pronoun) &&
      this.previousSubject !== null
    ) {
      this.partialSubject =
        pronoun !== 'they' &&
        pronoun !== 'all' &&
        pronoun !== 'each' &&
        pronoun !== 'these' &&
        pronoun !== 'those';
      subject = this.previousSubject;
    } else if (subject.parts.length > 0) {
      this.previousSubject = subject;
    }
    this.currentSubjectHadThe = /^the\s/i.test(subject.text);
    const predicate = tokens.slice(vi);
    const vps = this.splitPredicates(predicate);
    // Verbs without an object share the next one: "create, edit and delete posts".
    let nextObject = '';
    const resolved: { verbTokens: Token[]; rest: string; must: boolean }[] = [];
    for (let i = vps.length - 1; i >= 0; i--) {
      const vp = vps[i]!;
      const { head, rest, must } = this.verbHead(vp);
      const isAuth = AUTH_PATTERN.test(
        head.map((t) => t.word).join(' ') + (rest.trim() === '' ? '' : ` ${rest}`),
      );
      if (rest.trim() === '' && nextObject !== '' && !isAuth)
        resolved.unshift({ verbTokens: head, rest: nextObject, must });
      else {
        resolved.unshift({ verbTokens: head, rest, must });
        nextObject = rest;
      }
    }
    let handled = false;
    this.lastObjects = [];
    for (const vp of resolved) {
      this.mustHave = vp.must;
      handled = this.verbPhrase(subject, vp.verbTokens, vp.rest, s) || handled;
    }
    this.mustHave = false;
    if (handled) this.understood(s);
    else
      this.claims.notes.push({
        level: 'warning',
        message: `Did not understand "${text}".`,
        source: s.text,
      });
  }

  /**
   * The head of a subject with a modifier: "parts used on a repair order" -> "parts" (and a part
   * belongs to a repair order); "users with admin rights" -> "users".
   */
  private subjectHead(tokens: readonly Token[], s: Statement): string {
    const cut = tokens.findIndex(
      (t, i) =>
        i > 0 &&
        (PREPOSITIONS.has(t.word) ||
          (/ed$/.test(t.word) && PREPOSITIONS.has(tokens[i + 1]?.word ?? ''))),
    );
    if (cut <= 0) return tokens.map((t) => t.text).join(' ');
    const head = tokens
      .slice(0, cut)
      .map((t) => t.text)
      .join(' ');
    const modifier = tokens
      .slice(cut)
      .map((t) => t.text)
      .join(' ');
    const pp = modifier.match(
      /\b(?:on|in|of|for|from|at)\s+(?:a|an|the|each|every)?\s*([a-z]+(?:\s+[a-z]+)?)$/i,
    );
    if (pp !== null) {
      const owner = this.canonical(entityWords(pp[1]!));
      const child = entityWords(head);
      if (owner.length > 0 && child.length > 0 && !isGeneric(child) && !isGeneric(owner)) {
        const from = this.claims.entity(owner, 'mentioned', s.text);
        const to = this.claims.entity(child, 'mentioned', s.text);
        this.claims.relations.push({
          kind: 'has_many',
          from,
          to,
          required: false,
          confidence: 0.6,
          source: s.text,
          conditional: true,
        });
      }
    }
    return head;
  }

  /** Splits a predicate at "and/or/," followed by another verb. */
  private splitPredicates(tokens: Token[]): Token[][] {
    const out: Token[][] = [];
    let current: Token[] = [];
    let depth = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      const opens = (t.text.match(/\(/g) ?? []).length;
      const closes = (t.text.match(/\)/g) ?? []).length;
      const prev = tokens[i - 1];
      const afterConj =
        prev !== undefined && (/^(?:and|or|then)$/.test(prev.word) || prev.text.endsWith(','));
      const inValueList = current.some((c) => c.text.includes(':'));
      const canSplit = inValueList
        ? this.startsStrongPhrase(tokens, i)
        : this.startsVerbPhrase(tokens, i);
      if (depth === 0 && i > 0 && afterConj && current.length > 1 && canSplit) {
        if (/^(?:and|or|then)$/.test(current[current.length - 1]!.word)) current.pop();
        const last = current[current.length - 1];
        if (last !== undefined) last.text = last.text.replace(/,$/, '');
        out.push(current);
        current = [];
      }
      current.push({ ...t });
      depth += opens - closes;
    }
    if (current.length > 0) out.push(current);
    return out;
  }

  private startsStrongPhrase(tokens: readonly Token[], i: number): boolean {
    let j = i;
    while (j < tokens.length && /^(?:can|may|must|should|will|also|then)$/.test(tokens[j]!.word))
      j++;
    const t = tokens[j];
    return (
      t !== undefined &&
      /^(?:is|are|has|have|belongs?|contains?|includes?|refers?|lives?|works?|consists?)$/.test(
        t.word,
      )
    );
  }

  private startsVerbPhrase(tokens: readonly Token[], i: number): boolean {
    let j = i;
    while (
      j < tokens.length &&
      /^(?:can|may|must|should|will|also|then|optionally|to)$/.test(tokens[j]!.word)
    )
      j++;
    const t = tokens[j];
    if (t === undefined) return false;
    if (
      /^(?:is|are|has|have|belongs?|contains?|includes?|refers?|lives?|works?|gets?|consists?)$/.test(
        t.word,
      )
    )
      return true;
    // A participle or bare verb closing a list is a value or adjective ("published or archived").
    const next = tokens[j + 1];
    if (next === undefined) return false;
    // A verb the lexicon does not know, followed by its object ("and practice them").
    if (
      !isActionVerbWord(t.word) &&
      t.tags.has('Verb') &&
      !t.tags.has('Noun') &&
      (DETERMINERS.has(next.word) || /^(?:them|it|him|her|us|me)$/.test(next.word))
    ) {
      return true;
    }
    if (/ed$/.test(t.word) && (/^(?:and|or)$/.test(next.word) || t.text.endsWith(',')))
      return false;
    return isActionVerbWord(t.word) && isVerbAt(tokens, j);
  }

  /** Separates modal/adverbs and the verb (with particle) from the rest of a verb phrase. */
  private verbHead(vp: Token[]): { head: Token[]; rest: string; must: boolean } {
    let i = 0;
    const must = vp.some((t, k) => k < 3 && /^(?:must|always)$/.test(t.word));
    while (
      i < vp.length &&
      (/^(?:can|could|may|might|must|should|shall|will|would|also|only|always|then|directly|easily|quickly|optionally|not|cannot|to)$/.test(
        vp[i]!.word,
      ) ||
        (/^(?:need|needs|have|has)$/.test(vp[i]!.word) && vp[i + 1]?.word === 'to'))
    ) {
      if (vp[i]!.word === 'be' || vp[i]!.word === 'is') break;
      i++;
    }
    // Keep auxiliaries of passives/copulas together with the verb: "be assigned to".
    const head: Token[] = [];
    if (i < vp.length) head.push(vp[i]!);
    let j = i + 1;
    if (i < vp.length && COPULAS.has(vp[i]!.word)) {
      while (j < vp.length && /^(?:been|being|always|also|then|usually|often)$/.test(vp[j]!.word))
        j++;
      if (
        j < vp.length &&
        /(?:ed|en)$|^(?:made|paid|sold|held|sent|built|taught|bought|kept|set|put|run|led|done|given|shown|seen|read|found|met|won|lost)$/.test(
          vp[j]!.word,
        )
      ) {
        head.push(vp[j]!);
        j++;
      }
    }
    if (j < vp.length && PARTICLES.has(vp[j]!.word)) {
      const l = lemma(head[head.length - 1]?.word ?? '');
      const preps = VERB_PREPOSITIONS[l] ?? [];
      const phrasal =
        /^(?:check|sign|log|pick|drop|set|hand|turn|fill|look|opt|back|cross|tick|clock|mark)$/.test(
          l,
        );
      if (
        phrasal &&
        !(
          preps.includes(vp[j]!.word) &&
          vp[j + 1] !== undefined &&
          !PREPOSITIONS.has(vp[j + 1]!.word) &&
          l !== 'check' &&
          l !== 'sign' &&
          l !== 'log'
        )
      ) {
        head.push(vp[j]!);
        j++;
      }
    }
    return {
      head,
      rest: vp
        .slice(j)
        .map((t) => t.text)
        .join(' '),
      must,
    };
  }

  /** Handles one verb phrase of a clause. Returns whether it was understood. */
  private verbPhrase(subject: Subject, head: Token[], rest: string, s: Statement): boolean {
    const verbText = head.map((t) => t.word).join(' ');
    const full = `${verbText} ${rest}`.trim();
    const subjects = subject.parts;

    // Authentication: "users can sign up and log in", "agents log in with email and password".
    if (AUTH_PATTERN.test(full) && this.isAuthOnly(full)) {
      this.authClaim(subjects, full, s);
      return true;
    }

    const first = head[0]?.word ?? '';

    // Declarations: "each book has a title, ...".
    const consist = full.match(
      /^(?:is|are)\s+(?:made\s+up|composed|comprised)\s+of\s+(.+)$|^(?:consists?|comprises?)\s+(?:of\s+)?(.+)$/i,
    );
    const actionLikeHas =
      /^(?:save|saves|store|stores|keep|keeps|record|records|track|tracks|log|logs|hold|holds|capture|captures|list|lists)$/.test(
        first,
      ) &&
      subjects.length > 0 &&
      subjects.every(
        (p) =>
          isGeneric(p) || this.isPersonNoun(p) || this.storyActors.has(singularPhrase(p).join(' ')),
      );
    const pronounObject = /^(?:them|it|this|that|these|those|him|her)\b/i.test(rest);
    if (
      consist !== null ||
      (HAS_VERBS.has(first) && head.length === 1 && !actionLikeHas && !pronounObject)
    ) {
      const listText = consist !== null ? (consist[1] ?? consist[2])! : rest;
      return this.hasList(subjects, listText, consist !== null, s);
    }

    // "Every mission uses one drone": a thing using other known records refers to them.
    if (
      /^(?:uses?|involves?)$/.test(first) &&
      head.length === 1 &&
      subjects.length > 0 &&
      subjects.every((p) => !isGeneric(p) && !isContainer(p) && !this.isPersonNoun(p))
    ) {
      const items = parseList(rest, 'fields');
      if (items.length > 0 && items.every((i) => this.known(entityWords(i.words))))
        return this.hasList(subjects, rest, false, s);
    }

    // "a song can be in many playlists", "a player is on one team".
    const beIn = full.match(/^(?:is|are|be|appears?|appear)\s+(?:listed\s+)?(?:in|on)\s+(.+)$/i);
    if (beIn !== null) {
      const items = parseList(beIn[1]!, 'fields');
      if (
        items.length > 0 &&
        items.every(
          (i) =>
            i.words.length <= 3 &&
            (this.known(entityWords(i.words)) ||
              (i.quantifier === 'many' &&
                i.plural &&
                /\b(?:many|multiple|several)\b/i.test(i.raw))),
        )
      )
        return this.belongsTo(subjects, beIn[1]!, 'object', s);
    }

    // Relations: "belongs to an author", "is owned by a sales rep".
    for (const { re, owner } of BELONG_PATTERNS) {
      const m = full.match(re);
      if (m === null) continue;
      const objText = full.slice(m[0].length).trim();
      return this.belongsTo(subjects, objText, owner, s);
    }

    // Passive actions: "tickets can be checked in at the door".
    if (COPULAS.has(first) && head.length >= 2) {
      return this.passive(subjects, head, rest, s);
    }
    if (COPULAS.has(first)) return false;

    return this.action(subject, head, rest, s);
  }

  private isAuthOnly(text: string): boolean {
    const stripped = text
      .toLowerCase()
      .replace(new RegExp(AUTH_PATTERN.source, 'gi'), ' ')
      .replace(
        /\b(?:with|using|via|through|by)\s+(?:an?\s+|their\s+|his\s+|her\s+)?(?:email|e-mail|username|user\s+name|password|google|github|microsoft|apple|facebook|phone(?:\s+number)?|credentials|magic\s+links?)(?:\s+(?:and|or)\s+(?:an?\s+|their\s+)?(?:email|username|password|google|github|phone))*/g,
        ' ',
      )
      .replace(
        /\b(?:and|or|to|the|app|system|site|first|before|anything|using|it|in|out|securely|their|own|an?|account|accounts)\b/g,
        ' ',
      )
      .replace(/[^a-z]+/g, ' ')
      .trim();
    return stripped === '';
  }

  private authClaim(subjects: string[][], text: string, s: Statement): void {
    const auth = this.claims.auth;
    if (LOGIN_PATTERN.test(text)) auth.login = true;
    if (SIGNUP_PATTERN.test(text)) {
      auth.signup = true;
      auth.login = true;
    }
    for (const subj of subjects) {
      if (subj.length > 0 && !['everyone', 'everybody', 'anyone', 'all'].includes(subj.join(' '))) {
        auth.loginSubjects.push(singularPhrase(subj));
      }
    }
    auth.sources.push(s.text);
  }

  private hasList(
    subjects: string[][],
    listText: string,
    forceMany: boolean,
    s: Statement,
  ): boolean {
    if (subjects.length === 0) {
      // Imperative "have ...": treat like a list of entities.
      this.entityList(listText, s, 'listed');
      return true;
    }
    let handled = false;
    for (const subj of subjects) {
      const container =
        isContainer(subj) ||
        /^(?:we|i|you|us|they)$/.test(subj.join(' ')) ||
        this.isSingletonSubject(subj, listText);
      if (container) {
        this.entityList(listText, s, 'listed');
        handled = true;
        continue;
      }
      // "Our gym needs an app": the app itself, not an attribute.
      const listed = parseList(listText, 'fields');
      if (
        listed.length > 0 &&
        listed.every(
          (i) => isContainer(i.words) || APP_NOUNS.has(i.words[i.words.length - 1] ?? ''),
        )
      ) {
        this.title(`${subj.join(' ')} ${listText}`, 2);
        handled = true;
        continue;
      }
      if (isGeneric(subj) && !/^(?:user|person)$/.test(singularPhrase(subj).join(' '))) continue;
      const items = parseList(listText, 'fields');
      if (items.length === 0) continue;
      const key = this.claims.entity(subj, 'declared', s.text);
      for (const item of items) {
        if (forceMany && item.quantifier !== 'one') item.quantifier = 'many';
        if (this.mustHave && !item.optional) item.required = true;
        if (this.partialSubject && item.enumValues.length === 0 && item.sub.length === 0) {
          const typed = inferFieldType(item.words, item.hints);
          if (typed.type === 'text' && typed.confidence < 0.9) item.hints.boolean = true;
        }
        this.addItem(key, item, s.text, 0.9);
      }
      handled = true;
    }
    return handled;
  }

  /** "The menu has dishes": a one-off container whose content is the real entity. */
  private isSingletonSubject(subj: string[], listText: string): boolean {
    if (this.known(subj)) return false;
    const items = parseList(listText, 'fields');
    return (
      this.currentSubjectHadThe &&
      items.length > 0 &&
      items.every(
        (i) => i.plural && i.quantifier === null && i.sub.length === 0 && i.enumValues.length === 0,
      )
    );
  }

  private currentSubjectHadThe = false;
  private previousSubject: Subject | null = null;
  /** The subject was "some"/"most" of the previous one: what they have is optional (yes/no). */
  private partialSubject = false;
  /** Roles of user stories ("As a fundraiser, ..."): people using the app, not records. */
  private readonly storyActors = new Set<string>();
  /** The verb phrase said "must have": its items are required. */
  private mustHave = false;
  /** Objects of the clause so far, for pronouns ("rate recipes and save them"). */
  private lastObjects: string[] = [];

  /**
   * Adds an item said to belong to an entity: a field, a reference to another entity, or (with
   * "many"/"with ...") a child entity.
   */
  private addItem(entity: string, item: Item, source: string, confidence: number): void {
    if (item.sub.length > 0) {
      const childWords = entityWords(item.words);
      if (childWords.length === 0) return;
      const child = this.claims.entity(childWords, 'declared', source);
      for (const sub of item.sub) this.addItem(child, sub, source, confidence);
      if (child !== entity) {
        this.claims.relations.push({
          kind: item.quantifier === 'one' && !item.plural ? 'has_one' : 'has_many',
          from: entity,
          to: child,
          required: false,
          confidence: 0.85,
          source,
        });
      }
      return;
    }
    const strongMany =
      item.quantifier === 'many' &&
      !/^(?:list|set|collection|history)$/.test(
        item.raw.toLowerCase().match(/\b(list|set|collection|history)\s+of\b/)?.[1] ?? '',
      ) &&
      item.enumValues.length === 0 &&
      item.hints.boolean !== true &&
      !/^(?:number|total|max|maximum|min|minimum|count)$/.test(item.words[0] ?? '');
    if (strongMany && item.plural) {
      const childWords = entityWords(item.words);
      const ok = childWords.length > 0 && !isGeneric(childWords) && !isContainer(childWords);
      if (ok) {
        const child = this.claims.entity(childWords, 'related', source);
        this.claims.relations.push({
          kind: 'has_many',
          from: entity,
          to: child,
          required: false,
          confidence: 0.85,
          source,
        });
        return;
      }
    }
    this.claims.attributes.push({ entity, item, source, confidence });
  }

  private belongsTo(
    subjects: string[][],
    objText: string,
    owner: 'object' | 'by',
    s: Statement,
  ): boolean {
    const main = objText
      .split(/\s+(?:and\s+)?(?:with|on|at|from|via|through|when|where|if|because|so|while)\s+/i)[0]!
      .replace(/\b(and|or|,)\s+(?:to|in|by)\s+/gi, '$1 ');
    const items = parseList(main, 'fields').filter(
      (i) => i.words.length > 0 && i.words.length <= 4,
    );
    if (items.length === 0) return false;
    let handled = false;
    for (const subj of subjects) {
      if (isGeneric(subj) || isContainer(subj)) continue;
      const child = this.claims.entity(subj, 'mentioned', s.text);
      for (const item of items) {
        const written = entityWords(item.words);
        const ws = this.canonical(written);
        if (ws.length === 0 || isContainer(ws)) continue;
        if (isGeneric(ws) && owner === 'object') continue;
        const parent = this.claims.entity(ws, 'related', s.text);
        // The subject is only an entity if something else says so, or because it belongs here.
        this.claims.entity(subj, 'related', s.text);
        if (
          item.quantifier === 'many' ||
          (item.plural && /\bmany|multiple|several\b/i.test(item.raw))
        ) {
          this.claims.relations.push({
            kind: 'many_to_many',
            from: child,
            to: parent,
            required: false,
            confidence: 0.8,
            source: s.text,
          });
        } else {
          this.claims.relations.push({
            kind: 'has_many',
            from: parent,
            to: child,
            inverseWords:
              this.canonicalKey(written) === undefined && written.length > 1 ? written : undefined,
            required: item.required,
            confidence: 0.9,
            source: s.text,
          });
        }
        handled = true;
      }
    }
    return handled;
  }

  private passive(subjects: string[][], head: Token[], rest: string, s: Statement): boolean {
    const participle = head[1]!.word;
    const particle = head[2]?.word;
    const verb = lemma(participle);
    let handled = false;
    // "Articles can be tagged with tags": tagging links many records to many labels.
    const tagged = /^(?:tagged|labell?ed)$/.test(participle)
      ? rest.match(/^(?:with|by|under|in|into|as)\s+(.+)$/i)
      : null;
    for (const subj of subjects) {
      if (isGeneric(subj) || isContainer(subj)) continue;
      const key = this.claims.entity(subj, 'mentioned', s.text);
      if (tagged !== null) {
        const items = parseList(tagged[1]!, 'fields').filter(
          (i) => i.words.length > 0 && i.words.length <= 3,
        );
        const refs = items
          .map((i) => entityWords(i.words))
          .filter(
            (ws) =>
              ws.length > 0 &&
              !isGeneric(ws) &&
              (this.known(ws) || isPluralWord(ws[ws.length - 1]!)),
          );
        if (refs.length > 0 && refs.length === items.length) {
          this.claims.entity(subj, 'related', s.text);
          for (const ws of refs) {
            const other = this.claims.entity(this.canonical(ws), 'related', s.text);
            this.claims.relations.push({
              kind: 'many_to_many',
              from: key,
              to: other,
              required: false,
              confidence: 0.8,
              source: s.text,
            });
          }
          handled = true;
          continue;
        }
      }
      const kind = this.operationKind(verb);
      if (kind !== null && (ACTION_VERBS.has(verb) || kind !== 'action')) {
        this.claims.operations.push({
          entity: key,
          kind,
          name: kind === 'action' ? this.actionName(verb, particle) : kind,
          actors: [],
          confidence: 0.8,
          source: s.text,
        });
        handled = true;
      }
      if (this.prepositionalPhrases(key, rest, 'passive', [], s)) {
        this.claims.entity(subj, 'related', s.text);
        handled = true;
      }
    }
    return handled;
  }

  private operationKind(verb: string): OperationKind | null {
    if (MANAGE_VERBS.has(verb)) return 'update';
    if (DELETE_VERBS.has(verb)) return 'delete';
    if (UPDATE_VERBS.has(verb)) return 'update';
    if (CREATE_VERBS.has(verb) && !CREATE_AS_ACTION.has(verb) && !LINK_VERBS.has(verb))
      return 'create';
    if (LIST_VERBS.has(verb)) return 'list';
    if (READ_VERBS.has(verb) && verb !== 'check' && verb !== 'track') return 'read';
    return 'action';
  }

  private actionName(verb: string, particle?: string, complement?: string): string {
    const parts = [verb];
    if (particle !== undefined && PARTICLES.has(particle)) parts.push(particle);
    if (complement !== undefined) parts.push(...words(complement).slice(0, 2));
    return parts
      .map((p, i) => (i === 0 ? p : p.charAt(0).toUpperCase() + p.slice(1)))
      .join('')
      .replace(/[^A-Za-z0-9]/g, '');
  }

  /** An active verb phrase: operations, created entities and the relations they imply. */
  private action(subject: Subject, head: Token[], restIn: string, s: Statement): boolean {
    const verbWord = head[0]?.word ?? '';
    const verb = lemma(verbWord);
    const particle = head[1]?.word;
    let rest = restIn.trim();
    if (rest === '') return false;
    if (!isActionVerbWord(verbWord) && !head[0]?.tags.has('Verb')) return false;

    // Object introduced by a preposition: "enroll in", "subscribe to", "vote on".
    const preps = VERB_PREPOSITIONS[verb] ?? [];
    const particleText = particle !== undefined && head.length > 1 ? particle : '';
    let viaPrep = '';
    for (const p of preps) {
      const prefix =
        particleText !== '' && p.startsWith(`${particleText} `)
          ? p.slice(particleText.length + 1)
          : p;
      const re = new RegExp(`^${prefix.replace(/\s+/g, '\\s+')}\\s+`, 'i');
      if (re.test(rest)) {
        viaPrep = p;
        rest = rest.replace(re, '');
        break;
      }
    }
    if (verb === 'sign' && particleText === 'up' && viaPrep === '' && /^with\b/i.test(rest)) {
      // "volunteers sign up with their name, email ...": the subject's own attributes.
      const list = rest.replace(/^with\s+/i, '');
      this.authLikeSignup(subject, list, s);
      return true;
    }

    // Track/manage imperative or "we track ...": a list of entities.
    const storySubject =
      subject.parts.length > 0 &&
      subject.parts.every((p) => this.storyActors.has(singularPhrase(p).join(' ')));
    if (
      subject.parts.length === 0 ||
      storySubject ||
      subject.parts.every((p) => /^(?:we|i|you|us)$/.test(p.join(' ')) || isContainer(p))
    ) {
      if (TRACK_VERBS.has(verbWord) || TRACK_VERBS.has(verb)) {
        this.entityList(rest.replace(/^(?:of|track\s+of)\s+/i, ''), s, 'listed');
        return true;
      }
    }

    // Split the object from prepositional phrases and a trailing ": list".
    let colonList = '';
    const colonAt = maskParens(rest).indexOf(':');
    if (colonAt >= 0) {
      colonList = rest.slice(colonAt + 1).trim();
      rest = rest.slice(0, colonAt).trim();
    }
    const segments = splitOutsideParens(
      rest,
      /(?<!\bup)\s+(?=(?:with|for|to|in|on|at|by|from|into|between|about|per|as|via|during|through|under|against|within|across|among|towards?|around|over|after|before|until|since|near|behind|inside|outside)\s)/gi,
    );
    let objectText = segments[0]!.piece
      .trim()
      .replace(
        /\s+(?:every|each|once\s+a|twice\s+a)\s+(?:day|week|month|year|morning|evening|night|hour|time|quarter)\b.*$/i,
        '',
      )
      .replace(
        /\s+(?:daily|weekly|monthly|yearly|annually|hourly|nightly|regularly|automatically|immediately|later|online|manually|quickly|easily|directly|together|first)\b.*$/i,
        '',
      );
    let pps = segments.slice(1).map((p) => p.piece.trim());
    if (
      /^(?:with|for|to|in|on|at|by|from|into|between|about|per|as|via|during|through|under|against|within|across|among|towards?|around|over|after|before)\s/i.test(
        objectText,
      )
    ) {
      pps = [objectText, ...pps];
      objectText = '';
    }
    // "doctors can add notes to an appointment": an attribute of the appointment.
    if (/^(?:add|attach|write|leave|put|record|enter|set|give|upload)$/.test(verb)) {
      const obj = cleanItem(objectText);
      const ppTo = pps.find((p) => /^(?:to|on|for)\s/i.test(p));
      if (
        ppTo !== undefined &&
        obj.words.length > 0 &&
        FIELDISH_OBJECTS.test(obj.words.join(' '))
      ) {
        const ownerWords = this.canonical(entityWords(ppTo.replace(/^\w+\s+/, '')));
        if (ownerWords.length > 0 && ownerWords.length <= 3 && !isGeneric(ownerWords)) {
          const key = this.claims.entity(ownerWords, 'mentioned', s.text);
          this.claims.attributes.push({ entity: key, item: obj, source: s.text, confidence: 0.7 });
          this.claims.operations.push({
            entity: key,
            kind: 'update',
            name: 'update',
            actors: subject.parts.map((p) => singularPhrase(p)),
            confidence: 0.7,
            source: s.text,
          });
          return true;
        }
      }
    }
    if (objectText === '') return false;

    const eventObject =
      /\b(?:appointment|reservation|booking|session|visit|consultation|meeting|lesson|slot|table|ride|trip|flight|tour)s?\b/i.test(
        objectText,
      );
    const createsObject =
      (verb === 'book' && eventObject) ||
      (verb === 'register' && viaPrep === '') ||
      (verb === 'order' && viaPrep === '' && false);
    const kind: OperationKind | null = createsObject ? 'create' : this.operationKind(verb);
    const isCreate = kind === 'create' || MANAGE_VERBS.has(verb);
    const isLink = LINK_VERBS.has(verb) && !createsObject;
    // A verb the lexicon does not know, done by people to records ("pilots fly missions"): the
    // people are records too, like the actors of linking verbs.
    const otherVerb =
      kind === 'action' &&
      !ACTION_VERBS.has(verb) &&
      !LINK_VERBS.has(verb) &&
      !TRACK_VERBS.has(verb) &&
      !TRACK_VERBS.has(verbWord) &&
      !READ_VERBS.has(verb) &&
      !AUTH_PATTERN.test(`${verbWord} ${particleText}`.trim()) &&
      head[0]?.tags.has('Verb') === true;
    const personActors = (): boolean =>
      subject.parts.length > 0 && subject.parts.every((p) => !isGeneric(p) && this.isPersonNoun(p));
    if (
      /^(?:them|it|this|that|these|those)$/i.test(objectText.split(/\s+/)[0]!) &&
      this.lastObjects.length > 0
    ) {
      const complement = pps.find((p) => /^as\s/i.test(p));
      for (const key of this.lastObjects) {
        this.claims.operations.push({
          entity: key,
          kind: kind ?? 'action',
          name:
            (kind ?? 'action') === 'action'
              ? this.actionName(verb, particleText || undefined, complement?.replace(/^as\s+/i, ''))
              : (kind as string),
          actors: subject.parts.filter((p) => !isGeneric(p)).map((p) => singularPhrase(p)),
          confidence: 0.75,
          source: s.text,
        });
      }
      return true;
    }
    const actorParts = subject.parts.filter((p) => !/^(?:we|i|you|us|it|they)$/.test(p.join(' ')));
    const storyActor = actorParts.some((p) => this.storyActors.has(singularPhrase(p).join(' ')));
    const actors = actorParts.map((p) => singularPhrase(p));

    // "update the status of issues" -> a status field on Issue.
    const ofMatch = objectText.match(
      /^(?:the\s+|their\s+|its\s+)?([a-z][a-z\s]*?)\s+of\s+(?:the\s+|all\s+|each\s+|every\s+|a\s+|an\s+|their\s+)?([a-z][a-z\s]*)$/i,
    );
    if (
      ofMatch !== null &&
      !/^(?:list|set|number|collection|history|any number|lots|a lot)$/i.test(ofMatch[1]!.trim())
    ) {
      const ownerWords = entityWords(ofMatch[2]!);
      if (ownerWords.length > 0 && ownerWords.length <= 3 && !isGeneric(ownerWords)) {
        const key = this.claims.entity(ownerWords, 'mentioned', s.text);
        this.claims.attributes.push({
          entity: key,
          item: cleanItem(ofMatch[1]!),
          source: s.text,
          confidence: 0.7,
        });
        if (kind !== null) {
          this.claims.operations.push({
            entity: key,
            kind: kind === 'create' ? 'update' : kind,
            name:
              kind === 'create'
                ? 'update'
                : kind === 'action'
                  ? this.actionName(verb, particle)
                  : kind,
            actors,
            confidence: 0.8,
            source: s.text,
          });
        }
        return true;
      }
    }

    // "report whether each space is occupied" -> a yes/no field on Space.
    const whether = objectText.match(
      /^whether\s+(?:each|every|the|a|an)\s+([a-z]+(?:\s+[a-z]+)?)\s+(?:is|was|has\s+been|are)\s+(.+)$/i,
    );
    if (whether !== null) {
      const key = this.claims.entity(entityWords(whether[1]!), 'mentioned', s.text);
      const item = cleanItem(whether[2]!);
      item.hints.boolean = true;
      this.claims.attributes.push({ entity: key, item, source: s.text, confidence: 0.7 });
      return true;
    }

    // "see the payment history", "their order history": a history of records is the records.
    const history = objectText.match(
      /^(?:the\s+|their\s+|its\s+|his\s+|her\s+|a\s+)?(?:full\s+|whole\s+|complete\s+)?([a-z]+)\s+(?:history|histories|log|logs)$/i,
    );
    if (history !== null) {
      const noun = history[1]!.toLowerCase();
      const tags = tokenize(noun)[0]?.tags ?? new Set<string>();
      if (!/ing$/.test(noun) && !tags.has('Adjective') && !isGeneric([noun])) {
        const key = this.claims.entity([noun], 'created', s.text);
        this.claims.operations.push({
          entity: key,
          kind: 'list',
          name: 'list',
          actors,
          confidence: 0.7,
          source: s.text,
        });
        this.lastObjects.push(key);
        return true;
      }
    }

    // The objects: "products and categories", "any number of courses", "their own trips".
    const objects = parseList(objectText, 'entities', {
      startsEntity: () => true,
    }).filter((o) => o.words.length > 0 && o.words.length <= 4);
    if (objects.length === 0) return false;
    let handled = false;
    const objectKeys: string[] = [];
    const nominalTargets = new Map<string, string>();
    for (const obj of objects) {
      const ws = entityWords(obj.words);
      if (ws.length === 0 || isContainer(ws) || isGeneric(ws)) continue;
      if (obj.enumValues.length > 0 || obj.hints.boolean === true) continue;
      // "vote only once", "log in again": an adverb, not an object.
      if (ws.length === 1 && (ADVERB_OBJECTS.test(ws[0]!) || /ly$/.test(ws[0]!))) continue;
      const withFields = pps.some((p) => /^with\s/i.test(p) && !this.ppIsEntity(p));
      // "Students submit an assignment with a file link" when submissions are records: the
      // details belong to the submission, which belongs to the assignment.
      const nominal = withFields ? this.nominalKey(verb) : undefined;
      const record =
        nominal !== undefined && nominal !== this.canonicalKey(ws) ? nominal : undefined;
      const hasFields =
        colonList !== '' || obj.sub.length > 0 || (withFields && record === undefined);
      // "write an inspection note": one note is an attribute of something, not a record.
      const attributeLike =
        !hasFields &&
        !obj.plural &&
        obj.quantifier !== 'many' &&
        /^(?:note|remark|reason|feedback|summary|description|explanation|comment)$/.test(
          ws[ws.length - 1]!,
        ) &&
        !this.known(ws);
      const strength = attributeLike
        ? 'mentioned'
        : hasFields
          ? 'declared'
          : isCreate || isLink || (otherVerb && personActors())
            ? 'created'
            : 'mentioned';
      const key = this.claims.entity(
        record !== undefined ? this.canonical(ws) : ws,
        strength,
        s.text,
      );
      objectKeys.push(key);
      this.lastObjects.push(key);
      if (record !== undefined) {
        const nominalKey = this.claims.entity(record.split(' '), 'declared', s.text);
        this.claims.relations.push({
          kind: 'has_many',
          from: key,
          to: nominalKey,
          required: false,
          confidence: 0.75,
          source: s.text,
        });
        for (const actor of actorParts) {
          if (isGeneric(actor) || isContainer(actor)) continue;
          this.claims.relations.push({
            kind: 'has_many',
            from: singularPhrase(this.canonical(actor)).join(' '),
            to: nominalKey,
            required: false,
            confidence: 0.6,
            source: s.text,
            conditional: true,
          });
        }
        this.claims.operations.push({
          entity: nominalKey,
          kind: 'create',
          name: 'create',
          actors,
          confidence: 0.8,
          source: s.text,
        });
        nominalTargets.set(key, nominalKey);
      }

      const opKind: OperationKind = kind ?? 'action';
      const isAsComplement = pps.find((p) => /^as\s/i.test(p));
      const name =
        opKind === 'action'
          ? this.actionName(
              verb,
              particleText !== '' ? particleText : viaPrep.split(' ')[0],
              isAsComplement !== undefined ? isAsComplement.replace(/^as\s+/i, '') : undefined,
            )
          : opKind;
      if (MANAGE_VERBS.has(verb)) {
        // Managing is writing; who may read is not restricted by it.
        for (const k of ['create', 'update', 'delete'] as const) {
          this.claims.operations.push({
            entity: key,
            kind: k,
            name: k,
            actors,
            confidence: 0.85,
            source: s.text,
          });
        }
        for (const k of ['read', 'list'] as const) {
          this.claims.operations.push({
            entity: key,
            kind: k,
            name: k,
            actors: [],
            confidence: 0.8,
            source: s.text,
          });
        }
      } else {
        const target =
          isLink && actorParts.length === 1 && !isGeneric(actorParts[0]!)
            ? singularPhrase(actorParts[0]!).join(' ')
            : undefined;
        this.claims.operations.push({
          entity: key,
          kind: opKind,
          name,
          actors,
          ...(target !== undefined ? { target } : {}),
          confidence: 0.85,
          source: s.text,
        });
        if (opKind === 'read' && (obj.plural || obj.quantifier === 'many')) {
          this.claims.operations.push({
            entity: key,
            kind: 'list',
            name: 'list',
            actors,
            confidence: 0.8,
            source: s.text,
          });
        }
      }

      // The actor's side.
      for (const actor of actorParts) {
        if (isGeneric(actor) || isContainer(actor) || storyActor) continue;
        if (isLink) {
          const actorKey = this.claims.entity(actor, 'actor', s.text);
          const many =
            obj.quantifier === 'many' ||
            /\b(?:many|multiple|several|any number of)\b/i.test(obj.raw);
          if (MANY_TO_MANY_VERBS.has(verb) && (many || obj.plural)) {
            this.claims.relations.push({
              kind: 'many_to_many',
              from: actorKey,
              to: key,
              required: false,
              confidence: many ? 0.8 : 0.6,
              source: s.text,
            });
          }
        } else if ((isCreate || CREATE_AS_ACTION.has(verb)) && record === undefined) {
          // "guests make reservations": a reservation belongs to its guest, if guests are records.
          const actorKey = singularPhrase(actor).join(' ');
          this.claims.entity(actor, 'mentioned', s.text);
          this.claims.relations.push({
            kind: 'has_many',
            from: actorKey,
            to: key,
            required: false,
            confidence: 0.6,
            source: s.text,
            conditional: true,
          });
        } else if (otherVerb && personActors()) {
          const actorKey = this.claims.entity(actor, 'actor', s.text);
          this.claims.relations.push({
            kind: 'has_many',
            from: actorKey,
            to: key,
            required: false,
            confidence: 0.6,
            source: s.text,
            conditional: true,
          });
        }
        // "parents register their children": the records belong to the people who own them.
        if (
          /^(?:their|his|her)\s/i.test(obj.raw.trim()) &&
          this.isPersonNoun(actor) &&
          (strength !== 'mentioned' || this.known(ws))
        ) {
          const actorKey = this.claims.entity(this.canonical(actor), 'actor', s.text);
          if (actorKey !== key) {
            this.claims.relations.push({
              kind: 'has_many',
              from: actorKey,
              to: key,
              required: false,
              confidence: 0.7,
              source: s.text,
            });
          }
        }
      }
      if (colonList !== '') {
        for (const item of parseList(colonList, 'fields')) this.addItem(key, item, s.text, 0.85);
      }
      for (const item of obj.sub) this.addItem(key, item, s.text, 0.85);
      handled = true;
    }
    for (const key of objectKeys) {
      const record = nominalTargets.get(key);
      if (record !== undefined) {
        const withPps = pps.filter((p) => /^with\s/i.test(p));
        const otherPps = pps.filter((p) => !/^with\s/i.test(p));
        this.prepositionalPhrases(record, withPps.join(' '), 'other', actors, s);
        this.prepositionalPhrases(
          key,
          otherPps.join(' '),
          isCreate ? 'create' : 'other',
          actors,
          s,
        );
        handled = true;
        continue;
      }
      handled =
        this.prepositionalPhrases(key, pps.join(' '), isCreate ? 'create' : 'other', actors, s) ||
        handled;
    }
    return handled;
  }

  /** The known entity that names the act of a verb ("submit" -> submission), if any. */
  private nominalKey(verb: string): string | undefined {
    for (const noun of NOMINALIZATIONS[verb] ?? []) {
      const key = this.canonicalKey([noun]);
      if (key !== undefined && key.split(' ').length === 1) return key;
    }
    return undefined;
  }

  private authLikeSignup(subject: Subject, list: string, s: Statement): void {
    for (const subj of subject.parts) {
      if (isGeneric(subj)) continue;
      const key = this.claims.entity(subj, 'declared', s.text);
      for (const item of parseList(list, 'fields')) this.addItem(key, item, s.text, 0.85);
    }
  }

  private ppIsEntity(pp: string): boolean {
    const body = pp.replace(/^\w+\s+/, '');
    const items = parseList(body, 'fields');
    return (
      items.length > 0 &&
      items.every((i) => this.known(entityWords(i.words)) || this.isPersonNoun(i.words))
    );
  }

  private isPersonNoun(ws: readonly string[]): boolean {
    if (ws.length === 0 || ws.length > 3) return false;
    const head = singularPhrase(ws).slice(-1)[0]!;
    if (PERSON_NOUNS.has(head) || /(?:ist|ian|ee)$/.test(head)) return true;
    const doc = nlp(ws.join(' '));
    return doc.has('#Actor') || (doc.has('#Person') && !doc.has('#ProperNoun'));
  }

  /**
   * Prepositional phrases after an object: "with doctors" (relation), "with a date and a reason"
   * (fields), "for a course" (relation), "at a date and time" (fields), "by city" (search).
   */
  private prepositionalPhrases(
    key: string,
    text: string,
    mode: 'create' | 'other' | 'passive',
    _actors: string[][],
    s: Statement,
  ): boolean {
    if (text.trim() === '') return false;
    let handled = false;
    const pps = splitOutsideParens(
      text,
      /(?<!\bup)\s+(?=(?:with|for|to|in|on|at|by|from|into|between|about|per|as|via|during|through|under|against|within|across|among|towards?|around|over|after|before|until|since|near|behind|inside|outside)\s)/gi,
    )
      .map((p) => p.piece.trim())
      .filter((p) => p !== '');
    for (const pp of pps) {
      const m = pp.match(/^(\w+)\s+(.+)$/);
      if (m === null) continue;
      const prep = m[1]!.toLowerCase();
      const body = m[2]!;
      if (prep === 'between' && mode === 'passive') {
        for (const item of parseList(body.replace(/\bto\b/, 'and'), 'fields')) {
          const ws = entityWords(item.words);
          if (ws.length === 0) continue;
          const head = ws[ws.length - 1]!;
          const parent = this.claims.entity([head], 'mentioned', s.text);
          this.claims.relations.push({
            kind: 'has_many',
            from: parent,
            to: key,
            inverseWords: ws.length > 1 ? ws : undefined,
            required: false,
            confidence: 0.7,
            source: s.text,
            conditional: true,
          });
          handled = true;
        }
        continue;
      }
      if (prep === 'by' && mode !== 'passive') continue;
      const items = parseList(body, 'fields').filter(
        (i) => i.words.length > 0 && i.words.length <= 4,
      );
      if (items.length === 0) continue;
      if (prep === 'with') {
        const entityItems = items.filter(
          (i) =>
            this.known(entityWords(i.words)) ||
            (this.isPersonNoun(entityWords(i.words)) && i.sub.length === 0),
        );
        if (entityItems.length === items.length) {
          for (const i of items) {
            const ws = entityWords(i.words);
            const parent = this.claims.entity(this.canonical(ws), 'related', s.text);
            this.claims.relations.push({
              kind: 'has_many',
              from: parent,
              to: key,
              required: false,
              confidence: 0.75,
              source: s.text,
            });
          }
        } else {
          for (const i of items) this.addItem(key, i, s.text, 0.85);
          this.claims.entity(this.claims.entities.get(key)?.words ?? [key], 'declared', s.text);
        }
        handled = true;
        continue;
      }
      if (
        (prep === 'at' || prep === 'on') &&
        items.every((i) =>
          /^(?:date|time|day|datetime|timestamp|date and time)$/.test(i.words.join(' ')),
        )
      ) {
        for (const i of items) this.addItem(key, i, s.text, 0.7);
        this.claims.entity(this.claims.entities.get(key)?.words ?? [key], 'declared', s.text);
        handled = true;
        continue;
      }
      if (mode === 'create' && /^(?:for|to|in|on|with|from)$/.test(prep)) {
        for (const i of items) {
          const ws = entityWords(i.words);
          if (ws.length === 0 || isGeneric(ws) || isContainer(ws)) continue;
          const known = this.known(ws);
          const person = prep !== 'in' && prep !== 'on' && this.isPersonNoun(ws);
          if (!known && !person) continue;
          const parent = this.claims.entity(this.canonical(ws), 'related', s.text);
          this.claims.relations.push({
            kind: 'has_many',
            from: parent,
            to: key,
            required: false,
            confidence: 0.7,
            source: s.text,
          });
          handled = true;
        }
      }
    }
    return handled;
  }

  // ---------------------------------------------------------------------------------------------
  // Scans that apply to any statement

  private scanAuth(s: Statement): void {
    const t = s.text;
    const auth = this.claims.auth;
    // "librarians are admins", "Managers are the administrators": a role, named by the people.
    const are = t.match(
      /\b([a-z]+(?:\s+[a-z]+)?)\s+are\s+(?:the\s+)?(?:admins?|administrators?|superusers?)\b/i,
    );
    if (are !== null) {
      const words = entityWords(are[1]!);
      if (words.length > 0 && !/^(?:users?|they|we|you|people|all|some)$/i.test(words.join(' ')))
        auth.roles.push({ words: singularPhrase(words), source: t, explicit: true });
    }
    if (!AUTH_PATTERN.test(t)) return;
    if (LOGIN_PATTERN.test(t)) auth.login = true;
    if (SIGNUP_PATTERN.test(t)) {
      auth.signup = true;
      auth.login = true;
    }
    auth.sources.push(t);
    const only = t.match(
      /\bonly\s+([a-z]+(?:\s+[a-z]+)?)\s+(?:can|may|are\s+allowed\s+to|should\s+be\s+able\s+to)\b/i,
    );
    if (only !== null)
      auth.roles.push({ words: singularPhrase(entityWords(only[1]!)), source: t, explicit: false });
  }

  private scanFeatures(s: Statement): void {
    const t = s.text.toLowerCase();
    const add = (
      kind: Parameters<Claims['features']['push']>[0]['kind'],
      entity?: string,
      fields: string[][] = [],
    ): void => {
      if (this.claims.features.some((f) => f.kind === kind && f.entity === entity)) return;
      this.claims.features.push({
        kind,
        ...(entity !== undefined ? { entity } : {}),
        fields,
        description: s.text,
        source: s.text,
      });
    };
    const search = t.match(
      /\b(?:search|find|look\s+up|filter)(?:es|ed|ing)?\s+(?:for\s+|through\s+)?(?:the\s+|all\s+)?([a-z]+(?:\s+[a-z]+)?)\s+by\s+([a-z ,]+?)(?=$|\s+and\s+(?:then\s+)?[a-z]+\s+(?:a|an|the|their)\b|[.;])/,
    );
    if (search !== null) {
      const fields = search[2]!
        .split(/\s*(?:,|\band\b|\bor\b)\s*/)
        .map((f) => toWords(f))
        .filter((f) => f.length > 0);
      add(
        /filter/.test(search[0]) ? 'filter' : 'search',
        singularPhrase(entityWords(search[1]!)).join(' '),
        fields,
      );
    } else if (/\bsearch(?:es|ed|ing|able)?\b/.test(t)) add('search');
    if (/\bfilter(?:s|ed|ing)?\b/.test(t) && search === null) add('filter');
    if (/\bsort(?:s|ed|ing|able)?\b/.test(t)) add('sort');
    if (/\bpaginat\w*|\bpaged\b|\bpages\s+of\s+(?:results|\d+)/.test(t)) add('pagination');
    if (
      /\bexport(?:s|ed|ing)?\b|\bdownload\w*\s+(?:as\s+|an?\s+|the\s+)?(?:csv|pdf|excel|spreadsheet)|\bcsv\b/.test(
        t,
      )
    )
      add('export');
    if (
      /\bimport(?:s|ed|ing)?\b|\bbulk\s+upload|\bupload\w*\s+(?:a\s+)?(?:csv|spreadsheet|excel)/.test(
        t,
      )
    )
      add('import');
    if (
      /\bnotif(?:y|ied|ies|ication|ications)\b|\breminders?\b|\bremind(?:s|ed)?\b|\balerts?\b|\bsend\w*\s+(?:an?\s+)?(?:email|sms|text|push)/.test(
        t,
      )
    )
      add('notification');
    if (/\bupload(?:s|ed|ing)?\b|\battach(?:ment|ments|es|ed)?\b/.test(t)) add('file_upload');
    if (
      /\b(?:reports|reporting|dashboards?|statistics|analytics|charts?|kpis?)\b|\b(?:monthly|weekly|daily|sales|summary|usage)\s+reports?\b/.test(
        t,
      )
    )
      add('report');
    if (
      /\baudit\s+(?:log|trail)|\bhistory\s+of\s+(?:all\s+)?(?:changes|edits)|\bchange\s?log\b/.test(
        t,
      )
    )
      add('audit_log');
  }

  private scanNonFunctional(s: Statement): void {
    const t = s.text.toLowerCase();
    const rules: [Parameters<Claims['nonFunctional']['push']>[0]['category'], RegExp][] = [
      [
        'performance',
        /\b(?:fast|quick(?:ly)?|speedy|snappy|latency|response\s+times?|performan\w+|within\s+\d+\s*(?:ms|milliseconds?|seconds?|s)\b|under\s+\d+\s*(?:ms|milliseconds?|seconds?)|real[\s-]?time)\b/,
      ],
      [
        'scalability',
        /\b(?:scal(?:e|able|ability|ing)|thousands\s+of|millions\s+of|hundreds\s+of\s+thousands|concurrent\w*|high\s+(?:traffic|load|volume))\b/,
      ],
      [
        'availability',
        /\b(?:uptime|24\/7|highly\s+available|high\s+availability|99(?:\.\d+)?%|backups?|disaster\s+recovery|redundan\w+|work\w*\s+offline)\b/,
      ],
      [
        'security',
        /\b(?:secure(?:ly)?|security|encrypt\w*|https|tls|ssl|hash(?:ed|ing)?|rate[\s-]limit\w*|brute[\s-]force|owasp|two[\s-]factor|2fa|mfa)\b/,
      ],
      [
        'privacy',
        /\b(?:gdpr|privacy|personal\s+data|anonymi[sz]\w*|pii|consent|data\s+protection|right\s+to\s+be\s+forgotten)\b/,
      ],
      [
        'usability',
        /\b(?:mobile[\s-]friendly|responsive|accessib\w+|wcag|easy\s+to\s+use|user[\s-]friendly|intuitive|simple\s+to\s+use|multilingual|multi[\s-]language|i18n|translat\w+|dark\s+mode|works?\s+on\s+(?:phones|mobile))\b/,
      ],
      ['observability', /\b(?:logging|monitoring|metrics|observab\w+|tracing|alerting)\b/],
      [
        'compliance',
        /\b(?:hipaa|pci(?:[\s-]dss)?|sox|iso\s?27001|compliance|compliant|regulat\w+)\b/,
      ],
    ];
    for (const [category, re] of rules) {
      if (re.test(t)) {
        this.claims.nonFunctional.push({ category, text: s.text, source: s.text });
        this.understood(s);
      }
    }
  }
}

/** Runs the interpreter over statements (exported for tests). */
export function interpretStatements(
  statements: readonly Statement[],
  claims: Claims,
  options: InterpretOptions = {},
): void {
  new Interpreter(claims, options).interpret(statements);
}
