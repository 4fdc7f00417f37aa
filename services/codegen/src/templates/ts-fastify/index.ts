// Stack "ts-fastify": TypeScript + Fastify + drizzle-orm + PostgreSQL (node-postgres in
// production, PGlite in tests), jest tests derived from the acceptance criteria, OpenAPI 3.1,
// Dockerfile, GitHub Actions workflow and an npm lock file.
import { isDeepStrictEqual } from 'node:util';
import type { StackPlan } from '../../blueprint/assemble.js';
import { assembleBlueprint } from '../../blueprint/assemble.js';
import type { AppModel } from '../../blueprint/model.js';
import type { TestCase } from '../../blueprint/tests.js';
import type {
  BlueprintModule,
  DeliveryPlan,
  FileRole,
  PlannedFile,
  Stack,
} from '../../domain/artifacts/index.js';
import { TemplateEngine, q } from '../engine.js';
import { formatFile } from '../format.js';
import type { PackageManifest } from '../lockfile.js';
import type { RenderContext, RenderedFile, RenderInput, StackTemplate } from '../types.js';
import { TemplateInputError } from '../types.js';
import { TEMPLATES } from './templates.generated.js';
import {
  AUTH_DEPENDENCIES,
  DEPENDENCIES,
  DEV_DEPENDENCIES,
  NODE_IMAGE,
  NODE_MAJOR,
} from './versions.js';
import type { ProjectView } from './view.js';
import { buildView, testFilePath } from './view.js';

export const STACK_ID = 'ts-fastify';
/** Bump on any change to the templates or versions: it is part of every file's provenance. */
export const STACK_VERSION = '1.0.0';
const PORT = 3000;

const STACK: Stack = {
  templateId: STACK_ID,
  language: 'typescript',
  framework: 'fastify',
  database: 'postgresql',
  packageManager: 'npm',
};

type FileKind = 'eta' | 'json' | 'lockfile';

interface FileSpec {
  path: string;
  /** Template (or, for JSON and lock files, the logical source) it is rendered from. */
  template: string;
  kind: FileKind;
  module: string;
  role: FileRole;
  description: string;
  /** Extra data for this file's template (merged over the project view). */
  data?: Record<string, unknown>;
}

function moduleNames(model: AppModel): Map<string, string> {
  const taken = new Set(['core', 'auth', 'infra', 'docs']);
  const out = new Map<string, string>();
  for (const e of model.entities) {
    let name = e.segment;
    for (let n = 2; taken.has(name); n++) name = `${e.segment}-${n}`;
    taken.add(name);
    out.set(e.name, name);
  }
  return out;
}

function fileSpecs(model: AppModel, tests: readonly TestCase[]): FileSpec[] {
  const modules = moduleNames(model);
  const specs: FileSpec[] = [
    spec('package.json', 'package.json', 'json', 'infra', 'config', 'npm manifest, exact versions'),
    spec(
      'package-lock.json',
      'package-lock.json',
      'lockfile',
      'infra',
      'lockfile',
      'npm lock file',
    ),
    spec('tsconfig.json', 'tsconfig.json', 'json', 'core', 'config', 'TypeScript (type-check)'),
    spec(
      'tsconfig.build.json',
      'tsconfig.build.json',
      'json',
      'core',
      'config',
      'TypeScript build',
    ),
    spec('jest.config.json', 'jest.config.json', 'json', 'core', 'config', 'jest, coverage ≥ 80%'),
    spec('.gitignore', 'gitignore.eta', 'eta', 'infra', 'config', 'git ignores'),
    spec('.dockerignore', 'dockerignore.eta', 'eta', 'infra', 'config', 'Docker build context'),
    spec('.env.example', 'env.example.eta', 'eta', 'infra', 'config', 'environment template'),
    spec('Dockerfile', 'Dockerfile.eta', 'eta', 'infra', 'docker', 'multi-stage, non-root image'),
    spec('.github/workflows/ci.yml', 'github/workflows/ci.yml.eta', 'eta', 'infra', 'ci', 'CI'),
    spec('README.md', 'README.md.eta', 'eta', 'docs', 'docs', 'how to run, API, tests'),
    spec('openapi.json', 'openapi.json', 'json', 'docs', 'docs', 'OpenAPI 3.1 document'),
    spec(
      'migrations/0001_init.sql',
      'migrations/0001_init.sql.eta',
      'eta',
      'core',
      'migration',
      'schema',
    ),
    spec('src/server.ts', 'src/server.ts.eta', 'eta', 'core', 'source', 'process entry point'),
    spec('src/app.ts', 'src/app.ts.eta', 'eta', 'core', 'source', 'application factory'),
    spec('src/config.ts', 'src/config.ts.eta', 'eta', 'core', 'source', 'environment'),
    spec('src/errors.ts', 'src/errors.ts.eta', 'eta', 'core', 'source', 'error answers'),
    spec('src/openapi.ts', 'src/openapi.ts.eta', 'eta', 'core', 'source', 'OpenAPI document'),
    spec('src/lib/http.ts', 'src/lib/http.ts.eta', 'eta', 'core', 'source', 'route helpers'),
    spec('src/db/index.ts', 'src/db/index.ts.eta', 'eta', 'core', 'source', 'database type'),
    spec('src/db/schema.ts', 'src/db/schema.ts.eta', 'eta', 'core', 'source', 'drizzle tables'),
    spec('src/db/migrate.ts', 'src/db/migrate.ts.eta', 'eta', 'core', 'source', 'migration runner'),
  ];
  if (model.auth) {
    specs.push(
      spec('src/auth/passwords.ts', 'src/auth/passwords.ts.eta', 'eta', 'auth', 'source', 'scrypt'),
      spec('src/auth/plugin.ts', 'src/auth/plugin.ts.eta', 'eta', 'auth', 'source', 'JWT, roles'),
      spec('src/routes/auth.ts', 'src/routes/auth.ts.eta', 'eta', 'auth', 'source', 'auth routes'),
    );
  }
  for (const e of model.entities) {
    specs.push({
      ...spec(
        `src/routes/${e.segment}.ts`,
        'src/routes/entity.ts.eta',
        'eta',
        modules.get(e.name)!,
        'source',
        `routes of ${e.humanPlural}`,
      ),
      data: { entity: e.name },
    });
  }
  specs.push(
    spec('test/helpers.ts', 'test/helpers.ts.eta', 'eta', 'core', 'test', 'test support'),
    spec(
      'test/global-setup.ts',
      'test/global-setup.ts.eta',
      'eta',
      'core',
      'test',
      'database snapshot',
    ),
    spec(
      'test/global-teardown.ts',
      'test/global-teardown.ts.eta',
      'eta',
      'core',
      'test',
      'clean-up',
    ),
  );
  const groups = [...new Set(tests.map((t) => t.group))];
  for (const group of groups) {
    const entity = model.entities.find((e) => e.segment === group);
    specs.push({
      ...spec(
        testFilePath(group),
        'test/group.test.ts.eta',
        'eta',
        entity
          ? modules.get(entity.name)!
          : group.startsWith('auth') && model.auth
            ? 'auth'
            : 'core',
        'test',
        `tests of ${entity ? entity.humanPlural : group}`,
      ),
      data: { group },
    });
  }
  return specs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function spec(
  path: string,
  template: string,
  kind: FileKind,
  module: string,
  role: FileRole,
  description: string,
): FileSpec {
  return { path, template, kind, module, role, description };
}

function provenanceTemplate(template: string): string {
  return `${STACK_ID}/${template}@${STACK_VERSION}`;
}

function modulesOf(model: AppModel): BlueprintModule[] {
  const names = moduleNames(model);
  const out: BlueprintModule[] = [
    {
      name: 'core',
      kind: 'core',
      description: 'app, config, errors, database, migrations',
      dependsOn: [],
    },
  ];
  if (model.auth) {
    out.push({
      name: 'auth',
      kind: 'auth',
      description: 'accounts, JWT, roles',
      dependsOn: ['core'],
    });
  }
  for (const e of model.entities) {
    out.push({
      name: names.get(e.name)!,
      kind: 'entity',
      entity: e.name,
      description: `${e.humanPlural}: CRUD, filters, actions and relations`,
      dependsOn: model.auth ? ['core', 'auth'] : ['core'],
    });
  }
  out.push(
    { name: 'infra', kind: 'infra', description: 'package, lock file, Docker, CI', dependsOn: [] },
    { name: 'docs', kind: 'docs', description: 'README and OpenAPI document', dependsOn: [] },
  );
  return out;
}

function delivery(): DeliveryPlan {
  return {
    dockerfile: {
      path: 'Dockerfile',
      baseImage: NODE_IMAGE,
      port: PORT,
      multiStage: true,
      nonRoot: true,
      healthcheckPath: '/healthz',
    },
    ci: {
      provider: 'github-actions',
      workflowPath: '.github/workflows/ci.yml',
      jobs: [
        {
          name: 'test',
          steps: [
            'checkout',
            `setup-node ${NODE_MAJOR}`,
            'npm ci',
            'typecheck',
            'test with coverage',
            'build',
          ],
        },
        { name: 'docker', steps: ['checkout', 'docker build'] },
      ],
    },
  };
}

export function packageManifest(view: ProjectView): PackageManifest {
  return {
    name: view.appName,
    version: '0.1.0',
    private: true,
    description: view.title,
    type: 'module',
    engines: { node: `>=${NODE_MAJOR}.19` },
    scripts: {
      build: 'tsc -p tsconfig.build.json',
      start: 'node dist/server.js',
      typecheck: 'tsc --noEmit',
      // PGlite loads its WebAssembly with a dynamic import, which jest only allows in VM-modules mode.
      test: 'node --experimental-vm-modules --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js --coverage',
    },
    dependencies: { ...DEPENDENCIES, ...(view.auth ? AUTH_DEPENDENCIES : {}) },
    devDependencies: { ...DEV_DEPENDENCIES },
  };
}

function jsonFile(spec: FileSpec, view: ProjectView, input: RenderInput): unknown {
  switch (spec.template) {
    case 'package.json':
      return sortDependencies(packageManifest(view));
    case 'openapi.json':
      return input.blueprint.api;
    case 'tsconfig.json':
      return {
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          isolatedModules: true,
          verbatimModuleSyntax: true,
          forceConsistentCasingInFileNames: true,
          types: ['node', 'jest'],
          noEmit: true,
        },
        include: ['src', 'test'],
      };
    case 'tsconfig.build.json':
      return {
        extends: './tsconfig.json',
        compilerOptions: { noEmit: false, outDir: 'dist', rootDir: 'src', types: ['node'] },
        include: ['src'],
      };
    case 'jest.config.json':
      return {
        testEnvironment: 'node',
        testMatch: ['<rootDir>/test/**/*.test.ts'],
        globalSetup: '<rootDir>/test/global-setup.ts',
        globalTeardown: '<rootDir>/test/global-teardown.ts',
        transform: {
          '^.+\\.(t|j)s$': [
            '@swc/jest',
            {
              jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
              module: { type: 'commonjs' },
            },
          ],
        },
        // jest loads CommonJS: the few ESM-only dependencies are compiled like our code.
        transformIgnorePatterns: ['/node_modules/(?!(cookie)/)'],
        moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
        // server.ts is the process entry (needs a PostgreSQL server); openapi.ts is data.
        collectCoverageFrom: ['src/**/*.ts', '!src/server.ts', '!src/openapi.ts'],
        coverageProvider: 'v8',
        coverageReporters: ['text-summary', 'lcov'],
        coverageThreshold: { global: { lines: 80 } },
        testTimeout: 60000,
      };
    default:
      throw new Error(`no JSON source "${spec.template}"`);
  }
}

function sortDependencies(manifest: PackageManifest): PackageManifest {
  const sorted = (m?: Record<string, string>) =>
    Object.fromEntries(Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    ...manifest,
    dependencies: sorted(manifest.dependencies),
    devDependencies: sorted(manifest.devDependencies),
  };
}

let engine: TemplateEngine | undefined;
function templates(): TemplateEngine {
  return (engine ??= new TemplateEngine(TEMPLATES));
}

/** Differences between the blueprint given and the one the requirements give (for the error). */
function blueprintDrift(
  input: RenderInput,
  expected: ReturnType<typeof assembleBlueprint>,
): string[] {
  const parts = ['stack', 'dataModel', 'api', 'testPlan', 'files'] as const;
  return parts.filter((p) => !isDeepStrictEqual(input.blueprint[p], expected.blueprint[p]));
}

export const tsFastify: StackTemplate = {
  id: STACK_ID,
  version: STACK_VERSION,
  description:
    'TypeScript + Fastify + drizzle-orm + PostgreSQL (PGlite in tests), jest, OpenAPI 3.1, Docker, GitHub Actions',

  testFile: testFilePath,

  plan(model: AppModel, tests: readonly TestCase[]): StackPlan {
    const files: PlannedFile[] = fileSpecs(model, tests).map((s) => ({
      path: s.path,
      module: s.module,
      role: s.role,
      producer: 'template',
      template: provenanceTemplate(s.template),
      description: s.description,
    }));
    return { stack: STACK, modules: modulesOf(model), files, delivery: delivery() };
  },

  async render(input: RenderInput, context: RenderContext = {}): Promise<RenderedFile[]> {
    const expected = assembleBlueprint(input.requirements, this);
    const drift = blueprintDrift(input, expected);
    if (drift.length > 0) {
      throw new TemplateInputError(
        `the blueprint does not match its requirements for stack ${STACK_ID} (${drift.join(', ')} differ); rebuild it with buildBlueprint(requirements)`,
      );
    }
    const { model, tests } = expected;
    const view = buildView(model, tests, {
      port: PORT,
      nodeMajor: NODE_MAJOR,
      nodeImage: NODE_IMAGE,
    });
    const engine = templates();
    const base = {
      ...view,
      q,
      openapiJson: JSON.stringify(input.blueprint.api),
    };
    const out: RenderedFile[] = [];
    for (const s of fileSpecs(model, tests)) {
      context.signal?.throwIfAborted();
      const provenance = {
        by: 'generator' as const,
        generator: `${STACK_ID}@${STACK_VERSION}`,
        template: provenanceTemplate(s.template),
      };
      let content: string;
      if (s.kind === 'lockfile') {
        if (!context.lockfiles) continue;
        content = await context.lockfiles.npmLockfile(packageManifest(view), context.signal);
      } else if (s.kind === 'json') {
        content = await formatFile(
          s.path,
          `${JSON.stringify(jsonFile(s, view, input), null, 2)}\n`,
        );
      } else {
        const data: Record<string, unknown> = { ...base };
        if (s.data?.['entity'] !== undefined) {
          data['e'] = view.entities.find((e) => e.name === s.data!['entity']);
        }
        if (s.data?.['group'] !== undefined) {
          data['file'] = view.testFiles.find((f) => f.group === s.data!['group']);
        }
        content = await formatFile(s.path, engine.render(s.template, data));
      }
      out.push({ path: s.path, content, provenance });
    }
    return out;
  },
};
