import { parseRequirements } from '../requirements/index.js';
import {
  BlueprintSchema,
  checkTestPlanCoverage,
  FileSetSchema,
  isSafeProjectPath,
  RequirementsSchema,
} from './index.js';
import type { BlueprintInput, RequirementsInput } from './index.js';

function minimalRequirements(): RequirementsInput {
  return {
    schemaVersion: 1,
    appName: 'library-app',
    title: 'Library App',
    summary: 'Books.',
    description: 'Each book has a title.',
    entities: [
      {
        name: 'Book',
        pluralName: 'Books',
        fields: [{ name: 'title', type: 'text' }],
      },
    ],
    auth: { enabled: false },
    acceptanceCriteria: [
      {
        id: 'AC-001',
        title: 'Create a book',
        given: 'a client',
        when: 'it creates a book',
        then: 'it is stored',
        kind: 'operation',
      },
    ],
    origin: { producer: 'llm', version: 'anthropic/claude' },
    confidence: 0.9,
  };
}

function minimalBlueprint(): BlueprintInput {
  return {
    schemaVersion: 1,
    appName: 'library-app',
    stack: {
      templateId: 'ts-fastify',
      language: 'typescript',
      framework: 'fastify',
      database: 'postgres',
      packageManager: 'npm',
    },
    modules: [
      { name: 'core', kind: 'core' },
      { name: 'books', kind: 'entity', entity: 'Book', dependsOn: ['core'] },
    ],
    files: [
      { path: 'src/app.ts', module: 'core', role: 'source', producer: 'template' },
      { path: 'test/books.test.ts', module: 'books', role: 'test', producer: 'template' },
    ],
    dataModel: {
      tables: [
        {
          name: 'books',
          entity: 'Book',
          columns: [
            { name: 'id', type: 'id', sqlType: 'uuid', nullable: false, primaryKey: true },
            { name: 'title', field: 'title', type: 'text', sqlType: 'text', nullable: false },
          ],
        },
      ],
    },
    api: {
      openapi: '3.1.0',
      info: { title: 'Library', version: '1.0.0' },
      paths: { '/books': { get: {} } },
    },
    testPlan: {
      tests: [
        {
          id: 'T-001',
          name: 'creates a book',
          file: 'test/books.test.ts',
          kind: 'integration',
          criteria: ['AC-001'],
        },
      ],
    },
    delivery: {
      dockerfile: {
        path: 'Dockerfile',
        baseImage: 'node:20-alpine',
        port: 3000,
        multiStage: true,
        nonRoot: true,
        healthcheckPath: '/healthz',
      },
      ci: {
        provider: 'github_actions',
        workflowPath: '.github/workflows/ci.yml',
        jobs: [{ name: 'test', steps: ['npm ci', 'npm test'] }],
      },
    },
  };
}

function issues(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}): string[] {
  return (result.error?.issues ?? []).map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('RequirementsSchema', () => {
  it('accepts a minimal document from an agent and fills the defaults', () => {
    const parsed = RequirementsSchema.parse(minimalRequirements());
    expect(parsed.entities[0]!.fields[0]).toMatchObject({
      required: false,
      unique: false,
      enumValues: [],
      confidence: 1,
    });
    expect(parsed.relations).toEqual([]);
    expect(parsed.auth.roles).toEqual([]);
  });

  it('accepts what the parser produces, and survives a JSON round trip', () => {
    const req = parseRequirements(
      'Each author has many books. Books have a title and a price. Admins can delete books.',
    );
    expect(RequirementsSchema.parse(JSON.parse(JSON.stringify(req)))).toEqual(req);
  });

  it('rejects names that are not identifiers', () => {
    const doc = minimalRequirements();
    doc.entities[0]!.name = 'book item';
    doc.entities[0]!.fields[0]!.name = 'Due Date';
    const result = RequirementsSchema.safeParse(doc);
    expect(issues(result)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^entities\.0\.name: must be PascalCase/),
        expect.stringMatching(/^entities\.0\.fields\.0\.name: must be camelCase/),
      ]),
    );
  });

  it('checks cross references: relations, enum values, duplicates, roles', () => {
    const doc = minimalRequirements();
    doc.entities[0]!.fields.push({ name: 'status', type: 'enum' }, { name: 'title', type: 'text' });
    doc.relations = [
      { kind: 'has_many', from: 'Author', to: 'Book', name: 'books', inverseName: 'author' },
    ];
    doc.auth = { enabled: true, defaultRole: 'member', userEntity: 'User' };
    doc.acceptanceCriteria.push({ ...doc.acceptanceCriteria[0]! });
    const messages = issues(RequirementsSchema.safeParse(doc));
    expect(messages).toEqual(
      expect.arrayContaining([
        'entities.0.fields.1.enumValues: enum field Book.status needs at least one value',
        'entities.0.fields.2.name: duplicate field of Book "title"',
        'relations.0.from: unknown entity "Author"',
        'auth.userEntity: unknown entity "User"',
        'auth.defaultRole: unknown role "member"',
        'acceptanceCriteria.1.id: duplicate acceptance criterion id "AC-001"',
      ]),
    );
  });

  it('requires CRUD operations to be named after their kind', () => {
    const doc = minimalRequirements();
    doc.entities[0]!.operations = [{ kind: 'create', name: 'borrow' }];
    expect(issues(RequirementsSchema.safeParse(doc))).toEqual([
      'entities.0.operations.0.name: a CRUD operation is named after its kind',
    ]);
  });
});

describe('BlueprintSchema', () => {
  it('accepts a consistent blueprint with an OpenAPI 3.1 document', () => {
    const bp = BlueprintSchema.parse(minimalBlueprint());
    expect(bp.api.openapi).toBe('3.1.0');
    expect(bp.api.paths['/books']).toEqual({ get: {} });
  });

  it('rejects OpenAPI 3.0, unknown modules and test files outside the file plan', () => {
    const bp = minimalBlueprint();
    bp.api = { ...bp.api, openapi: '3.0.3' };
    bp.files.push({ path: 'src/x.ts', module: 'nope', role: 'source', producer: 'agent' });
    bp.testPlan.tests.push({ id: 'T-002', name: 'x', file: 'test/missing.test.ts', kind: 'unit' });
    const messages = issues(BlueprintSchema.safeParse(bp));
    expect(messages).toEqual(
      expect.arrayContaining([
        'api.openapi: must be an OpenAPI 3.1.x document',
        'files.2.module: unknown module "nope"',
        'testPlan.tests.1.file: test file "test/missing.test.ts" is not in the file plan',
      ]),
    );
  });

  it('reports acceptance criteria no test proves, and criteria that do not exist', () => {
    const req = RequirementsSchema.parse(minimalRequirements());
    req.acceptanceCriteria.push({ ...req.acceptanceCriteria[0]!, id: 'AC-002' });
    const bp = BlueprintSchema.parse(minimalBlueprint());
    bp.testPlan.tests[0]!.criteria.push('AC-999');
    expect(checkTestPlanCoverage(req, bp)).toEqual({ uncovered: ['AC-002'], unknown: ['AC-999'] });
  });
});

describe('FileSetSchema', () => {
  const blob = { key: `sha256:${'a'.repeat(64)}`, sizeBytes: 10, mediaType: 'text/plain' };

  it('accepts files written by a generator and by an agent', () => {
    const set = FileSetSchema.parse({
      schemaVersion: 1,
      files: [
        {
          path: 'package.json',
          blob,
          provenance: { by: 'generator', generator: 'ts-fastify@1', template: 'package.json' },
        },
        {
          path: 'src/books/service.ts',
          blob,
          provenance: { by: 'agent', role: 'backend_developer', model: 'anthropic/claude-sonnet' },
        },
      ],
    });
    expect(set.files[1]!.provenance).toEqual({
      by: 'agent',
      role: 'backend_developer',
      model: 'anthropic/claude-sonnet',
      provider: '',
    });
  });

  it('rejects path traversal, duplicates, files inside files and bad blob keys', () => {
    const generator = { by: 'generator', generator: 'g' } as const;
    const result = FileSetSchema.safeParse({
      schemaVersion: 1,
      files: [
        { path: '../etc/passwd', blob, provenance: generator },
        { path: 'src', blob, provenance: generator },
        { path: 'src/a.ts', blob, provenance: generator },
        { path: 'src/a.ts', blob: { ...blob, key: 'md5:abc' }, provenance: generator },
      ],
    });
    const messages = issues(result);
    expect(messages).toEqual(
      expect.arrayContaining([
        'files.0.path: must be a relative POSIX path without "..", "." or empty segments',
        'files.3.blob.key: must be "sha256:" and 64 lower-case hex digits',
        'files.3.path: duplicate file path "src/a.ts"',
        'files.2.path: "src/a.ts" is inside "src", which is a file',
      ]),
    );
  });

  it.each([
    ['src/app.ts', true],
    ['.github/workflows/ci.yml', true],
    ['/etc/passwd', false],
    ['a/../b', false],
    ['a//b', false],
    ['./a', false],
    ['C:/x', false],
    ['a\\b', false],
  ])('isSafeProjectPath(%j) is %j', (path, ok) => {
    expect(isSafeProjectPath(path)).toBe(ok);
  });
});
