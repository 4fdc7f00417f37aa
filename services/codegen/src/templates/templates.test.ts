import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { libraryWithAuth, requirementsOf, shopManyToMany } from '../../test/templates/fixtures.js';
import { buildBlueprint } from '../blueprint/index.js';
import { BlueprintSchema, FileSetEntrySchema } from '../domain/artifacts/index.js';
import { TemplateEngine, q } from './engine.js';
import { FormatError, formatFile, isFormatted } from './format.js';
import type { LockfileProvider, PackageManifest } from './index.js';
import {
  defaultStacks,
  dependencySetKey,
  LockfileError,
  NpmLockfileProvider,
  pruneDanglingOptionalDependencies,
  renderProject,
  StackRegistry,
  TemplateInputError,
  tsFastify,
  UnknownStackError,
  writeProject,
} from './index.js';

class FakeLockfiles implements LockfileProvider {
  readonly manifests: PackageManifest[] = [];
  async npmLockfile(manifest: PackageManifest): Promise<string> {
    this.manifests.push(manifest);
    return `${JSON.stringify({ name: manifest.name, lockfileVersion: 3, packages: {} }, null, 2)}\n`;
  }
}

describe('stack registry', () => {
  it('knows ts-fastify and names the available stacks when asked for another', () => {
    const registry = defaultStacks();
    expect(registry.ids()).toEqual(['ts-fastify']);
    expect(registry.get('ts-fastify')).toBe(tsFastify);
    expect(() => registry.get('py-fastapi')).toThrow(UnknownStackError);
    expect(() => registry.get('py-fastapi')).toThrow(/available: ts-fastify/);
    expect(() => new StackRegistry([tsFastify, tsFastify])).toThrow(/already registered/);
  });
});

describe('renderProject (ts-fastify)', () => {
  let library: Awaited<ReturnType<typeof renderProject>>;
  let shop: Awaited<ReturnType<typeof renderProject>>;
  const lockfiles = new FakeLockfiles();

  beforeAll(async () => {
    library = await renderProject({ requirements: libraryWithAuth }, { lockfiles });
    shop = await renderProject({ requirements: shopManyToMany }, { lockfiles: null });
  });

  const file = (project: typeof library, p: string) => {
    const f = project.files.find((x) => x.path === p);
    if (!f) throw new Error(`no ${p}`);
    return f.content;
  };

  it('renders exactly the files of the blueprint plan', () => {
    expect(library.files.map((f) => f.path)).toEqual(library.blueprint.files.map((f) => f.path));
    // Without a lock file provider, everything but the lock file.
    expect(shop.files.map((f) => f.path)).toEqual(
      shop.blueprint.files.map((f) => f.path).filter((p) => p !== 'package-lock.json'),
    );
  });

  it('records the template of each file as its provenance', () => {
    for (const f of library.files) {
      const planned = library.blueprint.files.find((p) => p.path === f.path)!;
      expect(f.provenance).toEqual({
        by: 'generator',
        generator: 'ts-fastify@1.0.0',
        template: planned.template,
      });
      expect(f.provenance.template).toMatch(/^ts-fastify\/[^@]+@1\.0\.0$/);
      expect(() =>
        FileSetEntrySchema.parse({
          path: f.path,
          blob: { key: `sha256:${'0'.repeat(64)}`, sizeBytes: 0, mediaType: 'text/plain' },
          provenance: f.provenance,
        }),
      ).not.toThrow();
    }
  });

  it('is deterministic: the same blueprint (even through JSON) gives byte-identical files', async () => {
    const stored = BlueprintSchema.parse(JSON.parse(JSON.stringify(library.blueprint)));
    const again = await renderProject(
      { requirements: libraryWithAuth, blueprint: stored },
      { lockfiles: new FakeLockfiles() },
    );
    expect(again.files).toEqual(library.files);
  });

  it('writes formatted files', async () => {
    for (const project of [library, shop]) {
      for (const f of project.files) {
        if (!isFormatted(f.path)) continue;
        expect(await formatFile(f.path, f.content)).toBe(f.content);
      }
    }
  });

  it('asks the lock file provider for the exact dependency set', () => {
    const manifest = lockfiles.manifests[0]!;
    expect(manifest.name).toBe('lending-library');
    const versions = { ...manifest.dependencies, ...manifest.devDependencies };
    expect(Object.keys(versions)).toEqual(
      expect.arrayContaining([
        'fastify',
        'drizzle-orm',
        'pg',
        '@fastify/jwt',
        '@electric-sql/pglite',
        'jest',
      ]),
    );
    for (const version of Object.values(versions)) expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(JSON.parse(file(library, 'package.json'))).toMatchObject({
      name: 'lending-library',
      type: 'module',
      dependencies: manifest.dependencies,
    });
    expect(JSON.parse(file(shop, 'package.json')).dependencies).not.toHaveProperty('@fastify/jwt');
  });

  it('serves and writes the blueprint OpenAPI document', () => {
    expect(JSON.parse(file(library, 'openapi.json'))).toEqual(library.blueprint.api);
    expect(file(library, 'src/openapi.ts')).toContain("openapi: '3.1.0'");
  });

  it('derives the migration from the data model', () => {
    const sql = file(shop, 'migrations/0001_init.sql');
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS "product_categories"');
    expect(sql).toContain(
      'CONSTRAINT "product_categories_pkey" PRIMARY KEY ("product_id", "category_id")',
    );
    expect(sql).toMatch(
      /ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_order_id_fkey"\n\s+FOREIGN KEY \("order_id"\) REFERENCES "orders" \("id"\) ON DELETE CASCADE;/,
    );
    expect(sql).toContain(
      "CONSTRAINT \"orders_status_check\" CHECK (\"status\" IN ('pending', 'shipped', 'delivered'))",
    );
  });

  it('names each acceptance test after its criterion', () => {
    for (const t of library.blueprint.testPlan.tests) {
      expect(file(library, t.file)).toContain(`it(${JSON.stringify(t.name).replace(/"/g, "'")}`);
    }
  });

  it('protects mutating routes and restricts roles', () => {
    const books = file(library, 'src/routes/books.ts');
    expect(books).toContain("onRequest: [app.authenticate, app.authorize(['librarian'])]");
    expect(books).toContain("onRequest: [app.authenticate, app.authorize(['member'])]");
    expect(file(shop, 'src/routes/products.ts')).not.toContain('authenticate');
  });

  it('builds a multi-stage, non-root Docker image and a CI workflow', () => {
    const dockerfile = file(library, 'Dockerfile');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(3);
    expect(dockerfile).toContain('USER node');
    expect(dockerfile).toContain('HEALTHCHECK');
    expect(dockerfile).toContain('npm ci');
    const ci = file(library, '.github/workflows/ci.yml');
    expect(ci).toContain('npm ci');
    expect(ci).toContain('npm test');
  });

  it('refuses a blueprint that does not match the requirements', async () => {
    const other = buildBlueprint(shopManyToMany);
    await expect(
      tsFastify.render({ requirements: libraryWithAuth, blueprint: other }, {}),
    ).rejects.toThrow(TemplateInputError);
  });

  it('writes a project to disk', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ql-render-'));
    try {
      await writeProject(dir, shop.files);
      expect(await readFile(path.join(dir, 'src/app.ts'), 'utf8')).toBe(file(shop, 'src/app.ts'));
      await expect(
        writeProject(dir, [{ ...shop.files[0]!, path: '../escape.txt' }]),
      ).rejects.toThrow(/unsafe path/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('renderProject: names that clash with the generated code', () => {
  it('registers one plugin per entity and leaves list parameters and actor columns alone', async () => {
    const requirements = requirementsOf({
      appName: 'clashes',
      title: 'Clashes',
      entities: [
        { name: 'Datum', pluralName: 'Data', fields: [{ name: 'value', type: 'number' }] },
        {
          name: 'Data',
          pluralName: 'Data',
          fields: [
            { name: 'limit', type: 'integer' },
            { name: 'q', type: 'text' },
          ],
          operations: [
            { kind: 'list', name: 'list' },
            { kind: 'action', name: 'archive', target: 'User' },
          ],
        },
        { name: 'User', pluralName: 'Users', fields: [{ name: 'nick', type: 'text' }] },
      ],
      auth: { enabled: true },
    });
    const { files } = await renderProject({ requirements }, { lockfiles: null });
    const content = (p: string) => files.find((f) => f.path === p)!.content;
    const plugins = [...content('src/app.ts').matchAll(/^import (\w+Routes) from/gm)].map(
      (m) => m[1],
    );
    expect(plugins).toEqual([...new Set(plugins)]);
    expect(plugins.length).toBe(4);
    const routes = content('src/routes/data-2.ts');
    const query = /interface DataQuery extends PageQuery \{([^}]*)\}/.exec(routes)![1]!;
    expect(query.match(/\bq\?: string;/g)).toHaveLength(1);
    expect(query).not.toMatch(/\blimit\?:/);
    expect(routes).toMatch(
      /userId: request\.body\.userId,\s+actorId: Number\(request\.user\.sub\)/,
    );
  });
});

describe('lock files', () => {
  const manifest = (name: string): PackageManifest => ({
    name,
    version: '0.1.0',
    dependencies: { b: '1.0.0', a: '2.0.0' },
    devDependencies: { jest: '30.5.2' },
  });

  it('keys the cache by the dependency set only', () => {
    expect(dependencySetKey(manifest('x'))).toBe(dependencySetKey(manifest('y')));
    expect(dependencySetKey({ ...manifest('x'), dependencies: { a: '2.0.0', b: '1.0.0' } })).toBe(
      dependencySetKey(manifest('x')),
    );
    expect(dependencySetKey({ ...manifest('x'), dependencies: { a: '2.0.1' } })).not.toBe(
      dependencySetKey(manifest('x')),
    );
  });

  it('answers from the cache with the project name patched in, and fails offline without it', async () => {
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'ql-locks-'));
    try {
      const key = dependencySetKey(manifest('x'));
      await mkdir(path.join(cacheDir, 'npm'), { recursive: true });
      const cached = {
        name: 'lockfile',
        version: '0.0.0',
        lockfileVersion: 3,
        packages: { '': { name: 'lockfile', version: '0.0.0' } },
      };
      await writeFile(path.join(cacheDir, 'npm', `${key}.json`), JSON.stringify(cached));
      const provider = new NpmLockfileProvider({
        cacheDir,
        offline: true,
        npm: '/nonexistent/npm',
      });
      const lock = JSON.parse(await provider.npmLockfile(manifest('my-app')));
      expect(lock).toEqual({
        name: 'my-app',
        version: '0.1.0',
        lockfileVersion: 3,
        packages: { '': { name: 'my-app', version: '0.1.0' } },
      });
      await expect(
        provider.npmLockfile({ ...manifest('my-app'), dependencies: { c: '1.0.0' } }),
      ).rejects.toThrow(LockfileError);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('drops optional dependencies the registry did not serve', () => {
    const lock = {
      packages: {
        '': {},
        'node_modules/@swc/core': {
          optionalDependencies: {
            '@swc/core-linux-x64-gnu': '1.0.0',
            '@swc/core-darwin-arm64': '1.0.0',
          },
        },
        'node_modules/@swc/core-linux-x64-gnu': { version: '1.0.0' },
        'node_modules/fsevents-user': { optionalDependencies: { fsevents: '2.0.0' } },
      },
    };
    expect(pruneDanglingOptionalDependencies(lock)).toBe(2);
    expect(lock.packages['node_modules/@swc/core']).toEqual({
      optionalDependencies: { '@swc/core-linux-x64-gnu': '1.0.0' },
    });
    expect(lock.packages['node_modules/fsevents-user']).toEqual({});
  });
});

describe('engine and formatting', () => {
  it('renders loaded templates only, without escaping', () => {
    const engine = new TemplateEngine({ 'a.eta': 'x = <%= it.v %>;' });
    expect(engine.render('a.eta', { v: '"<b>"' })).toBe('x = "<b>";');
    expect(() => engine.render('b.eta', {})).toThrow(/unknown template/);
    expect(q('it\'s "quoted"')).toBe('"it\'s \\"quoted\\""');
  });

  it('formats by file type and reports syntax errors with the path', async () => {
    expect(await formatFile('a.ts', 'const x = {a:1}')).toBe('const x = { a: 1 };\n');
    expect(await formatFile('Dockerfile', 'FROM x  \n\n\n\nRUN y')).toBe('FROM x\n\nRUN y\n');
    await expect(formatFile('src/bad.ts', 'const = ;')).rejects.toThrow(FormatError);
    await expect(formatFile('src/bad.ts', 'const = ;')).rejects.toThrow(/src\/bad\.ts/);
  });
});
