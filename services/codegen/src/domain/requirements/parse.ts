// The rule-based requirements parser (blueprint mode): description in, typed Requirements out,
// or a DescriptionError saying what was understood and what is missing.
import type { Requirements } from '../artifacts/index.js';
import { RequirementsSchema, SCHEMA_VERSION } from '../artifacts/index.js';
import { acceptanceCriteria } from './acceptance.js';
import { buildModel } from './build.js';
import type { BuiltModel } from './build.js';
import { Claims } from './claims.js';
import { DescriptionError } from './errors.js';
import { Interpreter } from './interpret.js';
import { APP_NOUNS } from './lexicon.js';
import { normalize, segment } from './text.js';
import { identifierWords, kebabCase, titleCase } from './words.js';

export const PARSER_VERSION = 'rule-based@1';
export const MAX_DESCRIPTION_LENGTH = 20000;

export interface ParseOptions {
  /** Project name to use instead of one derived from the description (kebab-cased). */
  appName?: string;
}

function run(description: string): { claims: Claims; model: BuiltModel; statements: number } {
  const statements = segment(normalize(description));
  // Pass 1 finds the entities; pass 2 re-reads every statement knowing them, so that "an author"
  // is a link when authors are described later and a text field when they are not.
  const first = new Claims();
  new Interpreter(first).interpret(statements);
  const firstKeys = [...buildModel(first).names.keys()];
  const aliases = aliasesOf(first, firstKeys);
  const known = new Set(firstKeys.filter((k) => !aliases.has(k)));
  const claims = new Claims(aliases);
  new Interpreter(claims, { known }).interpret(statements);
  return { claims, model: buildModel(claims), statements: statements.length };
}

/**
 * Short names found by the first pass: a one-word entity mentioned after a longer one with the
 * same head ("parking lots have ..." then "belongs to a lot"; "test results" then "a result has")
 * is the same entity, unless both are described with their own fields.
 */
function aliasesOf(claims: Claims, keys: readonly string[]): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const key of keys) {
    if (key.includes(' ')) continue;
    const longer = keys.filter((other) => other.endsWith(` ${key}`));
    if (longer.length !== 1) continue;
    const short = claims.entities.get(key)!;
    const long = claims.entities.get(longer[0]!)!;
    const bothDeclared = short.strength === 'declared' && long.strength === 'declared';
    if (long.order < short.order && !bothDeclared) aliases.set(key, long.key);
  }
  return aliases;
}

function appTitle(claims: Claims, model: BuiltModel): string[] {
  const best = [...claims.titles].sort((a, b) => b.strength - a.strength || a.order - b.order)[0];
  if (best !== undefined && best.words.length > 0) return best.words.slice(0, 5);
  const first = model.entities[0];
  return first !== undefined ? [...identifierWords(first.name), 'app'] : ['app'];
}

function summaryOf(title: string, model: BuiltModel): string {
  const ent = model.entities.map((e) => identifierWords(e.pluralName).join(' '));
  const parts = [`${title} keeps ${listText(ent)}.`];
  const actions = model.entities.flatMap((e) =>
    e.operations
      .filter((o) => o.kind === 'action')
      .map(
        (o) =>
          `${o.actors.length > 0 ? listText(o.actors.map((a) => identifierWords(a).join(' '))) : 'users'} can ${identifierWords(o.name).join(' ')} ${identifierWords(e.pluralName).join(' ')}`,
      ),
  );
  if (actions.length > 0) parts.push(`${capitalize(listText(actions.slice(0, 4)))}.`);
  if (model.relations.length > 0) {
    parts.push(
      `${capitalize(
        listText(
          model.relations
            .slice(0, 4)
            .map((r) =>
              r.kind === 'many_to_many'
                ? `${identifierWords(r.from).join(' ')} and ${identifierWords(r.to).join(' ')} records are linked many-to-many`
                : `each ${identifierWords(r.from).join(' ')} has ${r.kind === 'has_one' ? 'one' : 'many'} ${identifierWords(r.to).join(' ')}${r.kind === 'has_one' ? '' : 's'}`,
            ),
        ),
      )}.`,
    );
  }
  if (model.auth.enabled) {
    const roles = model.auth.roles.map((r) => identifierWords(r.name).join(' '));
    parts.push(`Users log in${roles.length > 0 ? `, with the roles ${listText(roles)}` : ''}.`);
  } else {
    parts.push('No login is required.');
  }
  return parts.join(' ').slice(0, 4000);
}

function listText(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]!}`;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** What was understood, for the DescriptionError of a description without entities. */
function understoodSoFar(claims: Claims): string[] {
  const out: string[] = [];
  const title = [...claims.titles]
    .filter((t) => t.words.some((w) => APP_NOUNS.has(w)))
    .sort((a, b) => b.strength - a.strength)[0];
  if (title !== undefined) out.push(`an app called "${titleCase(title.words)}"`);
  if (claims.auth.login) out.push('users log in');
  for (const r of claims.auth.roles) out.push(`a role "${r.words.join(' ')}"`);
  const needs = [...new Set(claims.nonFunctional.map((n) => n.category))];
  if (needs.length > 0) out.push(`${listText(needs)} needs`);
  for (const f of claims.features) out.push(`a ${f.kind.replace('_', ' ')} feature`);
  for (const o of claims.operations) out.push(`someone can ${o.name} "${o.entity}"`);
  return [...new Set(out)].slice(0, 8);
}

/**
 * Parses a plain-language description into Requirements. Throws DescriptionError when the
 * description is empty, unintelligible or names nothing to store.
 */
export function parseRequirements(description: string, options: ParseOptions = {}): Requirements {
  const text = description.trim();
  if (text === '') {
    throw new DescriptionError(
      'empty',
      "The description is empty. Describe the app and the records it keeps, e.g. 'A library app. Each book has a title, an author and a price. Members borrow books.'",
    );
  }
  if (text.length > MAX_DESCRIPTION_LENGTH) {
    throw new DescriptionError(
      'too_long',
      `The description is ${text.length} characters long; the limit is ${MAX_DESCRIPTION_LENGTH}. Keep to the records, their fields and who does what.`,
    );
  }
  const letters = (text.match(/[A-Za-z]{2,}/g) ?? []).length;
  if (letters === 0) {
    throw new DescriptionError(
      'unintelligible',
      "I could not read any words in the description. Describe the records your app keeps in plain English, e.g. 'Each book has a title and an author'.",
    );
  }

  const { claims, model } = run(text);
  if (model.entities.length === 0) {
    const understood = understoodSoFar(claims);
    const prefix =
      understood.length > 0
        ? `I understood ${listText(understood)}, but I found no thing to store.`
        : 'I found no thing to store.';
    throw new DescriptionError(
      'no_entities',
      `${prefix} Describe the records your app keeps, e.g. 'Each book has a title and an author'.`,
      understood,
    );
  }

  const titleWords = appTitle(claims, model);
  const title = titleCase(titleWords).slice(0, 200);
  let appName = kebabCase(options.appName !== undefined ? [options.appName] : titleWords)
    .slice(0, 64)
    .replace(/-+$/, '');
  if (!/^[a-z]/.test(appName)) appName = `app-${appName}`.slice(0, 64).replace(/-+$/, '');
  const entityConfidence =
    model.entities.reduce((s, e) => s + e.confidence, 0) / model.entities.length;
  const statementsUnderstood = claims.understood.size;
  const warnings = model.notes.filter(
    (n) => n.level === 'warning' && n.message.startsWith('Did not understand'),
  ).length;
  const coverage = statementsUnderstood / Math.max(1, statementsUnderstood + warnings);

  const requirements: Requirements = {
    schemaVersion: SCHEMA_VERSION,
    appName,
    title,
    summary: summaryOf(title, model),
    description: text,
    entities: model.entities,
    relations: model.relations,
    auth: model.auth,
    nonFunctional: model.nonFunctional,
    features: model.features,
    acceptanceCriteria: acceptanceCriteria(
      model.entities,
      model.relations,
      model.auth,
      model.features,
    ),
    notes: dedupeNotes(model.notes),
    origin: { producer: 'rule_based', version: PARSER_VERSION },
    confidence: Math.round(entityConfidence * (0.6 + 0.4 * coverage) * 100) / 100,
  };
  // The parser's output must satisfy the same schema as an agent's; a failure here is a bug.
  return RequirementsSchema.parse(requirements);
}

function dedupeNotes<T extends { message: string }>(notes: readonly T[]): T[] {
  const seen = new Set<string>();
  return notes
    .filter((n) => (seen.has(n.message) ? false : (seen.add(n.message), true)))
    .slice(0, 200);
}
