// The application model: Requirements resolved into the concrete shape every stack renders —
// tables and columns with their constraints, foreign keys for has-many/has-one relations, join
// tables for many-to-many, an event table per custom action, the HTTP routes and who may call
// them. It is stack-neutral (no framework, no language) and deterministic: the same Requirements
// always give the same model, in the same order. The Blueprint's data model, OpenAPI document
// and test plan are projections of it, and stack templates render from it.
import { createHash } from 'node:crypto';
import { withArticle } from '../domain/requirements/words.js';
import type {
  CrudOperation,
  DataColumn,
  DataIndex,
  DataModel,
  DataTable,
  Entity,
  Field,
  FieldType,
  Requirements,
} from '../domain/artifacts/index.js';
import {
  camelCase,
  humanize,
  kebabCase,
  participles,
  pascalCase,
  safeTypeName,
  snakeCase,
} from './names.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type OnDelete = 'cascade' | 'restrict' | 'set_null';

/** Who may call a route. `roles` empty: any signed-in user (when `authenticated`). */
export interface Access {
  authenticated: boolean;
  roles: string[];
}

export const PUBLIC: Access = { authenticated: false, roles: [] };

export interface FieldModel {
  /** camelCase name in the API and in code. */
  name: string;
  column: string;
  type: FieldType;
  enumValues: string[];
  required: boolean;
  unique: boolean;
  description: string;
}

export interface ForeignKeyModel {
  /** API field holding the id, e.g. "authorId". */
  name: string;
  column: string;
  /** Relation accessor on this side, e.g. "author". */
  accessor: string;
  /** Referenced entity. */
  parent: string;
  required: boolean;
  /** has-one: at most one record per parent. */
  unique: boolean;
  onDelete: OnDelete;
  origin: 'has_many' | 'has_one' | 'through';
}

export interface ActionTargetModel {
  entity: string;
  /** Body field and event column naming the target record, e.g. "memberId". */
  name: string;
  column: string;
}

export interface ActionModel {
  /** camelCase verb, e.g. "checkIn". */
  name: string;
  /** URL segment, e.g. "check-in". */
  segment: string;
  pascal: string;
  description: string;
  target?: ActionTargetModel;
  /** A state the action leaves behind on the record: status -> "completed", published -> true. */
  effect?: { field: string; value: string | boolean };
  /** Table recording each time the action is performed. */
  table: string;
  /** Column of the event table referencing the entity, e.g. "book_id". */
  entityColumn: string;
  /** API name of that column, e.g. "bookId". */
  entityKey: string;
  /**
   * With auth: the column recording the account that performed the action ("user_id", or
   * "actor_id" when the entity or the target is itself called User).
   */
  actor?: { name: string; column: string };
  access: Access;
}

export interface ChildListModel {
  /** Relation accessor on the parent, e.g. "books". */
  name: string;
  segment: string;
  child: string;
  /** Foreign key field on the child. */
  foreignKey: string;
  single: boolean;
}

export interface LinkModel {
  /** Accessor on this side, e.g. "tags". */
  name: string;
  segment: string;
  other: string;
  /** Join table (a plain join table, or the table of the `through` entity). */
  table: string;
  ownColumn: string;
  otherColumn: string;
  /** Entity whose records are the links; absent for a plain join table. */
  through?: string;
  /** Link/unlink routes (PUT/DELETE) live on the owner side of a plain join table. */
  owner: boolean;
  /** Path parameter of the other record on the link routes, e.g. "tagId". */
  otherParam: string;
  access: Access;
}

export interface EntityModel {
  name: string;
  /** TypeScript-safe type name (an entity called "Event" is "EventEntity"). */
  typeName: string;
  plural: string;
  table: string;
  /** "books": URL segment, module and test group. */
  segment: string;
  human: string;
  humanPlural: string;
  description: string;
  fields: FieldModel[];
  foreignKeys: ForeignKeyModel[];
  operations: Partial<Record<CrudOperation, Access>>;
  actions: ActionModel[];
  children: ChildListModel[];
  links: LinkModel[];
}

export interface JoinTableModel {
  table: string;
  from: string;
  to: string;
  fromColumn: string;
  toColumn: string;
}

export interface AuthModel {
  /** Table of the accounts ("users", or "accounts" when an entity already uses "users"). */
  table: string;
  roles: string[];
  /** Role of a newly registered account; absent when there are no roles. */
  defaultRole?: string;
  signup: boolean;
}

export interface RouteModel {
  kind:
    | 'health'
    | 'openapi'
    | 'register'
    | 'login'
    | 'me'
    | 'list'
    | 'create'
    | 'read'
    | 'update'
    | 'delete'
    | 'action'
    | 'action-events'
    | 'children'
    | 'links'
    | 'link'
    | 'unlink';
  method: HttpMethod;
  /** OpenAPI path template, e.g. "/books/{id}/tags/{tagId}". */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  entity?: string;
  /** Action name, child-list or link accessor the route serves. */
  member?: string;
  access: Access;
}

export interface AppModel {
  appName: string;
  title: string;
  summary: string;
  auth?: AuthModel;
  entities: EntityModel[];
  joins: JoinTableModel[];
  dataModel: DataModel;
  routes: RouteModel[];
  /** Decisions a reader of the generated project should know about. */
  notes: string[];
}

/** Fields the generated tables always have; a requirement field of that name is dropped. */
const SYSTEM_FIELDS = new Set(['id', 'createdAt', 'updatedAt']);
/**
 * First URL segments an entity may not take: the system and auth routes (and the auth route
 * module, src/routes/auth.ts in ts-fastify).
 */
const RESERVED_SEGMENTS = ['auth', 'healthz', 'openapi.json', 'readyz', 'metrics', 'docs'];
/**
 * Member names a record cannot have in generated code: a property called "constructor" or
 * "toString" clashes with Object.prototype in TypeScript's assignability checks, and "getSQL" or
 * "enableRLS" with a drizzle table's own members (its columns are properties of the same object).
 * Such a field is renamed ("constructorValue").
 */
const RESERVED_MEMBERS = new Set([
  'constructor',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  'toString',
  'valueOf',
  'enableRLS',
  'getSQL',
]);
/** Query parameters of every list route; a field of the same name is not a list filter. */
export const LIST_PARAMETERS: ReadonlySet<string> = new Set(['limit', 'offset', 'q']);
const MAX_SQL_NAME = 63;

/**
 * A SQL identifier of at most 63 bytes (PostgreSQL truncates longer ones silently, which would
 * break the constraint names the generated error handler relies on).
 */
export function sqlName(...parts: string[]): string {
  return shortName(parts.filter((p) => p !== '').join('_'), '_');
}

/** `name` if it has at most 63 characters, else a prefix and a hash of the whole. */
function shortName(name: string, separator: '_' | '-'): string {
  if (name.length <= MAX_SQL_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  const prefix = name.slice(0, MAX_SQL_NAME - 9);
  return `${separator === '_' ? prefix.replace(/_+$/, '') : prefix.replace(/-+$/, '')}${separator}${hash}`;
}

export type ConstraintKind = 'pkey' | 'key' | 'fkey' | 'check' | 'idx';

/** Name of a constraint or index, PostgreSQL's own convention made explicit. */
export function constraintName(table: string, columns: readonly string[], kind: ConstraintKind) {
  return sqlName(table, ...columns, kind);
}

export function sqlType(type: FieldType | 'id'): string {
  switch (type) {
    case 'id':
    case 'integer':
      return 'integer';
    case 'number':
      return 'double precision';
    case 'money':
      return 'numeric(12,2)';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'timestamptz';
    default:
      return 'text';
  }
}

class Names {
  private readonly used = new Set<string>();
  constructor(reserved: readonly string[] = []) {
    reserved.forEach((r) => this.used.add(r));
  }
  claim(wanted: string, alternatives: readonly string[] = [], separator = '_'): string {
    for (const candidate of [wanted, ...alternatives]) {
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        return candidate;
      }
    }
    for (let n = 2; ; n++) {
      const candidate = `${wanted}${separator}${n}`;
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        return candidate;
      }
    }
  }
  has(name: string): boolean {
    return this.used.has(name);
  }
}

export function buildAppModel(requirements: Requirements): AppModel {
  const notes: string[] = [];
  const tableNames = new Names(['schema_migrations']);

  // Entity tables first, so that the account table yields to an entity called "User".
  // Plurals need not be unique ("Datum" and "Data" both say "Data"), nor clear of the routes and
  // files the stack adds itself: URL segments (and so route modules and test files) and type
  // names are claimed one by one.
  const segments = new Names(RESERVED_SEGMENTS);
  const typeNames = new Names(requirements.entities.map((e) => e.name));
  const entities: EntityModel[] = requirements.entities.map((entity) => {
    const table = tableNames.claim(sqlName(snakeCase(entity.pluralName)), [
      sqlName(snakeCase(entity.pluralName), 'records'),
    ]);
    const typeName = safeTypeName(entity.name);
    return {
      name: entity.name,
      typeName: typeName === entity.name ? typeName : typeNames.claim(typeName, [], ''),
      plural: entity.pluralName,
      table,
      segment: segments.claim(
        shortName(kebabCase(entity.pluralName), '-'),
        [shortName(kebabCase(entity.name), '-')],
        '-',
      ),
      human: humanize(entity.name),
      humanPlural: humanize(entity.pluralName),
      description: entity.description,
      fields: fieldsOf(entity, notes),
      foreignKeys: [],
      operations: {},
      actions: [],
      children: [],
      links: [],
    };
  });
  const byName = new Map(entities.map((e) => [e.name, e]));

  let auth: AuthModel | undefined;
  if (requirements.auth.enabled) {
    const table = tableNames.claim('users', ['accounts', 'app_users']);
    // Roles are stored and put in tokens in snake_case ("desk_clerk").
    const roles = requirements.auth.roles.map((r) => snakeCase(r.name));
    const defaultRole = requirements.auth.defaultRole ?? requirements.auth.roles.at(-1)?.name;
    auth = {
      table,
      roles,
      ...(defaultRole !== undefined ? { defaultRole: snakeCase(defaultRole) } : {}),
      signup: requirements.auth.signup,
    };
    if (requirements.auth.userEntity !== undefined) {
      notes.push(
        `Accounts live in the "${table}" table; ${requirements.auth.userEntity} records are kept separately.`,
      );
    }
  }
  const roles = new Set(auth?.roles ?? []);
  const accessFor = (mutating: boolean, actors: readonly string[]): Access => {
    if (!auth) return PUBLIC;
    const allowed = [...new Set(actors.map(snakeCase).filter((a) => roles.has(a)))];
    return { authenticated: mutating || allowed.length > 0, roles: allowed };
  };

  // Relations: foreign keys, child lists, links and join tables.
  const joins: JoinTableModel[] = [];
  const segmentsOf = new Map(entities.map((e) => [e.name, new Set<string>()]));
  const claimSegment = (entity: string, wanted: string): string => {
    const used = segmentsOf.get(entity)!;
    let segment = wanted;
    for (let n = 2; used.has(segment); n++) segment = `${wanted}-${n}`;
    used.add(segment);
    return segment;
  };
  for (const rel of requirements.relations) {
    const from = byName.get(rel.from);
    const to = byName.get(rel.to);
    if (!from || !to) continue;
    if (rel.kind === 'has_many' || rel.kind === 'has_one') {
      const fk = addForeignKey(to, {
        accessor: rel.inverseName,
        parent: from.name,
        // A self-reference cannot be required: the first record would have no parent.
        required: rel.required && from !== to,
        unique: rel.kind === 'has_one',
        origin: rel.kind,
      });
      from.children.push({
        name: rel.name,
        segment: claimSegment(from.name, kebabCase(rel.name)),
        child: to.name,
        foreignKey: fk.name,
        single: rel.kind === 'has_one',
      });
      continue;
    }
    // many_to_many
    const through = rel.through !== undefined ? byName.get(rel.through) : undefined;
    if (through && through !== from && through !== to) {
      const fromKey = findOrAddThroughKey(through, from);
      const toKey = findOrAddThroughKey(through, to);
      from.links.push({
        name: rel.name,
        segment: claimSegment(from.name, kebabCase(rel.name)),
        other: to.name,
        table: through.table,
        ownColumn: fromKey.column,
        otherColumn: toKey.column,
        through: through.name,
        owner: false,
        otherParam: `${camelCase(to.name)}Id`,
        access: PUBLIC,
      });
      to.links.push({
        name: rel.inverseName,
        segment: claimSegment(to.name, kebabCase(rel.inverseName)),
        other: from.name,
        table: through.table,
        ownColumn: toKey.column,
        otherColumn: fromKey.column,
        through: through.name,
        owner: false,
        otherParam: `${camelCase(from.name)}Id`,
        access: PUBLIC,
      });
      continue;
    }
    const table = tableNames.claim(sqlName(snakeCase(from.name), snakeCase(to.plural)), [
      sqlName(snakeCase(from.name), snakeCase(to.plural), 'links'),
    ]);
    const fromColumn = sqlName(snakeCase(from.name), 'id');
    let toColumn = sqlName(snakeCase(to.name), 'id');
    if (toColumn === fromColumn) toColumn = sqlName(snakeCase(rel.name), 'id');
    if (toColumn === fromColumn) toColumn = sqlName('other', snakeCase(to.name), 'id');
    joins.push({ table, from: from.name, to: to.name, fromColumn, toColumn });
    const otherParam = from === to ? `${camelCase(rel.name)}Id` : `${camelCase(to.name)}Id`;
    from.links.push({
      name: rel.name,
      segment: claimSegment(from.name, kebabCase(rel.name)),
      other: to.name,
      table,
      ownColumn: fromColumn,
      otherColumn: toColumn,
      owner: true,
      otherParam: otherParam === 'id' ? 'otherId' : otherParam,
      access: accessFor(true, []),
    });
    if (from !== to) {
      to.links.push({
        name: rel.inverseName,
        segment: claimSegment(to.name, kebabCase(rel.inverseName)),
        other: from.name,
        table,
        ownColumn: toColumn,
        otherColumn: fromColumn,
        owner: false,
        otherParam: `${camelCase(from.name)}Id`,
        access: PUBLIC,
      });
    }
  }

  breakRequiredCycles(entities, notes);

  // Operations and custom actions.
  for (const source of requirements.entities) {
    const entity = byName.get(source.name)!;
    for (const op of source.operations) {
      if (op.kind !== 'action') {
        entity.operations[op.kind] = accessFor(op.kind !== 'read' && op.kind !== 'list', op.actors);
        continue;
      }
      const segment = claimSegment(entity.name, kebabCase(op.name));
      claimSegment(entity.name, `${segment}-events`);
      const target = op.target !== undefined ? byName.get(op.target) : undefined;
      const entityColumn = sqlName(snakeCase(entity.name), 'id');
      let targetColumn = target ? sqlName(snakeCase(target.name), 'id') : undefined;
      if (targetColumn !== undefined && targetColumn === entityColumn) {
        targetColumn = sqlName('other', targetColumn);
      }
      const actorColumn = auth
        ? new Names([entityColumn, ...(targetColumn ? [targetColumn] : [])]).claim('user_id', [
            'actor_id',
            'actor_user_id',
          ])
        : undefined;
      entity.actions.push({
        name: op.name,
        segment,
        pascal: pascalCase(op.name),
        description: op.description,
        ...(target && targetColumn
          ? { target: { entity: target.name, name: camelCase(targetColumn), column: targetColumn } }
          : {}),
        ...effectOf(op.name, entity.fields),
        table: tableNames.claim(sqlName(snakeCase(entity.name), snakeCase(op.name), 'events')),
        entityColumn,
        entityKey: camelCase(entityColumn),
        ...(actorColumn ? { actor: { name: camelCase(actorColumn), column: actorColumn } } : {}),
        access: accessFor(true, op.actors),
      });
    }
  }

  const routes = buildRoutes(entities, byName, auth);
  const dataModel = buildDataModel(entities, joins, auth, byName);
  return {
    appName: requirements.appName,
    title: requirements.title,
    summary: requirements.summary,
    ...(auth ? { auth } : {}),
    entities,
    joins,
    dataModel,
    routes,
    notes,
  };
}

/**
 * Required foreign keys that form a cycle (A needs a B, B needs an A) make both tables
 * impossible to fill; the key closing each cycle becomes optional.
 */
function breakRequiredCycles(entities: readonly EntityModel[], notes: string[]): void {
  const byName = new Map(entities.map((e) => [e.name, e]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (e: EntityModel): void => {
    state.set(e.name, 'visiting');
    for (const fk of e.foreignKeys) {
      if (!fk.required) continue;
      const parent = byName.get(fk.parent)!;
      const s = state.get(parent.name);
      if (s === 'visiting') {
        fk.required = false;
        fk.onDelete = 'set_null';
        notes.push(`${e.name}.${fk.name} is optional: required references would form a cycle.`);
      } else if (s === undefined) {
        visit(parent);
      }
    }
    state.set(e.name, 'done');
  };
  for (const e of entities) if (!state.has(e.name)) visit(e);
}

function fieldsOf(entity: Entity, notes: string[]): FieldModel[] {
  const out: FieldModel[] = [];
  const names = new Names(entity.fields.map((f) => f.name));
  for (const field of entity.fields) {
    if (SYSTEM_FIELDS.has(field.name)) {
      notes.push(`${entity.name}.${field.name} is provided by the generated table itself.`);
      continue;
    }
    const model = fieldModel(field, notes, entity.name);
    if (RESERVED_MEMBERS.has(field.name)) {
      model.name = names.claim(`${field.name}Value`, [], '');
      model.column = sqlName(snakeCase(model.name));
      notes.push(`${entity.name}.${field.name} is called "${model.name}": the name is reserved.`);
    }
    out.push(model);
  }
  return out;
}

/**
 * What the list of `e` filters on by equality: its fields (date-times are not compared for
 * equality) and keys, except those named like the list's own parameters (`limit`, `offset`, `q`).
 */
export function listFilters(e: Pick<EntityModel, 'fields' | 'foreignKeys'>): {
  fields: FieldModel[];
  keys: ForeignKeyModel[];
} {
  return {
    fields: e.fields.filter((f) => f.type !== 'datetime' && !LIST_PARAMETERS.has(f.name)),
    keys: e.foreignKeys.filter((k) => !LIST_PARAMETERS.has(k.name)),
  };
}

function fieldModel(field: Field, notes: string[], entity: string): FieldModel {
  // A unique flag or choice cannot hold more than two or a handful of records: not a key.
  const unique = field.unique && field.type !== 'boolean' && field.type !== 'enum';
  if (field.unique && !unique) {
    notes.push(`${entity}.${field.name} is a ${field.type} field and is not made unique.`);
  }
  return {
    name: field.name,
    column: sqlName(snakeCase(field.name)),
    type: field.type,
    enumValues: [...field.enumValues],
    required: field.required,
    unique,
    description: field.description,
  };
}

function addForeignKey(
  child: EntityModel,
  spec: Pick<ForeignKeyModel, 'accessor' | 'parent' | 'required' | 'unique' | 'origin'>,
): ForeignKeyModel {
  let name = `${spec.accessor}Id`;
  // A scalar field of the same name ("authorId" as text) is superseded by the key.
  child.fields = child.fields.filter((f) => f.name !== name);
  for (let n = 2; child.foreignKeys.some((f) => f.name === name); n++) {
    name = `${spec.accessor}${n}Id`;
  }
  const column = sqlName(snakeCase(name));
  child.fields = child.fields.filter((f) => f.column !== column);
  const fk: ForeignKeyModel = {
    ...spec,
    name,
    column,
    onDelete: spec.origin === 'through' ? 'cascade' : spec.required ? 'restrict' : 'set_null',
  };
  child.foreignKeys.push(fk);
  return fk;
}

function findOrAddThroughKey(through: EntityModel, side: EntityModel): ForeignKeyModel {
  const existing = through.foreignKeys.find((f) => f.parent === side.name);
  if (existing) return existing;
  return addForeignKey(through, {
    accessor: camelCase(side.name),
    parent: side.name,
    required: true,
    unique: false,
    origin: 'through',
  });
}

function effectOf(action: string, fields: readonly FieldModel[]): Pick<ActionModel, 'effect'> {
  const forms = participles(action);
  for (const field of fields) {
    if (field.type !== 'enum') continue;
    const value = forms.find((f) => field.enumValues.includes(f));
    if (value !== undefined) return { effect: { field: field.name, value } };
  }
  for (const field of fields) {
    if (field.type !== 'boolean') continue;
    const flags = forms.flatMap((f) => [camelCase(f), camelCase(`is_${f}`)]);
    if (flags.includes(field.name)) return { effect: { field: field.name, value: true } };
  }
  return {};
}

function buildRoutes(
  entities: readonly EntityModel[],
  byName: ReadonlyMap<string, EntityModel>,
  auth: AuthModel | undefined,
): RouteModel[] {
  const routes: RouteModel[] = [
    {
      kind: 'health',
      method: 'GET',
      path: '/healthz',
      operationId: 'getHealth',
      summary: 'Liveness check',
      tag: 'system',
      access: PUBLIC,
    },
    {
      kind: 'openapi',
      method: 'GET',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      summary: 'This OpenAPI document',
      tag: 'system',
      access: PUBLIC,
    },
  ];
  if (auth) {
    routes.push(
      {
        kind: 'register',
        method: 'POST',
        path: '/auth/register',
        operationId: 'register',
        summary: 'Create an account',
        tag: 'auth',
        access: PUBLIC,
      },
      {
        kind: 'login',
        method: 'POST',
        path: '/auth/login',
        operationId: 'login',
        summary: 'Log in and receive a bearer token',
        tag: 'auth',
        access: PUBLIC,
      },
      {
        kind: 'me',
        method: 'GET',
        path: '/auth/me',
        operationId: 'getCurrentUser',
        summary: 'The signed-in account',
        tag: 'auth',
        access: { authenticated: true, roles: [] },
      },
    );
  }
  for (const e of entities) {
    const base = `/${e.segment}`;
    const item = `${base}/{id}`;
    const tag = e.segment;
    const P = e.typeName;
    const Ps = pascalCase(e.plural);
    const op = e.operations;
    // The CRUD routes, in the order the API lists them; update only when something is updatable.
    const crud: [RouteModel['kind'] & keyof typeof op, HttpMethod, string, string, string][] = [
      ['list', 'GET', base, `list${Ps}`, `List ${e.humanPlural}`],
      ['create', 'POST', base, `create${P}`, `Create ${withArticle(e.human)}`],
      ['read', 'GET', item, `get${P}`, `Get ${withArticle(e.human)}`],
      ['update', 'PATCH', item, `update${P}`, `Change ${withArticle(e.human)}`],
      ['delete', 'DELETE', item, `delete${P}`, `Delete ${withArticle(e.human)}`],
    ];
    for (const [kind, method, path, operationId, summary] of crud) {
      const access = op[kind];
      if (!access || (kind === 'update' && updatableProperties(e) === 0)) continue;
      routes.push({ kind, method, path, operationId, summary, tag, entity: e.name, access });
    }
    for (const a of e.actions) {
      routes.push(
        {
          kind: 'action',
          method: 'POST',
          path: `${item}/${a.segment}`,
          operationId: `${a.name}${P}`,
          summary: `${capitalizeFirst(humanize(a.name))} ${withArticle(e.human)}`,
          tag,
          entity: e.name,
          member: a.name,
          access: a.access,
        },
        {
          kind: 'action-events',
          method: 'GET',
          path: `${item}/${a.segment}-events`,
          operationId: `list${P}${a.pascal}Events`,
          summary: `History of "${humanize(a.name)}" on ${withArticle(e.human)}`,
          tag,
          entity: e.name,
          member: a.name,
          access: op.read ?? PUBLIC,
        },
      );
    }
    for (const c of e.children) {
      routes.push({
        kind: 'children',
        method: 'GET',
        path: `${item}/${c.segment}`,
        operationId: `list${P}${pascalCase(c.name)}`,
        summary: `${capitalizeFirst(humanize(byName.get(c.child)!.plural))} of ${withArticle(e.human)}`,
        tag,
        entity: e.name,
        member: c.name,
        access: byName.get(c.child)!.operations.list ?? PUBLIC,
      });
    }
    for (const l of e.links) {
      const other = byName.get(l.other)!;
      routes.push({
        kind: 'links',
        method: 'GET',
        path: `${item}/${l.segment}`,
        operationId: `list${P}${pascalCase(l.name)}`,
        summary: `${capitalizeFirst(humanize(other.plural))} linked to ${withArticle(e.human)}`,
        tag,
        entity: e.name,
        member: l.name,
        access: other.operations.list ?? PUBLIC,
      });
      if (l.owner) {
        const linkPath = `${item}/${l.segment}/{${l.otherParam}}`;
        routes.push(
          {
            kind: 'link',
            method: 'PUT',
            path: linkPath,
            operationId: `link${P}${pascalCase(l.name)}`,
            summary: `Link ${withArticle(other.human)} to ${withArticle(e.human)}`,
            tag,
            entity: e.name,
            member: l.name,
            access: l.access,
          },
          {
            kind: 'unlink',
            method: 'DELETE',
            path: linkPath,
            operationId: `unlink${P}${pascalCase(l.name)}`,
            summary: `Unlink ${withArticle(other.human)} from ${withArticle(e.human)}`,
            tag,
            entity: e.name,
            member: l.name,
            access: l.access,
          },
        );
      }
    }
  }
  // Operation ids must be unique in an OpenAPI document.
  const seen = new Set<string>();
  for (const r of routes) {
    let id = r.operationId;
    for (let n = 2; seen.has(id); n++) id = `${r.operationId}${n}`;
    r.operationId = id;
    seen.add(id);
  }
  return routes;
}

/** Fields and foreign keys a PATCH may change. */
export function updatableProperties(e: EntityModel): number {
  return e.fields.length + e.foreignKeys.length;
}

function capitalizeFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function timestampColumns(): DataColumn[] {
  return ['created_at', 'updated_at'].map((name) => ({
    name,
    type: 'datetime',
    sqlType: 'timestamptz',
    nullable: false,
    unique: false,
    primaryKey: false,
    enumValues: [],
  }));
}

function idColumn(): DataColumn {
  return {
    name: 'id',
    type: 'id',
    sqlType: 'integer',
    nullable: false,
    unique: false,
    primaryKey: true,
    enumValues: [],
  };
}

function buildDataModel(
  entities: readonly EntityModel[],
  joins: readonly JoinTableModel[],
  auth: AuthModel | undefined,
  byName: ReadonlyMap<string, EntityModel>,
): DataModel {
  const tables: DataTable[] = [];
  if (auth) {
    tables.push({
      name: auth.table,
      columns: [
        idColumn(),
        {
          name: 'email',
          type: 'email',
          sqlType: 'text',
          nullable: false,
          unique: true,
          primaryKey: false,
          enumValues: [],
        },
        {
          name: 'password_hash',
          type: 'text',
          sqlType: 'text',
          nullable: false,
          unique: false,
          primaryKey: false,
          enumValues: [],
        },
        ...(auth.roles.length > 0
          ? [
              {
                name: 'role',
                type: 'enum',
                sqlType: 'text',
                nullable: false,
                unique: false,
                primaryKey: false,
                enumValues: auth.roles,
              } satisfies DataColumn,
            ]
          : []),
        timestampColumns()[0]!,
      ],
      indexes: [],
    });
  }
  for (const e of entities) {
    const columns: DataColumn[] = [idColumn()];
    for (const f of e.fields) {
      columns.push({
        name: f.column,
        field: f.name,
        type: f.type,
        sqlType: sqlType(f.type),
        nullable: !f.required,
        unique: f.unique,
        primaryKey: false,
        enumValues: f.enumValues,
      });
    }
    const indexes: DataIndex[] = [];
    for (const fk of e.foreignKeys) {
      columns.push({
        name: fk.column,
        field: fk.name,
        type: 'id',
        sqlType: 'integer',
        nullable: !fk.required,
        unique: fk.unique,
        primaryKey: false,
        enumValues: [],
        references: { table: byName.get(fk.parent)!.table, column: 'id', onDelete: fk.onDelete },
      });
      if (!fk.unique) {
        indexes.push({
          name: constraintName(e.table, [fk.column], 'idx'),
          columns: [fk.column],
          unique: false,
        });
      }
    }
    columns.push(...timestampColumns());
    tables.push({ name: e.table, entity: e.name, columns, indexes });
  }
  for (const j of joins) {
    const ref = (entity: string) => ({
      table: byName.get(entity)!.table,
      column: 'id',
      onDelete: 'cascade' as const,
    });
    tables.push({
      name: j.table,
      columns: [
        {
          name: j.fromColumn,
          type: 'id',
          sqlType: 'integer',
          nullable: false,
          unique: false,
          primaryKey: true,
          enumValues: [],
          references: ref(j.from),
        },
        {
          name: j.toColumn,
          type: 'id',
          sqlType: 'integer',
          nullable: false,
          unique: false,
          primaryKey: true,
          enumValues: [],
          references: ref(j.to),
        },
        timestampColumns()[0]!,
      ],
      indexes: [
        {
          name: constraintName(j.table, [j.toColumn], 'idx'),
          columns: [j.toColumn],
          unique: false,
        },
      ],
    });
  }
  for (const e of entities) {
    for (const a of e.actions) {
      const columns: DataColumn[] = [
        idColumn(),
        {
          name: a.entityColumn,
          field: a.entityKey,
          type: 'id',
          sqlType: 'integer',
          nullable: false,
          unique: false,
          primaryKey: false,
          enumValues: [],
          references: { table: e.table, column: 'id', onDelete: 'cascade' },
        },
      ];
      if (a.target) {
        columns.push({
          name: a.target.column,
          field: a.target.name,
          type: 'id',
          sqlType: 'integer',
          nullable: false,
          unique: false,
          primaryKey: false,
          enumValues: [],
          references: {
            table: byName.get(a.target.entity)!.table,
            column: 'id',
            onDelete: 'cascade',
          },
        });
      }
      if (auth && a.actor) {
        columns.push({
          name: a.actor.column,
          field: a.actor.name,
          type: 'id',
          sqlType: 'integer',
          nullable: true,
          unique: false,
          primaryKey: false,
          enumValues: [],
          references: { table: auth.table, column: 'id', onDelete: 'set_null' },
        });
      }
      columns.push(timestampColumns()[0]!);
      tables.push({
        name: a.table,
        columns,
        indexes: [
          {
            name: constraintName(a.table, [a.entityColumn], 'idx'),
            columns: [a.entityColumn],
            unique: false,
          },
        ],
      });
    }
  }
  return { tables };
}

/** The entity model of `name`; throws for an unknown name (a bug in the caller). */
export function entityOf(model: Pick<AppModel, 'entities'>, name: string): EntityModel {
  const e = model.entities.find((x) => x.name === name);
  if (!e) throw new Error(`unknown entity "${name}"`);
  return e;
}
