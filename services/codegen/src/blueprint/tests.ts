// The test planner: each acceptance criterion becomes one concrete test case (a "recipe" such as
// create, unique or forbidden, with the entity, field or relation it is about), named after the
// criterion's id so that a test report proves the criterion. A few extra cases (unknown ids,
// filters, health) cover generated code no criterion asks about. Stack-neutral: a stack decides
// how a recipe is written and which file a group of cases lives in.
import type { AcceptanceCriterion, Requirements } from '../domain/artifacts/index.js';
import type { AppModel, EntityModel } from './model.js';
import { listFilters, updatableProperties } from './model.js';
import { humanize } from './names.js';
import { isTextual } from './schemas.js';

export type Recipe =
  | 'create'
  | 'read'
  | 'not-found'
  | 'update'
  | 'delete'
  | 'list'
  | 'required'
  | 'unique'
  | 'enum'
  | 'types'
  | 'action'
  | 'anonymous'
  | 'forbidden'
  | 'signup'
  | 'login'
  | 'wrong-password'
  | 'child'
  | 'missing-parent'
  | 'link'
  | 'search'
  | 'smoke'
  | 'update-missing'
  | 'delete-missing'
  | 'filter'
  | 'health'
  | 'openapi'
  | 'config';

export interface TestCase {
  /** "T-001", ... in plan order. */
  id: string;
  /** Test name; for a criterion "AC-007 Book isbn is unique". */
  name: string;
  criteria: string[];
  /** Group of cases sharing a test file: an entity's segment, or the auth/app group. */
  group: string;
  recipe: Recipe;
  entity?: string;
  field?: string;
  /** Fields a search case filters by. */
  fields?: string[];
  /** Action name, link accessor, or foreign key (child cases) the case is about. */
  member?: string;
  /** Operation a forbidden case attempts: a CRUD kind or an action name. */
  operation?: string;
}

export interface TestGroups {
  auth: string;
  app: string;
}

/** Group names of the non-entity cases, clear of entity segments ("auth" could be an entity). */
export function testGroups(model: Pick<AppModel, 'entities'>): TestGroups {
  const segments = new Set(model.entities.map((e) => e.segment));
  return {
    auth: segments.has('auth') ? 'auth-flow' : 'auth',
    app: segments.has('app') ? 'app-system' : 'app',
  };
}

function text(ac: AcceptanceCriterion): string {
  return `${ac.title} ${ac.given} ${ac.when} ${ac.then}`.toLowerCase();
}

function mentions(ac: AcceptanceCriterion, name: string): boolean {
  return text(ac).includes(humanize(name));
}

type Draft = Omit<TestCase, 'id' | 'name' | 'criteria' | 'group'> & { group?: string };

function operationCase(ac: AcceptanceCriterion, e: EntityModel): Draft | undefined {
  const t = text(ac);
  switch (ac.operation) {
    case 'create':
      return e.operations.create ? { recipe: 'create', entity: e.name } : undefined;
    case 'read':
      if (!e.operations.read) return undefined;
      return /not found|unknown|missing|does not exist|no such/.test(t)
        ? { recipe: 'not-found', entity: e.name }
        : { recipe: 'read', entity: e.name };
    case 'update': {
      if (!e.operations.update || updatableProperties(e) === 0) return undefined;
      const field = e.fields.find((f) => f.name === ac.field) ?? e.fields[0];
      return { recipe: 'update', entity: e.name, ...(field ? { field: field.name } : {}) };
    }
    case 'delete':
      return e.operations.delete ? { recipe: 'delete', entity: e.name } : undefined;
    case 'list':
      return e.operations.list ? { recipe: 'list', entity: e.name } : undefined;
    default:
      return undefined;
  }
}

function validationCase(ac: AcceptanceCriterion, e: EntityModel): Draft | undefined {
  if (!e.operations.create) return undefined;
  const t = text(ac);
  const field = e.fields.find((f) => f.name === ac.field);
  if (/unique|duplicate|already/.test(t)) {
    const unique = field?.unique ? field : e.fields.find((f) => f.unique && mentions(ac, f.name));
    if (unique) return { recipe: 'unique', entity: e.name, field: unique.name };
  }
  if (/allowed values|listed values|one of|only its/.test(t)) {
    const en = field?.type === 'enum' ? field : e.fields.find((f) => f.type === 'enum');
    if (en) return { recipe: 'enum', entity: e.name, field: en.name };
  }
  if (/requires|required|missing|without/.test(t) && e.fields.some((f) => f.required)) {
    return { recipe: 'required', entity: e.name };
  }
  if (e.fields.some((f) => f.type !== 'enum')) return { recipe: 'types', entity: e.name };
  if (e.fields.some((f) => f.required)) return { recipe: 'required', entity: e.name };
  return undefined;
}

function authCase(ac: AcceptanceCriterion, model: AppModel, e: EntityModel | undefined): Draft {
  const t = text(ac);
  if (!model.auth) return { recipe: 'smoke' };
  if (!e) {
    if (/sign(s|ed)? up|signup|register|create(s|d)? an account/.test(t)) {
      return { recipe: 'signup' };
    }
    if (/wrong|invalid|incorrect|bad password|refused/.test(t)) return { recipe: 'wrong-password' };
    return { recipe: 'login' };
  }
  if (/forbidden|only /.test(t) && ac.operation !== undefined) {
    const op = ac.operation;
    const access =
      e.actions.find((a) => a.name === op)?.access ??
      (op === 'create' || op === 'update' || op === 'delete' || op === 'read' || op === 'list'
        ? e.operations[op]
        : undefined);
    const others = model.auth.roles.filter((r) => !(access?.roles ?? []).includes(r));
    if (access && access.roles.length > 0 && others.length > 0) {
      return { recipe: 'forbidden', entity: e.name, operation: op };
    }
  }
  return { recipe: 'anonymous', entity: e.name };
}

function relationCase(
  ac: AcceptanceCriterion,
  model: AppModel,
  requirements: Requirements,
  e: EntityModel | undefined,
): Draft | undefined {
  if (!e) return undefined;
  const t = text(ac);
  const candidates = requirements.relations.filter((r) =>
    r.kind === 'many_to_many' ? r.from === e.name || r.to === e.name : r.to === e.name,
  );
  const rel =
    candidates.find((r) => mentions(ac, r.from === e.name ? r.to : r.from)) ?? candidates[0];
  if (!rel) return undefined;
  if (rel.kind === 'many_to_many') {
    const owner = model.entities.find((x) => x.name === rel.from);
    const link = owner?.links.find((l) => l.name === rel.name && l.other === rel.to);
    if (!owner || !link) return undefined;
    return { recipe: 'link', entity: owner.name, member: link.name, group: e.segment };
  }
  const fk = e.foreignKeys.find((f) => f.parent === rel.from && f.accessor === rel.inverseName);
  if (!fk) return undefined;
  const missing = /missing|cannot reference|does not exist|unknown|no .* with/.test(t);
  return { recipe: missing ? 'missing-parent' : 'child', entity: e.name, member: fk.name };
}

function featureCase(ac: AcceptanceCriterion, e: EntityModel | undefined): Draft | undefined {
  if (!e || !e.operations.list) return undefined;
  const named = e.fields.filter((f) => mentions(ac, f.name));
  const fields =
    named.length > 0
      ? named
      : e.fields.filter((f) => isTextual(f.type)).slice(0, 1).length > 0
        ? e.fields.filter((f) => isTextual(f.type)).slice(0, 1)
        : e.fields.slice(0, 1);
  if (fields.length === 0) return undefined;
  return { recipe: 'search', entity: e.name, fields: fields.map((f) => f.name) };
}

function criterionCase(
  ac: AcceptanceCriterion,
  model: AppModel,
  requirements: Requirements,
): Draft {
  const e = ac.entity !== undefined ? model.entities.find((x) => x.name === ac.entity) : undefined;
  let draft: Draft | undefined;
  switch (ac.kind) {
    case 'operation':
      draft = e ? operationCase(ac, e) : undefined;
      break;
    case 'validation':
      draft = e ? validationCase(ac, e) : undefined;
      break;
    case 'action': {
      const action = e?.actions.find((a) => a.name === ac.operation);
      draft = e && action ? { recipe: 'action', entity: e.name, member: action.name } : undefined;
      break;
    }
    case 'auth':
      draft = authCase(ac, model, e);
      break;
    case 'relation':
      draft = relationCase(ac, model, requirements, e);
      break;
    case 'feature':
      draft = featureCase(ac, e);
      break;
    default:
      draft = undefined;
  }
  return draft ?? { recipe: 'smoke', ...(e ? { group: e.segment } : {}) };
}

/** Test cases for every acceptance criterion of `requirements`, then the extra cases. */
export function planTests(model: AppModel, requirements: Requirements): TestCase[] {
  const groups = testGroups(model);
  const cases: Omit<TestCase, 'id'>[] = [];
  for (const ac of requirements.acceptanceCriteria) {
    const draft = criterionCase(ac, model, requirements);
    const entity =
      draft.entity !== undefined ? model.entities.find((x) => x.name === draft.entity) : undefined;
    const group =
      draft.group ??
      entity?.segment ??
      (['signup', 'login', 'wrong-password'].includes(draft.recipe) ? groups.auth : groups.app);
    const { group: _g, ...rest } = draft;
    cases.push({ ...rest, group, name: `${ac.id} ${ac.title}`, criteria: [ac.id] });
  }
  for (const e of model.entities) {
    if (e.operations.update && updatableProperties(e) > 0) {
      cases.push({
        recipe: 'update-missing',
        entity: e.name,
        group: e.segment,
        name: `changing an unknown ${e.human} answers not found`,
        criteria: [],
      });
    }
    if (e.operations.delete) {
      cases.push({
        recipe: 'delete-missing',
        entity: e.name,
        group: e.segment,
        name: `deleting an unknown ${e.human} answers not found`,
        criteria: [],
      });
    }
    const filters = listFilters(e);
    const filterable = [...filters.fields.map((f) => f.name), ...filters.keys.map((f) => f.name)];
    // The case also checks the text search and the page size, so it exists even when nothing
    // but date-times is left to filter on.
    if (e.operations.list && e.fields.length + e.foreignKeys.length > 0) {
      cases.push({
        recipe: 'filter',
        entity: e.name,
        group: e.segment,
        fields: filterable,
        name: `${e.humanPlural} can be filtered by each field`,
        criteria: [],
      });
    }
  }
  cases.push(
    {
      recipe: 'health',
      group: groups.app,
      name: 'the service answers its health check',
      criteria: [],
    },
    {
      recipe: 'openapi',
      group: groups.app,
      name: 'the OpenAPI document is served and matches openapi.json',
      criteria: [],
    },
    {
      recipe: 'config',
      group: groups.app,
      name: 'a bad setting stops start-up with a message naming it',
      criteria: [],
    },
  );
  return cases.map((c, i) => ({ id: `T-${String(i + 1).padStart(3, '0')}`, ...c }));
}
