// The data the ts-fastify templates render: the application model translated into TypeScript,
// drizzle and SQL terms (identifiers, types, column builders, sample values, constraint names),
// so that the templates only loop, test flags and interpolate.
import type { Access, AppModel, FieldModel } from '../../blueprint/model.js';
import {
  constraintName,
  entityOf,
  listFilters,
  updatableProperties,
} from '../../blueprint/model.js';
import { camelCase, humanize, safeIdentifier } from '../../blueprint/names.js';
import type { JsonSchema } from '../../blueprint/schemas.js';
import {
  actionSchemaNames,
  idParamsSchema,
  isTextual,
  listQuerySchema,
  PAGE_LIMIT_DEFAULT,
  PAGE_LIMIT_MAX,
  paginationQuerySchema,
  PASSWORD_MIN_LENGTH,
  schemaNames,
  SYSTEM_SCHEMAS,
} from '../../blueprint/schemas.js';
import type { TestCase } from '../../blueprint/tests.js';
import type { DataColumn, DataModel, DataTable } from '../../domain/artifacts/index.js';

/** Identifiers the generated modules import or declare next to table variables. */
const TAKEN = [
  'and',
  'app',
  'asc',
  'boolean',
  'count',
  'date',
  'db',
  'doublePrecision',
  'eq',
  'equals',
  'getTableColumns',
  'idParams',
  'integer',
  'notFound',
  'numeric',
  'openapi',
  'options',
  'pgTable',
  'primaryKey',
  'reply',
  'request',
  'schemaMigrations',
  'schemas',
  'search',
  'sql',
  'text',
  'timestamp',
  'toDate',
  'tx',
];

export interface GuardView {
  /** Route needs a bearer token. */
  authenticate: boolean;
  roles: string[];
  /** Role of the token tests use to call the route; null: any account (the default role). */
  testRole: string | null;
}

export interface FieldView {
  name: string;
  column: string;
  type: string;
  label: string;
  tsType: string;
  required: boolean;
  unique: boolean;
  textual: boolean;
  datetime: boolean;
  /** Sample value helper in test/helpers.ts and its extra argument (a TS literal), if any. */
  sampleFn: string;
  sampleArg?: string;
  /** TS literal of a wrongly typed value, for typed fields. */
  badValue?: string;
  enumValues: string[];
}

export interface KeyView {
  name: string;
  column: string;
  required: boolean;
  parent: string;
  parentHuman: string;
  parentTable: string;
  parentSeed: string;
  missingMessage: string;
}

export interface ActionView {
  name: string;
  segment: string;
  label: string;
  handlerPath: string;
  eventsPath: string;
  eventTable: string;
  entityKey: string;
  /** With auth: the event property recording the account ("userId"). */
  actor?: string;
  inputType: string;
  inputSchema?: string;
  eventSchema: string;
  pageSchema: string;
  target?: { name: string; entity: string; human: string; table: string; seed: string };
  effect?: { field: string; value: string };
  guard: GuardView;
  readGuard: GuardView;
}

export interface ChildView {
  name: string;
  segment: string;
  path: string;
  child: string;
  childHuman: string;
  childHumanPlural: string;
  childTable: string;
  childPageSchema: string;
  foreignKey: string;
  single: boolean;
  guard: GuardView;
}

export interface LinkView {
  name: string;
  segment: string;
  path: string;
  itemPath: string;
  other: string;
  otherHuman: string;
  otherHumanPlural: string;
  otherTable: string;
  otherSeed: string;
  otherPageSchema: string;
  joinTable: string;
  ownKey: string;
  otherKey: string;
  otherParam: string;
  paramsSchema: JsonSchema;
  owner: boolean;
  through?: {
    entity: string;
    seed: string;
    inputFn: string;
    path: string;
    create: boolean;
    guard: GuardView | null;
  };
  /** The same link seen from the other entity. */
  reverse?: { path: string; segment: string };
  guard: GuardView;
  linkGuard: GuardView;
}

export interface OperationView {
  guard: GuardView;
}

export interface EntityView {
  name: string;
  typeName: string;
  human: string;
  humanPlural: string;
  segment: string;
  path: string;
  itemPath: string;
  table: string;
  tableName: string;
  routesFile: string;
  routesModule: string;
  plugin: string;
  toRow: string;
  inputType: string;
  patchType: string;
  queryType: string;
  inputFn: string;
  seedFn: string;
  schemas: { record: string; input: string; patch: string; page: string };
  fields: FieldView[];
  keys: KeyView[];
  datetimeFields: FieldView[];
  textualFields: FieldView[];
  /** Equality filters of the list: fields and keys (see `listFilters`). */
  filters: { name: string; column: string }[];
  /** The fields among them. */
  filterFields: FieldView[];
  requiredFields: FieldView[];
  listQuery: JsonSchema;
  ops: {
    list?: OperationView;
    create?: OperationView;
    read?: OperationView;
    update?: OperationView;
    delete?: OperationView;
  };
  actions: ActionView[];
  children: ChildView[];
  links: LinkView[];
  /** Tables the routes module imports. */
  imports: string[];
  /** Names the routes module imports from drizzle-orm and from ../lib/http.js. */
  ormImports: string[];
  httpImports: string[];
  /** "Books", for comments and headings. */
  heading: string;
  /** Module path of the routes from test/. */
  testImport: string;
  hasRequiredKeys: boolean;
  requiredNames: string[];
  filterNames: string[];
  /** Fields a wrongly typed value is tried on (enums have their own test). */
  typedFields: FieldView[];
  /** What update tests change: the first field, or the first key when there are no fields. */
  patchTarget: { name: string; field?: FieldView; key?: KeyView };
}

export interface SqlColumnView {
  name: string;
  sqlType: string;
  notNull: boolean;
  identity: boolean;
  defaultNow: boolean;
}

export interface SqlTableView {
  name: string;
  columns: SqlColumnView[];
  primaryKey: { name: string; columns: string[]; list: string };
  uniques: { name: string; column: string }[];
  checks: { name: string; column: string; values: string }[];
  foreignKeys: {
    name: string;
    column: string;
    table: string;
    refColumn: string;
    onDelete: string;
  }[];
  indexes: { name: string; columns: string[]; unique: boolean; list: string }[];
}

export interface DrizzleColumnView {
  property: string;
  column: string;
  builder: string;
  options?: string;
  primaryKey: boolean;
  identity: boolean;
  notNull: boolean;
  defaultNow: boolean;
  references?: { table: string; onDelete: string };
}

export interface DrizzleTableView {
  variable: string;
  name: string;
  columns: DrizzleColumnView[];
  compositeKey?: string[];
}

export interface ConstraintView {
  field: string;
  kind: 'unique' | 'reference' | 'check';
  target?: string;
}

export interface AuthView {
  table: string;
  tableName: string;
  roles: string[];
  defaultRole: string | null;
  signup: boolean;
  otherRole?: string;
}

export interface TestView {
  id: string;
  name: string;
  recipe: string;
  entity?: EntityView;
  field?: FieldView;
  key?: KeyView;
  fields?: FieldView[];
  action?: ActionView;
  link?: LinkView;
  linkOwner?: EntityView;
  child?: { parent: EntityView; child: ChildView };
  /** forbidden: the route tried, the role refused, and the role allowed. */
  forbidden?: {
    method: string;
    /** On a record (`/things/:id` + suffix) rather than the collection. */
    item: boolean;
    suffix: string;
    payload: 'input' | 'patch' | 'action' | 'none';
    refusedRole: string;
  };
  /** anonymous: mutating routes tried without a token. */
  anonymous?: { method: string; item: boolean; payload: 'input' | 'patch' | 'none' }[];
}

export interface TestFileView {
  group: string;
  path: string;
  title: string;
  tests: TestView[];
  readsFiles: boolean;
  importsConfig: boolean;
}

export interface ProjectView {
  appName: string;
  title: string;
  summary: string;
  notes: string[];
  auth?: AuthView;
  entities: EntityView[];
  tables: SqlTableView[];
  drizzleTables: DrizzleTableView[];
  drizzleImports: string[];
  constraints: Record<string, ConstraintView>;
  accountsTable?: string;
  routes: { method: string; path: string; summary: string; auth: string }[];
  testFiles: TestFileView[];
  tests: { id: string; name: string; file: string; criteria: string[] }[];
  limits: { pageDefault: number; pageMax: number; passwordMin: number };
  schemas: typeof SYSTEM_SCHEMAS;
  idParams: JsonSchema;
  pageQuery: JsonSchema;
  port: number;
  nodeMajor: number;
  nodeImage: string;
  dbName: string;
  /** Advisory lock key of the migration runner (stable per app). */
  migrationLockId: number;
  /** Tables test/helpers.ts inserts into. */
  helperTables: string[];
}

export function testFilePath(group: string): string {
  return `test/${group}.test.ts`;
}

const TS_TYPES: Record<string, string> = {
  text: 'string',
  email: 'string',
  url: 'string',
  integer: 'number',
  number: 'number',
  money: 'string',
  boolean: 'boolean',
  date: 'string',
  datetime: 'string',
};

const BAD_VALUES: Record<string, string> = {
  // Fastify coerces scalars to strings, but not an object.
  text: "{ not: 'text' }",
  integer: '2.5',
  number: "'a lot'",
  money: "'a lot'",
  boolean: "'maybe'",
  date: "'yesterday-ish'",
  datetime: "'yesterday-ish'",
  email: "'not-an-email'",
  url: "'not a url'",
};

function q(value: unknown): string {
  return JSON.stringify(value);
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function fieldView(f: FieldModel): FieldView {
  const sample =
    f.type === 'enum'
      ? { sampleFn: 'oneOf', sampleArg: `${q(f.enumValues)} as const` }
      : f.type === 'text'
        ? { sampleFn: 'text', sampleArg: q(pascal(humanize(f.name))) }
        : { sampleFn: f.type };
  return {
    name: f.name,
    column: f.column,
    type: f.type,
    label: humanize(f.name),
    tsType: f.type === 'enum' ? f.enumValues.map((v) => `'${v}'`).join(' | ') : TS_TYPES[f.type]!,
    required: f.required,
    unique: f.unique,
    textual: isTextual(f.type),
    datetime: f.type === 'datetime',
    ...sample,
    ...(BAD_VALUES[f.type] !== undefined ? { badValue: BAD_VALUES[f.type]! } : {}),
    enumValues: f.enumValues,
  };
}

/** `"a", "b"`: quoted SQL identifiers. */
function sqlList(columns: readonly string[]): string {
  return columns.map((c) => `"${c}"`).join(', ');
}

function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const ON_DELETE_SQL = { cascade: 'CASCADE', restrict: 'RESTRICT', set_null: 'SET NULL' } as const;
const ON_DELETE_DRIZZLE = {
  cascade: 'cascade',
  restrict: 'restrict',
  set_null: 'set null',
} as const;

function sqlTables(dataModel: DataModel): SqlTableView[] {
  return dataModel.tables.map((t) => {
    const pk = t.columns.filter((c) => c.primaryKey).map((c) => c.name);
    const singleId = pk.length === 1 && pk[0] === 'id';
    return {
      name: t.name,
      columns: t.columns.map((c) => ({
        name: c.name,
        sqlType: c.sqlType,
        notNull: !c.nullable,
        identity: singleId && c.name === 'id',
        defaultNow: c.name === 'created_at' || c.name === 'updated_at',
      })),
      primaryKey: { name: constraintName(t.name, [], 'pkey'), columns: pk, list: sqlList(pk) },
      uniques: t.columns
        .filter((c) => c.unique)
        .map((c) => ({ name: constraintName(t.name, [c.name], 'key'), column: c.name })),
      checks: t.columns
        .filter((c) => c.enumValues.length > 0)
        .map((c) => ({
          name: constraintName(t.name, [c.name], 'check'),
          column: c.name,
          values: c.enumValues.map(sqlLiteral).join(', '),
        })),
      foreignKeys: t.columns
        .filter(
          (c): c is DataColumn & { references: NonNullable<DataColumn['references']> } =>
            c.references !== undefined,
        )
        .map((c) => ({
          name: constraintName(t.name, [c.name], 'fkey'),
          column: c.name,
          table: c.references.table,
          refColumn: c.references.column,
          onDelete: ON_DELETE_SQL[c.references.onDelete],
        })),
      indexes: t.indexes.map((i) => ({
        name: i.name,
        columns: i.columns,
        unique: i.unique,
        list: sqlList(i.columns),
      })),
    };
  });
}

const BUILDERS: Record<string, { builder: string; options?: object }> = {
  id: { builder: 'integer' },
  text: { builder: 'text' },
  email: { builder: 'text' },
  url: { builder: 'text' },
  enum: { builder: 'text' },
  integer: { builder: 'integer' },
  number: { builder: 'doublePrecision' },
  money: { builder: 'numeric', options: { precision: 12, scale: 2 } },
  boolean: { builder: 'boolean' },
  date: { builder: 'date', options: { mode: 'string' } },
  datetime: { builder: 'timestamp', options: { withTimezone: true, mode: 'date' } },
};

function drizzleTables(
  dataModel: DataModel,
  variables: ReadonlyMap<string, string>,
): DrizzleTableView[] {
  return dataModel.tables.map((t: DataTable) => {
    const pk = t.columns.filter((c) => c.primaryKey);
    return {
      variable: variables.get(t.name)!,
      name: t.name,
      columns: t.columns.map((c) => {
        const b = BUILDERS[c.type] ?? { builder: 'text' };
        const options = c.enumValues.length > 0 ? { ...b.options, enum: c.enumValues } : b.options;
        return {
          property: c.field ?? camelCase(c.name),
          column: c.name,
          builder: b.builder,
          ...(options ? { options: q(options) } : {}),
          primaryKey: pk.length === 1 && c.primaryKey,
          identity: pk.length === 1 && c.primaryKey && c.name === 'id',
          notNull: !c.nullable && !(pk.length === 1 && c.primaryKey),
          defaultNow: c.name === 'created_at' || c.name === 'updated_at',
          ...(c.references
            ? {
                references: {
                  table: variables.get(c.references.table)!,
                  onDelete: ON_DELETE_DRIZZLE[c.references.onDelete],
                },
              }
            : {}),
        };
      }),
      ...(pk.length > 1 ? { compositeKey: pk.map((c) => c.field ?? camelCase(c.name)) } : {}),
    };
  });
}

function constraints(model: AppModel): Record<string, ConstraintView> {
  const out: Record<string, ConstraintView> = {};
  const humanOf = (table: string) => {
    const e = model.entities.find((x) => x.table === table);
    return e ? e.human : table === model.auth?.table ? 'account' : table;
  };
  for (const t of model.dataModel.tables) {
    for (const c of t.columns) {
      const field = c.field ?? camelCase(c.name);
      if (c.unique) out[constraintName(t.name, [c.name], 'key')] = { field, kind: 'unique' };
      if (c.enumValues.length > 0) {
        out[constraintName(t.name, [c.name], 'check')] = { field, kind: 'check' };
      }
      if (c.references) {
        out[constraintName(t.name, [c.name], 'fkey')] = {
          field,
          kind: 'reference',
          target: humanOf(c.references.table),
        };
      }
    }
  }
  return out;
}

function guardOf(access: Access, auth: AppModel['auth']): GuardView {
  if (!auth || !access.authenticated) return { authenticate: false, roles: [], testRole: null };
  return {
    authenticate: true,
    roles: access.roles,
    testRole: access.roles[0] ?? null,
  };
}

/** Builds the view of a project. */
export function buildView(
  model: AppModel,
  tests: readonly TestCase[],
  options: { port: number; nodeMajor: number; nodeImage: string },
): ProjectView {
  const taken = new Set(TAKEN);
  const variables = new Map<string, string>();
  for (const t of model.dataModel.tables) {
    const v = safeIdentifier(camelCase(t.name), taken);
    taken.add(v);
    variables.set(t.name, v);
  }
  const tableVar = (table: string) => variables.get(table)!;
  const auth = model.auth;

  const entityViews = new Map<string, EntityView>();
  for (const e of model.entities) {
    const fields = e.fields.map(fieldView);
    const filters = listFilters(e);
    const P = e.typeName;
    entityViews.set(e.name, {
      name: e.name,
      typeName: P,
      human: e.human,
      humanPlural: e.humanPlural,
      segment: e.segment,
      path: `/${e.segment}`,
      itemPath: `/${e.segment}/:id`,
      table: tableVar(e.table),
      tableName: e.table,
      routesFile: `src/routes/${e.segment}.ts`,
      routesModule: `./routes/${e.segment}.js`,
      plugin: `${camelCase(e.segment)}Routes`,
      toRow: `to${P}Row`,
      inputType: `${P}Input`,
      patchType: `${P}Patch`,
      queryType: `${P}Query`,
      inputFn: `${camelCase(e.name)}Input`,
      seedFn: `seed${P}`,
      schemas: schemaNames(e),
      fields,
      keys: [],
      datetimeFields: fields.filter((f) => f.datetime),
      textualFields: fields.filter((f) => f.textual),
      filterFields: fields.filter((f) => filters.fields.some((x) => x.name === f.name)),
      filters: [
        ...filters.fields.map((f) => ({ name: f.name, column: f.name })),
        ...filters.keys.map((k) => ({ name: k.name, column: k.name })),
      ],
      requiredFields: fields.filter((f) => f.required),
      listQuery: listQuerySchema(e),
      ops: {},
      actions: [],
      children: [],
      links: [],
      imports: [],
      ormImports: [],
      httpImports: [],
      heading: capitalize(e.humanPlural),
      testImport: `../src/routes/${e.segment}.js`,
      hasRequiredKeys: e.foreignKeys.some((k) => k.required),
      requiredNames: fields.filter((f) => f.required).map((f) => f.name),
      filterNames: [],
      typedFields: fields.filter((f) => f.badValue !== undefined),
      patchTarget: { name: '' },
    });
  }
  const view = (name: string) => entityViews.get(name)!;

  for (const e of model.entities) {
    const v = view(e.name);
    const imports = new Set<string>([v.table]);
    v.keys = e.foreignKeys.map((k) => {
      const parent = entityOf(model, k.parent);
      return {
        name: k.name,
        column: k.column,
        required: k.required,
        parent: parent.name,
        parentHuman: parent.human,
        parentTable: tableVar(parent.table),
        parentSeed: view(parent.name).seedFn,
        missingMessage: `no ${parent.human} with this id`,
      };
    });
    for (const kind of ['list', 'create', 'read', 'update', 'delete'] as const) {
      const access = e.operations[kind];
      if (!access) continue;
      if (kind === 'update' && updatableProperties(e) === 0) continue;
      v.ops[kind] = { guard: guardOf(access, auth) };
    }
    const readGuard = guardOf(e.operations.read ?? { authenticated: false, roles: [] }, auth);
    v.actions = e.actions.map((a) => {
      const names = actionSchemaNames(e, a);
      const eventTable = tableVar(a.table);
      imports.add(eventTable);
      const target = a.target ? entityOf(model, a.target.entity) : undefined;
      return {
        name: a.name,
        segment: a.segment,
        label: humanize(a.name),
        handlerPath: `/${e.segment}/:id/${a.segment}`,
        eventsPath: `/${e.segment}/:id/${a.segment}-events`,
        eventTable,
        entityKey: a.entityKey,
        ...(auth && a.actor ? { actor: a.actor.name } : {}),
        inputType: `${e.typeName}${a.pascal}Input`,
        ...(a.target ? { inputSchema: names.input } : {}),
        eventSchema: names.event,
        pageSchema: names.page,
        ...(a.target && target
          ? {
              target: {
                name: a.target.name,
                entity: target.name,
                human: target.human,
                table: tableVar(target.table),
                seed: view(target.name).seedFn,
              },
            }
          : {}),
        ...(a.effect
          ? {
              effect: {
                field: a.effect.field,
                value:
                  typeof a.effect.value === 'string' ? q(a.effect.value) : String(a.effect.value),
              },
            }
          : {}),
        guard: guardOf(a.access, auth),
        readGuard,
      };
    });
    v.children = e.children.map((c) => {
      const child = entityOf(model, c.child);
      imports.add(tableVar(child.table));
      return {
        name: c.name,
        segment: c.segment,
        path: `/${e.segment}/:id/${c.segment}`,
        child: child.name,
        childHuman: child.human,
        childHumanPlural: child.humanPlural,
        childTable: tableVar(child.table),
        childPageSchema: schemaNames(child).page,
        foreignKey: c.foreignKey,
        single: c.single,
        guard: guardOf(child.operations.list ?? { authenticated: false, roles: [] }, auth),
      };
    });
    v.links = e.links.map((l) => {
      const other = entityOf(model, l.other);
      const through = l.through !== undefined ? entityOf(model, l.through) : undefined;
      const joinTable = tableVar(l.table);
      imports.add(joinTable);
      imports.add(tableVar(other.table));
      const joinColumns = model.dataModel.tables.find((t) => t.name === l.table)!.columns;
      const keyOf = (column: string) =>
        joinColumns.find((c) => c.name === column)?.field ?? camelCase(column);
      const back = other.links.find(
        (x) => x.table === l.table && x.other === e.name && x.ownColumn === l.otherColumn,
      );
      return {
        name: l.name,
        segment: l.segment,
        path: `/${e.segment}/:id/${l.segment}`,
        itemPath: `/${e.segment}/:id/${l.segment}/:${l.otherParam}`,
        other: other.name,
        otherHuman: other.human,
        otherHumanPlural: other.humanPlural,
        otherTable: tableVar(other.table),
        otherSeed: view(other.name).seedFn,
        otherPageSchema: schemaNames(other).page,
        joinTable,
        ownKey: keyOf(l.ownColumn),
        otherKey: keyOf(l.otherColumn),
        otherParam: l.otherParam,
        paramsSchema: idParamsSchema(l.otherParam),
        owner: l.owner,
        ...(through
          ? {
              through: {
                entity: through.name,
                seed: view(through.name).seedFn,
                inputFn: view(through.name).inputFn,
                path: `/${through.segment}`,
                create: through.operations.create !== undefined,
                guard: through.operations.create ? guardOf(through.operations.create, auth) : null,
              },
            }
          : {}),
        ...(back ? { reverse: { path: `/${other.segment}`, segment: back.segment } } : {}),
        guard: guardOf(other.operations.list ?? { authenticated: false, roles: [] }, auth),
        linkGuard: guardOf(l.access, auth),
      };
    });
    v.imports = [...imports].sort();
    v.filterNames = v.filters.map((f) => f.name);
    v.patchTarget =
      v.fields.length > 0
        ? { name: v.fields[0]!.name, field: v.fields[0]! }
        : v.keys.length > 0
          ? { name: v.keys[0]!.name, key: v.keys[0]! }
          : { name: '' };
    const paged = v.actions.length + v.children.length + v.links.length > 0;
    const byId = paged || v.ops.read || v.ops.update || v.ops.delete;
    v.ormImports = [
      ...((v.ops.list && v.textualFields.length > 0) || v.links.some((l) => l.owner)
        ? ['and']
        : []),
      ...(v.ops.list || paged ? ['asc', 'count'] : []),
      ...(byId ? ['eq'] : []),
      ...(v.links.length > 0 ? ['getTableColumns'] : []),
    ];
    v.httpImports = [
      ...(v.ops.list ? ['equals'] : []),
      ...(v.ops.list && v.textualFields.length > 0 ? ['search'] : []),
      ...(byId ? ['idParams', 'notFound', 'type IdParams'] : []),
      ...(paged ? ['pageQuery'] : []),
      ...(v.ops.list || paged ? ['type PageQuery'] : []),
      ...(v.datetimeFields.length > 0 ? ['toDate'] : []),
    ].sort((a, b) => a.replace(/^type /, '').localeCompare(b.replace(/^type /, '')));
  }
  const authView: AuthView | undefined = auth
    ? {
        table: tableVar(auth.table),
        tableName: auth.table,
        roles: auth.roles,
        defaultRole: auth.defaultRole ?? null,
        signup: auth.signup,
      }
    : undefined;

  const testFiles = new Map<string, TestFileView>();
  for (const t of tests) {
    let file = testFiles.get(t.group);
    if (!file) {
      const e = model.entities.find((x) => x.segment === t.group);
      file = {
        group: t.group,
        path: testFilePath(t.group),
        title: e ? e.humanPlural : t.group,
        tests: [],
        readsFiles: false,
        importsConfig: false,
      };
      testFiles.set(t.group, file);
    }
    file.tests.push(testView(t, view, authView));
    if (t.recipe === 'openapi') file.readsFiles = true;
    if (t.recipe === 'config') file.importsConfig = true;
  }

  const drizzle = drizzleTables(model.dataModel, variables);
  const builders = new Set<string>(['pgTable']);
  for (const t of drizzle) {
    for (const c of t.columns) builders.add(c.builder);
    if (t.compositeKey) builders.add('primaryKey');
  }
  builders.add('text');
  builders.add('timestamp');
  if (drizzle.some((t) => t.columns.some((c) => c.references))) builders.add('type AnyPgColumn');

  return {
    appName: model.appName,
    title: model.title,
    summary: model.summary,
    notes: model.notes,
    ...(authView ? { auth: authView } : {}),
    entities: [...entityViews.values()],
    tables: sqlTables(model.dataModel),
    drizzleTables: drizzle,
    drizzleImports: [...builders].sort((a, b) =>
      a.replace(/^type /, '').localeCompare(b.replace(/^type /, '')),
    ),
    constraints: constraints(model),
    routes: model.routes.map((r) => ({
      method: r.method,
      path: r.path,
      summary: r.summary,
      auth: !r.access.authenticated
        ? 'public'
        : r.access.roles.length > 0
          ? `token, role ${r.access.roles.join(' or ')}`
          : 'token',
    })),
    testFiles: [...testFiles.values()],
    tests: tests.map((t) => ({
      id: t.id,
      name: t.name.replace(/\|/g, '\\|'),
      file: testFilePath(t.group),
      criteria: t.criteria,
    })),
    limits: {
      pageDefault: PAGE_LIMIT_DEFAULT,
      pageMax: PAGE_LIMIT_MAX,
      passwordMin: PASSWORD_MIN_LENGTH,
    },
    schemas: SYSTEM_SCHEMAS,
    idParams: idParamsSchema(),
    pageQuery: paginationQuerySchema(),
    port: options.port,
    nodeMajor: options.nodeMajor,
    nodeImage: options.nodeImage,
    dbName: model.appName.replace(/-/g, '_'),
    migrationLockId: lockId(model.appName),
    helperTables: [
      ...[...entityViews.values()].map((e) => e.table),
      ...(authView ? [authView.table] : []),
    ].sort(),
  };
}

/** A positive 31-bit integer derived from the app name (FNV-1a). */
function lockId(name: string): number {
  let hash = 0x811c9dc5;
  for (const c of name) hash = Math.imul(hash ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return hash & 0x7fffffff;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function testView(
  t: TestCase,
  view: (name: string) => EntityView,
  auth: AuthView | undefined,
): TestView {
  const base: TestView = { id: t.id, name: t.name, recipe: t.recipe };
  const e = t.entity !== undefined ? view(t.entity) : undefined;
  if (!e) return base;
  const out: TestView = { ...base, entity: e };
  if (t.field !== undefined) {
    const field = e.fields.find((f) => f.name === t.field);
    if (field) out.field = field;
    else {
      const key = e.keys.find((k) => k.name === t.field);
      if (key) out.key = key;
    }
  } else if (t.recipe === 'update' && e.fields.length === 0 && e.keys.length > 0) {
    out.key = e.keys[0]!;
  }
  if (t.fields) out.fields = e.fields.filter((f) => t.fields!.includes(f.name));
  if (t.recipe === 'filter') {
    out.fields = e.filterFields;
  }
  if (t.recipe === 'action' && t.member !== undefined) {
    out.action = e.actions.find((a) => a.name === t.member)!;
  }
  if ((t.recipe === 'child' || t.recipe === 'missing-parent') && t.member !== undefined) {
    const key = e.keys.find((k) => k.name === t.member)!;
    out.key = key;
    const parent = view(key.parent);
    const child = parent.children.find((c) => c.child === e.name && c.foreignKey === key.name);
    if (child) out.child = { parent, child };
  }
  if (t.recipe === 'link' && t.member !== undefined) {
    out.link = e.links.find((l) => l.name === t.member)!;
    out.linkOwner = e;
  }
  if (t.recipe === 'forbidden' && t.operation !== undefined && auth) {
    const action = e.actions.find((a) => a.name === t.operation);
    const guard = action ? action.guard : e.ops[t.operation as keyof EntityView['ops']]?.guard;
    const refused = auth.roles.find((r) => !(guard?.roles ?? []).includes(r));
    if (guard && refused !== undefined) {
      if (action) {
        out.action = action;
        out.forbidden = {
          method: 'POST',
          item: true,
          suffix: `/${action.segment}`,
          payload: action.target ? 'action' : 'none',
          refusedRole: refused,
        };
      } else {
        const op = t.operation;
        out.forbidden = {
          method:
            op === 'create'
              ? 'POST'
              : op === 'update'
                ? 'PATCH'
                : op === 'delete'
                  ? 'DELETE'
                  : 'GET',
          item: !(op === 'create' || op === 'list'),
          suffix: '',
          payload: op === 'create' ? 'input' : op === 'update' ? 'patch' : 'none',
          refusedRole: refused,
        };
      }
    } else {
      out.recipe = 'anonymous';
    }
  }
  if (out.recipe === 'anonymous') {
    out.anonymous = [];
    if (e.ops.create?.guard.authenticate) {
      out.anonymous.push({ method: 'POST', item: false, payload: 'input' });
    }
    if (e.ops.update?.guard.authenticate) {
      out.anonymous.push({ method: 'PATCH', item: true, payload: 'patch' });
    }
    if (e.ops.delete?.guard.authenticate) {
      out.anonymous.push({ method: 'DELETE', item: true, payload: 'none' });
    }
  }
  return out;
}
