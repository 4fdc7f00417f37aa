// From claims to typed artifacts: decides which mentioned nouns are entities, which list items are
// fields and which are links to other entities, merges duplicates, and fills in defaults.
import type {
  Auth,
  Entity,
  Feature,
  Field,
  NonFunctionalRequirement,
  Operation,
  OperationKind,
  Relation,
  Role,
} from '../artifacts/index.js';
import { CRUD_OPERATIONS } from '../artifacts/index.js';
import type { AttributeClaim, Claims, EntityClaim, RelationClaim } from './claims.js';
import { inferFieldType } from './fieldtypes.js';
import {
  APP_NOUNS,
  DECLARABLE_NON_ENTITY,
  GENERIC_ACTORS,
  NON_ENTITY_NOUNS,
  PRIVILEGED_ROLES,
  ROLE_WORDS,
} from './lexicon.js';
import { matchEntity } from './match.js';
import { camelCase, isAdjectiveOnly, pascalCase, pluralPhrase, singularPhrase } from './words.js';

const CONTAINERS = new Set([
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

const UNIT_HEADS = new Set([
  'hour',
  'minute',
  'second',
  'day',
  'week',
  'month',
  'year',
  'time',
  'point',
  'step',
  'mile',
  'kilometer',
  'money',
  'dollar',
  'euro',
  'percent',
  'character',
  'char',
  'word',
  'letter',
  'digit',
  'byte',
]);

export interface BuiltModel {
  entities: Entity[];
  relations: Relation[];
  auth: Auth;
  features: Feature[];
  nonFunctional: NonFunctionalRequirement[];
  notes: { level: 'info' | 'warning'; message: string; source: string }[];
  /** Entity key -> entity name. */
  names: Map<string, string>;
}

const ENTITY_CONFIDENCE: Record<EntityClaim['strength'], number> = {
  declared: 0.95,
  listed: 0.85,
  related: 0.8,
  created: 0.75,
  actor: 0.65,
  mentioned: 0.5,
};

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

const PRONOUNS = new Set([
  'it',
  'its',
  'this',
  'that',
  'these',
  'those',
  'them',
  'they',
  'everything',
  'something',
  'anything',
]);

/** Which claimed nouns become entities. */
function selectEntities(claims: Claims): EntityClaim[] {
  const out: EntityClaim[] = [];
  const attributeOwners = new Set(claims.attributes.map((a) => a.entity));
  const accountKeys = new Set([
    ...claims.auth.loginSubjects.map((w) => singularPhrase(w).join(' ')),
    ...claims.auth.roles.filter((r) => r.explicit).map((r) => singularPhrase(r.words).join(' ')),
  ]);
  for (const claim of claims.entities.values()) {
    const key = claim.key;
    const head = claim.words[claim.words.length - 1] ?? '';
    if (claim.words.length === 0) continue;
    if ((CONTAINERS.has(head) || CONTAINERS.has(key)) && claim.strength !== 'declared') continue;
    if (GENERIC_ACTORS.has(key) && claim.strength !== 'declared') continue;
    if (
      NON_ENTITY_NOUNS.has(key) &&
      !(claim.strength === 'declared' && DECLARABLE_NON_ENTITY.has(key))
    ) {
      if (claim.strength !== 'declared' || !attributeOwners.has(key)) continue;
    }
    if (claim.strength === 'mentioned') continue;
    // "make it fast and pretty": a pronoun or a bare quality word is not a kind of record.
    if (claim.strength !== 'declared' && claim.strength !== 'listed') {
      if (claim.words.some((w) => PRONOUNS.has(w))) continue;
      if (claim.words.length === 1 && isAdjectiveOnly(head)) continue;
    }
    // "billable hours", "reward points": amounts of a unit, not records.
    if (UNIT_HEADS.has(head) && claim.strength !== 'declared') continue;
    if (claim.strength === 'actor' && ROLE_WORDS.has(key)) continue;
    // "Buyers purchase tickets" + "Buyers log in": people who only act and log in are accounts
    // with a role, not records of their own.
    if (
      claim.strength === 'actor' &&
      !attributeOwners.has(key) &&
      accountKeys.has(key) &&
      !claims.relations.some((r) => !r.conditional && (r.from === key || r.to === key))
    )
      continue;
    if (APP_NOUNS.has(key) && claim.strength !== 'declared' && claim.strength !== 'listed')
      continue;
    out.push(claim);
  }
  return out.sort((a, b) => a.order - b.order);
}

function fieldFromItem(claim: AttributeClaim): Field | null {
  const item = claim.item;
  const name = camelCase(item.words);
  if (name.length === 0 || name.length > 64 || !/^[a-z]/.test(name)) return null;
  const inferred = inferFieldType(item.words, {
    ...item.hints,
    ...(item.enumValues.length > 0 ? { enumValues: item.enumValues } : {}),
  });
  const enumValues = inferred.type === 'enum' ? item.enumValues : [];
  return {
    name,
    type: inferred.type,
    enumValues,
    required: item.required && !item.optional,
    unique: item.unique,
    description: '',
    confidence: round(claim.confidence * (0.5 + 0.5 * inferred.confidence)),
    source: claim.source,
  };
}

function mergeField(into: Field, other: Field): void {
  if (into.type === 'text' && other.type !== 'text') {
    into.type = other.type;
    into.enumValues = other.enumValues;
  } else if (into.type === 'enum' && other.type === 'enum') {
    into.enumValues = [...new Set([...into.enumValues, ...other.enumValues])];
  }
  into.required ||= other.required;
  into.unique ||= other.unique;
  into.confidence = Math.max(into.confidence, other.confidence);
}

function roleName(words: readonly string[]): string {
  const w = singularPhrase(words);
  const joined = w.join(' ');
  if (joined === 'administrator' || joined === 'super admin' || joined === 'superuser')
    return 'admin';
  return camelCase(w);
}

export function buildModel(claims: Claims): BuiltModel {
  const notes = [...claims.notes];
  const selected = selectEntities(claims);
  const entityWords = new Map(selected.map((c) => [c.key, c.words] as const));
  const names = new Map<string, string>();
  const usedNames = new Set<string>();
  for (const c of selected) {
    let name = pascalCase(c.words).slice(0, 64);
    if (!/^[A-Z]/.test(name)) name = `E${name}`;
    while (usedNames.has(name)) name = `${name}2`;
    usedNames.add(name);
    names.set(c.key, name);
  }

  const fields = new Map<string, Field[]>(selected.map((c) => [c.key, []]));
  const relationClaims: RelationClaim[] = claims.relations.filter(
    (r) => !r.conditional || (entityWords.has(r.from) && entityWords.has(r.to)),
  );

  for (const attr of claims.attributes) {
    const list = fields.get(attr.entity);
    if (list === undefined) {
      continue;
    }
    const item = attr.item;
    const isValueLike = item.enumValues.length > 0 || item.hints.boolean === true;
    const ref = isValueLike ? undefined : matchEntity(item.words, entityWords);
    if (ref !== undefined) {
      const plural = item.plural || item.quantifier === 'many' || item.writtenPlural === true;
      if (plural) {
        relationClaims.push({
          kind: 'has_many',
          from: attr.entity,
          to: ref,
          required: false,
          confidence: attr.confidence * 0.9,
          source: attr.source,
        });
      } else {
        const refWords = entityWords.get(ref)!;
        const sameAsEntity = singularPhrase(item.words).join(' ') === refWords.join(' ');
        relationClaims.push({
          kind: 'has_many',
          from: ref,
          to: attr.entity,
          ...(sameAsEntity ? {} : { inverseWords: item.words }),
          required: item.required,
          confidence: attr.confidence * 0.9,
          source: attr.source,
        });
      }
      continue;
    }
    const field = fieldFromItem(attr);
    if (field === null) continue;
    const existing = list.find((f) => f.name === field.name);
    if (existing !== undefined) mergeField(existing, field);
    else list.push(field);
  }

  for (const c of claims.constraints) {
    const name = camelCase(c.words);
    const singular = camelCase(singularPhrase(c.words));
    for (const list of fields.values()) {
      for (const f of list) {
        if (f.name !== name && f.name !== singular) continue;
        if (c.unique === true) f.unique = true;
        if (c.required === true) f.required = true;
      }
    }
  }

  // Relations: dedupe, resolve names, and merge opposite has_many into many_to_many.
  const relations: Relation[] = [];
  const keyOf = (r: { kind: string; from: string; to: string; inverseName: string }): string =>
    r.kind === 'many_to_many'
      ? `m2m:${[r.from, r.to].sort().join('|')}`
      : `${r.kind}:${r.from}|${r.to}|${r.inverseName}`;
  const seen = new Map<string, Relation>();
  for (const rc of relationClaims) {
    const from = names.get(rc.from);
    const to = names.get(rc.to);
    if (from === undefined || to === undefined) continue;
    if (from === to && rc.inverseWords === undefined) continue;
    const fromWords = entityWords.get(rc.from)!;
    const toWords = entityWords.get(rc.to)!;
    const inverseName = camelCase(
      rc.inverseWords ?? (rc.kind === 'many_to_many' ? pluralPhrase(fromWords) : fromWords),
    );
    let name = camelCase(rc.nameWords ?? pluralPhrase(toWords));
    if (rc.inverseWords !== undefined && rc.kind !== 'many_to_many') {
      name = camelCase([...rc.inverseWords, ...pluralPhrase(toWords)]);
    }
    if (rc.kind === 'has_one') name = camelCase(toWords);
    const rel: Relation = {
      kind: rc.kind,
      from,
      to,
      name: name.slice(0, 64),
      inverseName: inverseName.slice(0, 64),
      required: rc.required,
      confidence: round(Math.min(1, rc.confidence)),
      source: rc.source,
    };
    const k = keyOf(rel);
    const prev = seen.get(k);
    if (prev !== undefined) {
      prev.required ||= rel.required;
      prev.confidence = Math.max(prev.confidence, rel.confidence);
      continue;
    }
    seen.set(k, rel);
    relations.push(rel);
  }
  // Opposite has_many with default names: many-to-many ("posts have many tags", "tags have many posts").
  const merged: Relation[] = [];
  for (const rel of relations) {
    if (rel.kind === 'many_to_many') {
      merged.push(rel);
      continue;
    }
    const m2m = relations.some(
      (o) =>
        o.kind === 'many_to_many' &&
        ((o.from === rel.from && o.to === rel.to) || (o.from === rel.to && o.to === rel.from)),
    );
    if (m2m) continue;
    const opposite = relations.find(
      (o) =>
        o !== rel &&
        o.kind === 'has_many' &&
        rel.kind === 'has_many' &&
        o.from === rel.to &&
        o.to === rel.from,
    );
    const defaultNames = (r: Relation): boolean =>
      r.inverseName === camelCase(identifierWordsOf(r.from));
    if (opposite !== undefined && defaultNames(rel) && defaultNames(opposite)) {
      if (
        merged.some(
          (m) =>
            m.kind === 'many_to_many' &&
            [m.from, m.to].sort().join() === [rel.from, rel.to].sort().join(),
        )
      )
        continue;
      merged.push({
        ...rel,
        kind: 'many_to_many',
        name: rel.name,
        inverseName: opposite.name,
        confidence: round(Math.min(rel.confidence, opposite.confidence)),
      });
      continue;
    }
    merged.push(rel);
  }

  // Operations.
  const opsByEntity = new Map<string, Operation[]>(selected.map((c) => [c.key, []]));
  for (const oc of claims.operations) {
    const list = opsByEntity.get(oc.entity);
    if (list === undefined) continue;
    const actors = [
      ...new Set(oc.actors.filter((a) => !GENERIC_ACTORS.has(a.join(' '))).map(roleName)),
    ].filter((a) => /^[a-z][A-Za-z0-9]*$/.test(a));
    const name = oc.kind === 'action' ? oc.name : oc.kind;
    if (!/^[a-z][A-Za-z0-9]*$/.test(name)) continue;
    const existing = list.find((o) => o.name === name);
    const target = oc.target !== undefined ? names.get(oc.target) : undefined;
    if (existing !== undefined) {
      existing.actors = [...new Set([...existing.actors, ...actors])];
      existing.confidence = Math.max(existing.confidence, oc.confidence);
      if (existing.target === undefined && target !== undefined && target !== names.get(oc.entity))
        existing.target = target;
      continue;
    }
    list.push({
      kind: oc.kind,
      name,
      actors,
      ...(target !== undefined && target !== names.get(oc.entity) ? { target } : {}),
      description: '',
      confidence: round(oc.confidence),
      source: oc.source,
    });
  }
  for (const [, list] of opsByEntity) {
    for (const kind of CRUD_OPERATIONS) {
      if (!list.some((o) => o.kind === kind && o.name === kind)) {
        list.push({
          kind,
          name: kind,
          actors: [],
          description: 'default',
          confidence: 0.5,
          source: '',
        });
      }
    }
    list.sort((a, b) => opOrder(a.kind) - opOrder(b.kind));
  }

  // Auth and roles.
  const a = claims.auth;
  const roleMap = new Map<string, Role>();
  const addRole = (words: readonly string[], confidence: number, source: string): void => {
    const key = words.join(' ');
    if (words.length === 0 || (GENERIC_ACTORS.has(key) && key !== 'user') || CONTAINERS.has(key))
      return;
    if (/^(?:everyone|everybody|anyone|all)$/.test(key)) return;
    const name = roleName(words);
    if (!/^[a-z][A-Za-z0-9]*$/.test(name) || name.length > 64) return;
    const prev = roleMap.get(name);
    if (prev !== undefined) prev.confidence = Math.max(prev.confidence, confidence);
    else roleMap.set(name, { name, description: '', confidence, source });
  };
  for (const r of a.roles) addRole(r.words, r.explicit ? 0.95 : 0.85, r.source);
  const actorWords = claims.operations.flatMap((o) => o.actors.map((w) => singularPhrase(w)));
  const privileged = actorWords.some((w) => PRIVILEGED_ROLES.has(w.join(' ')));
  const enabled = a.login || a.roles.length > 0 || privileged;
  let userEntity: string | undefined;
  if (enabled) {
    for (const s of a.loginSubjects) {
      const key = singularPhrase(s).join(' ');
      if (key === 'user' && (roleMap.size > 0 || privileged)) addRole(['user'], 0.7, '');
      else if (key !== 'user') addRole(s, 0.85, '');
      if (userEntity === undefined && names.has(key)) userEntity = names.get(key);
    }
    for (const w of actorWords) {
      const key = w.join(' ');
      if (!GENERIC_ACTORS.has(key)) addRole(w, 0.7, '');
    }
    if (userEntity === undefined && names.has('user')) userEntity = names.get('user');
  }
  const roles = [...roleMap.values()];
  const nonPrivileged = roles.filter((r) => !PRIVILEGED_ROLES.has(r.name));
  const loginRoles = a.loginSubjects
    .map((s) => roleName(s))
    .filter((n) => roleMap.has(n) && !PRIVILEGED_ROLES.has(n));
  const defaultRole = roleMap.has('user') ? 'user' : (loginRoles[0] ?? nonPrivileged[0]?.name);
  const auth: Auth = {
    enabled,
    signup: enabled && a.signup,
    ...(userEntity !== undefined ? { userEntity } : {}),
    roles,
    ...(enabled && defaultRole !== undefined ? { defaultRole } : {}),
    confidence: enabled ? (a.login ? 0.9 : 0.7) : 0.8,
    source: a.sources.join(' | ').slice(0, 2000),
  };

  // Entities.
  const entities: Entity[] = selected.map((c) => {
    const name = names.get(c.key)!;
    const entityFields = fields.get(c.key) ?? [];
    if (entityFields.length === 0) {
      notes.push({
        level: 'warning',
        message: `No fields were described for ${name}; add them, e.g. "Each ${c.words.join(' ')} has a name and a description".`,
        source: c.source,
      });
    }
    for (const f of entityFields) {
      if (
        f.type === 'text' &&
        /^(?:status|state|type|kind|category|priority|stage|level)$/.test(f.name)
      ) {
        notes.push({
          level: 'info',
          message: `${name}.${f.name} has no listed values, so it is free text; list them to make it an enum, e.g. "${f.name}: open, closed".`,
          source: f.source,
        });
      }
    }
    return {
      name,
      pluralName: pascalCase(pluralPhrase(c.words)).slice(0, 64),
      description: '',
      fields: entityFields,
      operations: opsByEntity.get(c.key) ?? [],
      confidence: ENTITY_CONFIDENCE[c.strength],
      source: c.source,
    };
  });

  const features: Feature[] = claims.features.map((f) => {
    const entity = f.entity !== undefined ? names.get(f.entity) : undefined;
    const fieldNames = f.fields
      .map((w) => camelCase(w))
      .filter((n) => /^[a-z][A-Za-z0-9]*$/.test(n));
    return {
      kind: f.kind,
      ...(entity !== undefined ? { entity } : {}),
      fields: entity !== undefined ? fieldNames : [],
      description: f.description.slice(0, 2000),
      confidence: entity !== undefined ? 0.85 : 0.7,
      source: f.source,
    };
  });

  const nonFunctional: NonFunctionalRequirement[] = claims.nonFunctional.map((n) => ({
    category: n.category,
    text: n.text.slice(0, 2000),
    confidence: 0.8,
    source: n.source,
  }));

  return { entities, relations: merged, auth, features, nonFunctional, notes, names };
}

function identifierWordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/\s+/)
    .map((w) => w.toLowerCase());
}

function opOrder(kind: OperationKind): number {
  return ['create', 'read', 'update', 'delete', 'list', 'action'].indexOf(kind);
}
