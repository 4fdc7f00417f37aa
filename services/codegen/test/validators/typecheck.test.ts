import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkTypes } from '../../src/validators/index.js';

jest.setTimeout(60_000);

const tsconfig = JSON.stringify({
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: true,
    types: ['node'],
  },
  include: ['src'],
});

describe('TypeScript type-check on an in-memory file set', () => {
  it('passes a correct project and maps a type error to a positioned finding', async () => {
    const ok = await checkTypes([
      {
        path: 'src/books.ts',
        content:
          'export interface Book { title: string; pages: number }\nexport const total = (b: Book[]): number => b.reduce((n, x) => n + x.pages, 0);\n',
      },
      {
        path: 'src/main.ts',
        content:
          "import { total } from './books.js';\nexport const n: number = total([{ title: 'a', pages: 1 }]);\n",
      },
    ]);
    expect(ok.status).toBe('passed');
    expect(ok.findings).toEqual([]);
    expect(ok.filesChecked).toBe(2);

    const bad = await checkTypes([
      { path: 'src/books.ts', content: 'export interface Book { title: string; pages: number }\n' },
      {
        path: 'src/main.ts',
        content:
          "import type { Book } from './books.js';\n\nexport const b: Book = { title: 'a', pages: '12' };\n",
      },
    ]);
    expect(bad.status).toBe('failed');
    expect(bad.findings).toEqual([
      expect.objectContaining({
        ruleId: 'TS2322',
        severity: 'high',
        file: 'src/main.ts',
        line: 3,
        column: 38,
        check: 'typecheck',
      }),
    ]);
  });

  it('reports unresolved packages only as info when no node_modules is given', async () => {
    const result = await checkTypes([
      {
        path: 'src/app.ts',
        content:
          "import Fastify from 'fastify';\nexport const app = Fastify();\nexport const port: number = 'x';\n",
      },
    ]);
    const byRule = Object.fromEntries(result.findings.map((f) => [f.ruleId, f.severity]));
    expect(byRule).toEqual({ TS2307: 'info', TS2322: 'high' });
  });

  it('treats augmentations of uninstalled packages and runtime globals (Blob) as environment', async () => {
    const result = await checkTypes([
      // No DOM lib: Blob comes from @types/node, which is not installed here.
      {
        path: 'tsconfig.json',
        content: JSON.stringify({
          compilerOptions: { ...JSON.parse(tsconfig).compilerOptions, lib: ['ES2022'] },
          include: ['src'],
        }),
      },
      {
        path: 'src/plugin.ts',
        content:
          "declare module 'fastify' {\n  interface FastifyInstance {\n    ready2(): void;\n  }\n}\n" +
          "export const body = new Blob(['x']);\nexport const wrong: string = 1;\n",
      },
    ]);
    const byRule = Object.fromEntries(result.findings.map((f) => [f.ruleId, f.severity]));
    expect(byRule['TS2664']).toBe('info');
    expect(byRule['TS2304']).toBe('info');
    expect(byRule['TS2322']).toBe('high');
  });

  it('honours the tsconfig in the file set (include, strictness)', async () => {
    const result = await checkTypes([
      {
        path: 'tsconfig.json',
        content: JSON.stringify({
          compilerOptions: { strict: false, module: 'NodeNext' },
          include: ['src'],
        }),
      },
      { path: 'src/a.ts', content: 'export function f(x) { return x; }\n' },
      { path: 'scripts/b.ts', content: 'export const n: number = "not checked";\n' },
    ]);
    expect(result.findings).toEqual([]);
    expect(result.filesChecked).toBe(1);
    const strict = await checkTypes([
      {
        path: 'tsconfig.json',
        content: JSON.stringify({
          compilerOptions: { strict: true, module: 'NodeNext' },
          include: ['src'],
        }),
      },
      { path: 'src/a.ts', content: 'export function f(x) { return x; }\n' },
    ]);
    expect(strict.findings.map((f) => f.ruleId)).toEqual(['TS7006']);
  });

  describe('with a project directory that has node_modules', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'ql-typecheck-'));
      // The repo root's node_modules holds @types/node and typescript.
      symlinkSync(path.join(process.cwd(), 'node_modules'), path.join(dir, 'node_modules'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('resolves real type declarations and catches misuse of them', async () => {
      const files = (body: string) => [
        { path: 'tsconfig.json', content: tsconfig },
        { path: 'package.json', content: JSON.stringify({ name: 'x', type: 'module' }) },
        {
          path: 'src/main.ts',
          content: `import { readFileSync } from 'node:fs';\nimport ts from 'typescript';\n${body}\n`,
        },
      ];
      const ok = await checkTypes(
        files("export const v: string = ts.version + readFileSync('a', 'utf8');"),
        { projectDir: dir },
      );
      expect(ok.findings).toEqual([]);
      expect(ok.details?.['nodeModules']).toBe(true);
      const bad = await checkTypes(
        files('export const v: number = ts.version;\nreadFileSync(42, { bogus: true });'),
        {
          projectDir: dir,
        },
      );
      expect(bad.findings.map((f) => [f.ruleId, f.line])).toEqual([
        ['TS2322', 3],
        ['TS2769', 4],
      ]);
    });

    it('reports a missing package as an error when node_modules is present', async () => {
      const result = await checkTypes(
        [
          {
            path: 'src/a.ts',
            content: "import x from 'surely-not-installed-pkg';\nexport default x;\n",
          },
        ],
        { projectDir: dir },
      );
      expect(result.findings).toEqual([
        expect.objectContaining({ ruleId: 'TS2307', severity: 'high' }),
      ]);
    });
  });
});
