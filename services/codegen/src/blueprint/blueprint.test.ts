import SwaggerParser from '@apidevtools/swagger-parser';
import {
  COURSES_DESCRIPTION,
  libraryWithAuth,
  shopManyToMany,
  requirementsOf,
} from '../../test/templates/fixtures.js';
import type { Blueprint, DataTable } from '../domain/artifacts/index.js';
import { BlueprintSchema, checkTestPlanCoverage } from '../domain/artifacts/index.js';
import { parseRequirements } from '../domain/requirements/index.js';
import { buildAppModel, buildBlueprint, participles, planTests, sqlName } from './index.js';

function table(bp: Blueprint, name: string): DataTable {
  const t = bp.dataModel.tables.find((x) => x.name === name);
  if (!t)
    throw new Error(`no table ${name}; have ${bp.dataModel.tables.map((x) => x.name).join(', ')}`);
  return t;
}

function operation(bp: Blueprint, path: string, method: string): Record<string, unknown> {
  const item = bp.api.paths[path] as Record<string, Record<string, unknown>> | undefined;
  const op = item?.[method];
  if (!op) throw new Error(`no ${method.toUpperCase()} ${path}`);
  return op;
}

async function expectValidOpenApi(bp: Blueprint): Promise<void> {
  // validate() dereferences in place: give it a copy.
  const doc = structuredClone(bp.api) as never;
  await expect(SwaggerParser.validate(doc)).resolves.toBeDefined();
}

describe('buildBlueprint', () => {
  const library = buildBlueprint(libraryWithAuth);
  const shop = buildBlueprint(shopManyToMany);

  it('produces blueprints that satisfy the Blueprint schema', () => {
    expect(() => BlueprintSchema.parse(library)).not.toThrow();
    expect(() => BlueprintSchema.parse(shop)).not.toThrow();
    expect(library.stack).toEqual({
      templateId: 'ts-fastify',
      language: 'typescript',
      framework: 'fastify',
      database: 'postgresql',
      packageManager: 'npm',
    });
  });

  it('writes a valid OpenAPI 3.1 document', async () => {
    expect(library.api.openapi).toBe('3.1.0');
    await expectValidOpenApi(library);
    await expectValidOpenApi(shop);
  });

  it('maps every acceptance criterion to a test, and names tests after them', () => {
    for (const [req, bp] of [
      [libraryWithAuth, library],
      [shopManyToMany, shop],
    ] as const) {
      expect(checkTestPlanCoverage(req, bp)).toEqual({ uncovered: [], unknown: [] });
      for (const ac of req.acceptanceCriteria) {
        const tests = bp.testPlan.tests.filter((t) => t.criteria.includes(ac.id));
        expect(tests.map((t) => t.name)).toEqual([`${ac.id} ${ac.title}`]);
      }
      const files = new Set(bp.files.map((f) => f.path));
      for (const t of bp.testPlan.tests) expect(files).toContain(t.file);
    }
  });

  it('models columns, constraints and foreign keys', () => {
    const books = table(library, 'books');
    const col = (name: string) => books.columns.find((c) => c.name === name)!;
    expect(col('id')).toMatchObject({ primaryKey: true, type: 'id', sqlType: 'integer' });
    expect(col('title')).toMatchObject({ field: 'title', nullable: false, sqlType: 'text' });
    expect(col('isbn')).toMatchObject({ unique: true, nullable: true });
    expect(col('price').sqlType).toBe('numeric(12,2)');
    expect(col('rating').sqlType).toBe('double precision');
    expect(col('last_checked_at').sqlType).toBe('timestamptz');
    expect(col('status').enumValues).toEqual(['available', 'on_loan', 'lost']);
    expect(col('author_id')).toMatchObject({
      field: 'authorId',
      nullable: false,
      references: { table: 'authors', column: 'id', onDelete: 'restrict' },
    });
    expect(books.indexes).toContainEqual({
      name: 'books_author_id_idx',
      columns: ['author_id'],
      unique: false,
    });
    expect(col('created_at')).toBeDefined();
    const users = table(library, 'users');
    expect(users.columns.find((c) => c.name === 'role')?.enumValues).toEqual([
      'librarian',
      'member',
    ]);
  });

  it('creates a join table for a plain many-to-many relation', () => {
    const join = table(shop, 'product_categories');
    expect(join.entity).toBeUndefined();
    const keys = join.columns.filter((c) => c.primaryKey);
    expect(keys.map((c) => [c.name, c.references?.table, c.references?.onDelete])).toEqual([
      ['product_id', 'products', 'cascade'],
      ['category_id', 'categories', 'cascade'],
    ]);
    expect(operation(shop, '/products/{id}/categories/{categoryId}', 'put')).toBeDefined();
    expect(operation(shop, '/products/{id}/categories/{categoryId}', 'delete')).toBeDefined();
    expect(operation(shop, '/products/{id}/categories', 'get')).toBeDefined();
    expect(operation(shop, '/categories/{id}/products', 'get')).toBeDefined();
  });

  it('links a many-to-many relation through its join entity instead of a join table', () => {
    expect(shop.dataModel.tables.map((t) => t.name)).not.toContain('order_products');
    const lines = table(shop, 'order_lines');
    expect(
      lines.columns.filter((c) => c.references).map((c) => [c.name, c.references!.table]),
    ).toEqual([
      ['order_id', 'orders'],
      ['product_id', 'products'],
    ]);
    expect(operation(shop, '/orders/{id}/products', 'get')).toBeDefined();
    expect(operation(shop, '/products/{id}/orders', 'get')).toBeDefined();
  });

  it('models has-one as a unique key and a self-reference as optional', () => {
    const invoice = table(shop, 'invoices').columns.find((c) => c.name === 'order_id')!;
    expect(invoice).toMatchObject({ unique: true, nullable: false });
    const parent = table(shop, 'categories').columns.find((c) => c.name === 'parent_id')!;
    expect(parent).toMatchObject({
      nullable: true,
      references: { table: 'categories', onDelete: 'set_null' },
    });
  });

  it('describes CRUD, pagination, filters, actions and nested routes', () => {
    const list = operation(library, '/books', 'get');
    const params = (list['parameters'] as { name: string }[]).map((p) => p.name);
    expect(params).toEqual(
      expect.arrayContaining(['limit', 'offset', 'q', 'title', 'status', 'featured', 'authorId']),
    );
    expect(params).not.toContain('lastCheckedAt');
    expect(operation(library, '/books', 'post')['requestBody']).toEqual({
      required: true,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/BookInput' } } },
    });
    expect(operation(library, '/books/{id}', 'patch')).toBeDefined();
    expect(operation(library, '/books/{id}', 'delete')).toBeDefined();
    expect(operation(library, '/authors/{id}/books', 'get')).toBeDefined();
    const borrow = operation(library, '/books/{id}/borrow', 'post');
    expect(borrow['x-roles']).toEqual(['member']);
    expect(Object.keys(borrow['responses'] as object)).toEqual(['201', '400', '401', '403', '404']);
    expect(operation(library, '/books/{id}/borrow-events', 'get')).toBeDefined();
    expect(operation(shop, '/orders/{id}/ship', 'post')['requestBody']).toBeUndefined();
  });

  it('protects mutating routes when auth is asked for, and adds the auth endpoints', () => {
    expect(operation(library, '/books', 'post')['security']).toEqual([{ bearerAuth: [] }]);
    expect(operation(library, '/books/{id}', 'patch')['security']).toEqual([{ bearerAuth: [] }]);
    expect(operation(library, '/books', 'get')['security']).toBeUndefined();
    expect(operation(library, '/auth/register', 'post')).toBeDefined();
    expect(operation(library, '/auth/login', 'post')).toBeDefined();
    expect(operation(library, '/auth/me', 'get')['security']).toEqual([{ bearerAuth: [] }]);
    expect(shop.api.paths['/auth/login']).toBeUndefined();
    expect(operation(shop, '/products', 'post')['security']).toBeUndefined();
  });

  it('gives every request and response body a schema, and error responses one shape', () => {
    const schemas = (library.api.components as { schemas: Record<string, unknown> }).schemas;
    for (const [path, item] of Object.entries(library.api.paths)) {
      for (const [method, op] of Object.entries(item as Record<string, Record<string, unknown>>)) {
        for (const [status, response] of Object.entries(
          op['responses'] as Record<string, Record<string, unknown>>,
        )) {
          if (Number(status) >= 400) {
            expect(response['$ref']).toMatch(/^#\/components\/responses\//);
            continue;
          }
          if (status === '204') continue;
          const content = response['content'] as Record<
            string,
            { schema: Record<string, unknown> }
          >;
          expect(content?.['application/json']?.schema).toBeDefined();
          const ref = content['application/json']!.schema['$ref'];
          if (typeof ref === 'string') expect(schemas[ref.split('/').pop()!]).toBeDefined();
          else expect(`${method.toUpperCase()} ${path}`).toBe('GET /openapi.json');
        }
      }
    }
    expect(schemas['ApiError']).toMatchObject({ required: ['statusCode', 'error', 'message'] });
  });

  it('plans the Dockerfile and CI', () => {
    expect(library.delivery.dockerfile).toMatchObject({
      multiStage: true,
      nonRoot: true,
      port: 3000,
      healthcheckPath: '/healthz',
    });
    expect(library.delivery.ci.workflowPath).toBe('.github/workflows/ci.yml');
    const paths = library.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'Dockerfile',
        '.github/workflows/ci.yml',
        'package-lock.json',
        'README.md',
      ]),
    );
    expect(library.files.find((f) => f.path === 'src/routes/books.ts')).toMatchObject({
      module: 'books',
      role: 'source',
      producer: 'template',
      template: 'ts-fastify/src/routes/entity.ts.eta@1.0.0',
    });
  });

  it('is deterministic', () => {
    expect(JSON.stringify(buildBlueprint(libraryWithAuth))).toBe(JSON.stringify(library));
    expect(JSON.stringify(buildBlueprint(shopManyToMany))).toBe(JSON.stringify(shop));
  });

  it('builds the blueprint of a plain-English description', async () => {
    const requirements = parseRequirements(COURSES_DESCRIPTION);
    const bp = buildBlueprint(requirements);
    await expectValidOpenApi(bp);
    expect(checkTestPlanCoverage(requirements, bp)).toEqual({ uncovered: [], unknown: [] });
    expect(bp.dataModel.tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['users', 'courses', 'students', 'student_courses']),
    );
    expect(bp.api.paths['/auth/login']).toBeDefined();
  });

  it('rejects invalid requirements', () => {
    expect(() => buildBlueprint({ ...libraryWithAuth, entities: [] })).toThrow();
  });
});

describe('application model', () => {
  it('yields the users table to an entity called User and keeps SQL names short', () => {
    const long = 'A'.repeat(30) + 'Record';
    const model = buildAppModel(
      requirementsOf({
        appName: 'people',
        title: 'People',
        entities: [
          { name: 'User', pluralName: 'Users', fields: [{ name: 'nickname', type: 'text' }] },
          {
            name: long,
            pluralName: `${long}s`,
            fields: [{ name: 'someVeryLongFieldNameIndeed', type: 'text', unique: true }],
          },
        ],
        auth: { enabled: true },
      }),
    );
    expect(model.auth?.table).toBe('accounts');
    for (const t of model.dataModel.tables) expect(t.name.length).toBeLessThanOrEqual(63);
    expect(sqlName('x'.repeat(80), 'key')).toHaveLength(63);
    expect(sqlName('x'.repeat(80), 'key')).toBe(sqlName('x'.repeat(80), 'key'));
  });

  it('keeps URL segments and type names unique and clear of the routes the stack adds', () => {
    const requirements = requirementsOf({
      appName: 'clash',
      title: 'Clash',
      entities: [
        // Two plurals alike, and plurals that are the auth and health routes' segments.
        { name: 'Datum', pluralName: 'Data', fields: [{ name: 'value', type: 'number' }] },
        { name: 'Data', pluralName: 'Data', fields: [{ name: 'value', type: 'number' }] },
        { name: 'Auth', pluralName: 'Auth', fields: [{ name: 'token', type: 'text' }] },
        { name: 'Healthz', pluralName: 'Healthz', fields: [] },
        // "Event" is renamed EventEntity, which must not take another entity's name.
        { name: 'Event', pluralName: 'Events', fields: [] },
        { name: 'EventEntity', pluralName: 'EventEntities', fields: [] },
        { name: 'L'.repeat(62), pluralName: `${'L'.repeat(62)}s`, fields: [] },
      ],
      auth: { enabled: true },
    });
    const model = buildAppModel(requirements);
    const segments = model.entities.map((e) => e.segment);
    expect(new Set(segments).size).toBe(segments.length);
    expect(segments).not.toContain('auth');
    expect(segments).not.toContain('healthz');
    for (const s of segments) expect(s.length).toBeLessThanOrEqual(63);
    const types = model.entities.map((e) => e.typeName);
    expect(new Set(types).size).toBe(types.length);
    const paths = model.routes.map((r) => `${r.method} ${r.path}`);
    expect(new Set(paths).size).toBe(paths.length);
    expect(() => buildBlueprint(requirements)).not.toThrow();
  });

  it('keeps fields clear of the list parameters and of Object.prototype', () => {
    const requirements = requirementsOf({
      appName: 'budgets',
      title: 'Budgets',
      entities: [
        {
          name: 'Budget',
          pluralName: 'Budgets',
          fields: [
            { name: 'limit', type: 'money', required: true },
            { name: 'offset', type: 'integer' },
            { name: 'q', type: 'text' },
            { name: 'constructor', type: 'text' },
            { name: 'toString', type: 'text' },
            { name: 'constructorValue', type: 'text' },
          ],
          operations: [{ kind: 'list', name: 'list' }],
        },
      ],
      auth: { enabled: false },
    });
    const model = buildAppModel(requirements);
    const budget = model.entities[0]!;
    expect(budget.fields.map((f) => f.name)).toEqual([
      'limit',
      'offset',
      'q',
      'constructorValue2',
      'toStringValue',
      'constructorValue',
    ]);
    expect(budget.fields.map((f) => f.column)).toContain('constructor_value2');
    // limit, offset and q stay the page and search parameters; the fields are not filters.
    const bp = buildBlueprint(requirements);
    const list = operation(bp, '/budgets', 'get') as {
      parameters: { name: string; schema: unknown }[];
    };
    const limit = list.parameters.find((p) => p.name === 'limit')!;
    expect(limit.schema).toMatchObject({ type: 'integer' });
    expect(list.parameters.filter((p) => p.name === 'q')).toHaveLength(1);
    expect(list.parameters.map((p) => p.name)).toContain('toStringValue');
  });

  it('records the acting account in a column of its own when the entity is called User', () => {
    const model = buildAppModel(
      requirementsOf({
        appName: 'moderation',
        title: 'Moderation',
        entities: [
          {
            name: 'User',
            pluralName: 'Users',
            fields: [{ name: 'nickname', type: 'text' }],
            operations: [{ kind: 'action', name: 'ban' }],
          },
          {
            name: 'Post',
            pluralName: 'Posts',
            fields: [{ name: 'body', type: 'text' }],
            operations: [{ kind: 'action', name: 'flag', target: 'User' }],
          },
        ],
        auth: { enabled: true },
      }),
    );
    for (const e of model.entities) {
      for (const a of e.actions) {
        const columns = model.dataModel.tables.find((t) => t.name === a.table)!.columns;
        const names = columns.map((c) => c.name);
        expect(new Set(names).size).toBe(names.length);
        expect(a.actor?.column).toBe('actor_id');
        expect(names).toContain('actor_id');
      }
    }
  });

  it('makes one key of a cycle of required references optional', () => {
    const model = buildAppModel(
      requirementsOf({
        appName: 'cycle',
        title: 'Cycle',
        entities: [
          { name: 'Team', pluralName: 'Teams', fields: [{ name: 'name', type: 'text' }] },
          { name: 'Player', pluralName: 'Players', fields: [{ name: 'name', type: 'text' }] },
        ],
        relations: [
          {
            kind: 'has_many',
            from: 'Team',
            to: 'Player',
            name: 'players',
            inverseName: 'team',
            required: true,
          },
          {
            kind: 'has_one',
            from: 'Player',
            to: 'Team',
            name: 'captainOf',
            inverseName: 'captain',
            required: true,
          },
        ],
        auth: { enabled: false },
      }),
    );
    const required = model.entities.flatMap((e) => e.foreignKeys.filter((k) => k.required));
    expect(required).toHaveLength(1);
    expect(model.notes.join(' ')).toMatch(/cycle/);
  });

  it('finds the state an action leaves behind', () => {
    expect(participles('complete')).toContain('completed');
    expect(participles('ship')).toContain('shipped');
    expect(participles('checkIn')).toContain('checked_in');
    expect(participles('pay')).toEqual(['paid']);
    const model = buildAppModel(shopManyToMany);
    const ship = model.entities.find((e) => e.name === 'Order')!.actions[0]!;
    expect(ship.effect).toEqual({ field: 'status', value: 'shipped' });
  });

  it('plans the extra tests after the criteria', () => {
    const model = buildAppModel(shopManyToMany);
    const tests = planTests(model, shopManyToMany);
    const firstExtra = tests.findIndex((t) => t.criteria.length === 0);
    expect(firstExtra).toBe(shopManyToMany.acceptanceCriteria.length);
    expect(tests.map((t) => t.id)).toEqual(
      tests.map((_, i) => `T-${String(i + 1).padStart(3, '0')}`),
    );
    expect(tests.filter((t) => t.recipe === 'smoke')).toEqual([]);
  });
});
