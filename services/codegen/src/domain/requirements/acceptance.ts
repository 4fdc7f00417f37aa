// Acceptance criteria generated from the requirements: one or more Given/When/Then statements per
// entity operation, validation rule, relation, custom action, auth rule and feature. They are
// stack-neutral (no HTTP codes): the test planner of each stack maps them to concrete tests, and
// the quality gate requires each id to map to at least one passing test.
import type {
  AcceptanceCriterion,
  Auth,
  Entity,
  Feature,
  Field,
  Relation,
} from '../artifacts/index.js';
import { identifierWords, withArticle } from './words.js';

type Draft = Omit<AcceptanceCriterion, 'id'>;

function human(name: string): string {
  return identifierWords(name).join(' ');
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]!}`;
}

function sampleValue(field: Field): string {
  switch (field.type) {
    case 'email':
      return '"not-an-email"';
    case 'url':
      return '"not a url"';
    case 'date':
    case 'datetime':
      return '"yesterday-ish"';
    case 'integer':
      return '2.5';
    case 'number':
    case 'money':
      return '"a lot"';
    case 'boolean':
      return '"maybe"';
    default:
      return 'a wrong value';
  }
}

function entityCriteria(entity: Entity, auth: Auth): Draft[] {
  const out: Draft[] = [];
  const e = human(entity.name);
  const p = human(entity.pluralName);
  const who = auth.enabled ? 'a signed-in user allowed to do so' : 'a client';
  const fieldNames = entity.fields.map((f) => human(f.name));
  const withValues = fieldNames.length > 0 ? ` with valid values for ${list(fieldNames)}` : '';
  const conf = entity.confidence;
  const op = (name: string): boolean => entity.operations.some((o) => o.name === name);

  if (op('create')) {
    out.push({
      title: `Create ${withArticle(e)}`,
      given: `${who}`,
      when: `it creates ${withArticle(e)}${withValues}`,
      then: `the ${e} is stored with a new id and reading it back returns the same values`,
      kind: 'operation',
      entity: entity.name,
      operation: 'create',
      confidence: conf,
    });
  }
  if (op('read')) {
    out.push({
      title: `Read ${withArticle(e)}`,
      given: `a stored ${e}`,
      when: `${who} asks for it by id`,
      then: `its values are returned`,
      kind: 'operation',
      entity: entity.name,
      operation: 'read',
      confidence: conf,
    });
    out.push({
      title: `Unknown ${e} is not found`,
      given: `no ${e} with a given id`,
      when: `${who} asks for that id`,
      then: `the answer is "not found" and nothing else is revealed`,
      kind: 'operation',
      entity: entity.name,
      operation: 'read',
      confidence: conf,
    });
  }
  if (op('update') && entity.fields.length > 0) {
    const f = entity.fields[0]!;
    out.push({
      title: `Update ${withArticle(e)}`,
      given: `a stored ${e}`,
      when: `${who} changes its ${human(f.name)} to another valid value`,
      then: `reading the ${e} returns the new ${human(f.name)} and the other values unchanged`,
      kind: 'operation',
      entity: entity.name,
      operation: 'update',
      field: f.name,
      confidence: conf,
    });
  }
  if (op('delete')) {
    out.push({
      title: `Delete ${withArticle(e)}`,
      given: `a stored ${e}`,
      when: `${who} deletes it`,
      then: `it can no longer be read and no longer appears in the list of ${p}`,
      kind: 'operation',
      entity: entity.name,
      operation: 'delete',
      confidence: conf,
    });
  }
  if (op('list')) {
    out.push({
      title: `List ${p} page by page`,
      given: `more stored ${p} than fit on one page`,
      when: `${who} lists ${p} with a page size`,
      then: `at most that many ${p} are returned, with a way to get the next page and the total count`,
      kind: 'operation',
      entity: entity.name,
      operation: 'list',
      confidence: conf,
    });
  }

  const required = entity.fields.filter((f) => f.required);
  if (required.length > 0) {
    out.push({
      title: `${entity.name} requires ${list(required.map((f) => human(f.name)))}`,
      given: `${who}`,
      when: `it creates ${withArticle(e)} without ${list(required.map((f) => human(f.name)))}`,
      then: `the ${e} is rejected with an error naming each missing field, and nothing is stored`,
      kind: 'validation',
      entity: entity.name,
      operation: 'create',
      ...(required.length === 1 ? { field: required[0]!.name } : {}),
      confidence: Math.min(conf, ...required.map((f) => f.confidence)),
    });
  }
  for (const f of entity.fields.filter((x) => x.unique)) {
    out.push({
      title: `${entity.name} ${human(f.name)} is unique`,
      given: `a stored ${e} with a given ${human(f.name)}`,
      when: `${who} creates another ${e} with the same ${human(f.name)}`,
      then: `it is rejected as a duplicate of ${human(f.name)} and the first ${e} is unchanged`,
      kind: 'validation',
      entity: entity.name,
      operation: 'create',
      field: f.name,
      confidence: f.confidence,
    });
  }
  for (const f of entity.fields.filter((x) => x.type === 'enum')) {
    out.push({
      title: `${entity.name} ${human(f.name)} accepts only its listed values`,
      given: `${who}`,
      when: `it sets ${withArticle(e)}'s ${human(f.name)} to a value other than ${list(f.enumValues)}`,
      then: `it is rejected with an error naming ${human(f.name)} and its allowed values`,
      kind: 'validation',
      entity: entity.name,
      operation: 'create',
      field: f.name,
      confidence: f.confidence,
    });
  }
  const typed = entity.fields.filter((f) => !['text', 'enum'].includes(f.type));
  if (typed.length > 0) {
    const f = typed[0]!;
    out.push({
      title: `${entity.name} values must have the right types`,
      given: `${who}`,
      when: `it creates ${withArticle(e)} with ${sampleValue(f)} as ${human(f.name)} (a ${f.type})${typed.length > 1 ? ` or a wrongly typed ${list(typed.slice(1).map((x) => `${human(x.name)} (${x.type})`))}` : ''}`,
      then: `it is rejected with an error naming the field and the expected type`,
      kind: 'validation',
      entity: entity.name,
      operation: 'create',
      field: f.name,
      confidence: Math.min(conf, f.confidence),
    });
  }

  for (const action of entity.operations.filter((o) => o.kind === 'action')) {
    const by = action.actors.length > 0 ? `a ${list(action.actors.map(human))}` : who;
    const target =
      action.target !== undefined ? ` on behalf of a stored ${human(action.target)}` : '';
    out.push({
      title: `${human(action.name)} ${withArticle(e)}`,
      given: `a stored ${e}${action.target !== undefined ? ` and a stored ${human(action.target)}` : ''}`,
      when: `${by} performs "${human(action.name)}" on it${target}`,
      then: `the action is recorded on the ${e}${action.target !== undefined ? ` together with the ${human(action.target)}` : ''} and can be seen when reading it`,
      kind: 'action',
      entity: entity.name,
      operation: action.name,
      confidence: action.confidence,
    });
  }

  if (auth.enabled) {
    out.push({
      title: `Anonymous users cannot change ${p}`,
      given: `a client that is not signed in`,
      when: `it tries to create, update or delete ${withArticle(e)}`,
      then: `it is refused as unauthenticated and nothing changes`,
      kind: 'auth',
      entity: entity.name,
      operation: 'create',
      confidence: auth.confidence,
    });
    for (const o of entity.operations.filter(
      (x) => x.actors.length > 0 && x.kind !== 'read' && x.kind !== 'list',
    )) {
      const allowed = o.actors.filter((a) => auth.roles.some((r) => r.name === a));
      const others = auth.roles.filter((r) => !allowed.includes(r.name));
      if (allowed.length === 0 || others.length === 0) continue;
      out.push({
        title: `Only ${list(allowed.map(human))} can ${human(o.name)} ${p}`,
        given: `a signed-in ${human(others[0]!.name)}`,
        when: `it tries to ${human(o.name)} ${withArticle(e)}`,
        then: `it is refused as forbidden and nothing changes`,
        kind: 'auth',
        entity: entity.name,
        operation: o.name,
        confidence: o.confidence,
      });
    }
  }
  return out;
}

function relationCriteria(rel: Relation): Draft[] {
  const from = human(rel.from);
  const to = human(rel.to);
  if (rel.kind === 'many_to_many') {
    return [
      {
        title: `Link ${from} and ${to}`,
        given: `a stored ${from} and a stored ${to}`,
        when: `they are linked`,
        then: `the ${to} appears among the ${from}'s ${human(rel.name)} and the ${from} among the ${to}'s ${human(rel.inverseName)}`,
        kind: 'relation',
        entity: rel.from,
        confidence: rel.confidence,
      },
    ];
  }
  return [
    {
      title: `${withArticle(to).replace(/^a/, 'A')} belongs to ${withArticle(from)}`,
      given: `a stored ${from}`,
      when: `${withArticle(to)} is created with that ${from} as its ${human(rel.inverseName)}`,
      then: `the ${to} is listed among the ${from}'s ${human(rel.name)}`,
      kind: 'relation',
      entity: rel.to,
      confidence: rel.confidence,
    },
    {
      title: `A ${to} cannot reference a missing ${from}`,
      given: `no ${from} with a given id`,
      when: `${withArticle(to)} is created with that id as its ${human(rel.inverseName)}`,
      then: `it is rejected with an error naming ${human(rel.inverseName)}, and nothing is stored`,
      kind: 'relation',
      entity: rel.to,
      confidence: rel.confidence,
    },
  ];
}

function authCriteria(auth: Auth): Draft[] {
  if (!auth.enabled) return [];
  const out: Draft[] = [];
  if (auth.signup) {
    out.push({
      title: 'Sign up',
      given: 'a visitor without an account',
      when: 'it signs up with an email and a password',
      then: 'an account is created, the password is stored only as a salted hash, and the visitor can log in',
      kind: 'auth',
      confidence: auth.confidence,
    });
  }
  out.push({
    title: 'Log in',
    given: 'a registered account',
    when: 'its owner logs in with the right password',
    then: 'a session token is issued that authenticates later requests',
    kind: 'auth',
    confidence: auth.confidence,
  });
  out.push({
    title: 'Wrong password is refused',
    given: 'a registered account',
    when: 'someone logs in with a wrong password',
    then: 'no token is issued and the answer does not say whether the account exists',
    kind: 'auth',
    confidence: auth.confidence,
  });
  return out;
}

function featureCriteria(feature: Feature): Draft[] {
  if (feature.entity === undefined) return [];
  const e = human(feature.entity);
  if (feature.kind === 'search' || feature.kind === 'filter') {
    const by = feature.fields.length > 0 ? list(feature.fields.map(human)) : 'its fields';
    return [
      {
        title: `${feature.kind === 'search' ? 'Search' : 'Filter'} ${e} records by ${by}`,
        given: `stored ${e} records with different ${by}`,
        when: `a client ${feature.kind === 'search' ? 'searches' : 'filters'} by ${by}`,
        then: `only the matching records are returned`,
        kind: 'feature',
        entity: feature.entity,
        confidence: feature.confidence,
      },
    ];
  }
  return [];
}

/** Numbered acceptance criteria ("AC-001", ...) for the given model, in a stable order. */
export function acceptanceCriteria(
  entities: readonly Entity[],
  relations: readonly Relation[],
  auth: Auth,
  features: readonly Feature[],
): AcceptanceCriterion[] {
  const drafts = [
    ...authCriteria(auth),
    ...entities.flatMap((e) => entityCriteria(e, auth)),
    ...relations.flatMap(relationCriteria),
    ...features.flatMap(featureCriteria),
  ];
  return drafts.map((d, i) => ({ id: `AC-${String(i + 1).padStart(3, '0')}`, ...d }));
}
