import {
  parseGoMod,
  parseNpmLock,
  parsePackageJson,
  parsePyproject,
  parseRequirements,
} from './manifests.js';

describe('manifest parsers', () => {
  it('package.json: names, ranges and the line of each declaration', () => {
    const content =
      '{\n  "dependencies": {\n    "fastify": "^5.0.0"\n  },\n  "devDependencies": {\n    "fastify": "^5.1.0"\n  }\n}\n';
    const m = parsePackageJson({ path: 'api/package.json', content });
    expect('declared' in m && m.declared.map((d) => [d.name, d.spec, d.section, d.line])).toEqual([
      ['fastify', '^5.0.0', 'dependencies', 3],
      ['fastify', '^5.1.0', 'devDependencies', 6],
    ]);
    expect('dir' in m && m.dir).toBe('api');
    expect(parsePackageJson({ path: 'package.json', content: '{ nope' })).toMatchObject({
      message: expect.stringContaining('not valid JSON'),
    });
  });

  it('requirements.txt: extras, markers, pins; options and URLs skipped', () => {
    const r = parseRequirements({
      path: 'requirements.txt',
      content:
        '# c\nuvicorn[standard]>=0.30 ; python_version > "3.9"\nDjango==5.0  # pinned\n-e .\nhttps://x/y.whl\npkg @ https://x/pkg.whl\n',
    });
    expect(r.declared.map((d) => [d.name, d.spec, d.line])).toEqual([
      ['uvicorn', '>=0.30', 2],
      ['Django', '==5.0', 3],
    ]);
  });

  it('pyproject.toml: PEP 621 arrays (with bracketed extras) and Poetry tables', () => {
    const content = [
      '[project]',
      'name = "app"',
      'dependencies = [',
      '  "fastapi>=0.110",',
      '  "uvicorn[standard]>=0.30",',
      ']',
      'requires-python = ">=3.11"',
      '[project.optional-dependencies]',
      'dev = ["pytest>=8", "ruff"]',
      '[tool.poetry.dependencies]',
      'python = "^3.11"',
      'httpx = "^0.27"',
      'local = { path = "../local" }',
    ].join('\n');
    expect(
      parsePyproject({ path: 'pyproject.toml', content }).declared.map((d) => [
        d.name,
        d.spec,
        d.line,
      ]),
    ).toEqual([
      ['fastapi', '>=0.110', 4],
      ['uvicorn', '>=0.30', 5],
      ['pytest', '>=8', 9],
      ['ruff', '', 9],
      ['httpx', '^0.27', 12],
    ]);
  });

  it('go.mod: module, single and block requires, local replaces', () => {
    const m = parseGoMod({
      path: 'svc/go.mod',
      content:
        'module example.com/svc\n\ngo 1.22\n\nrequire github.com/a/b v1.2.3\nrequire (\n\tgithub.com/c/d v0.1.0 // indirect\n)\nreplace github.com/c/d => ../d\n',
    });
    expect(m.module).toBe('example.com/svc');
    expect(m.declared.map((d) => [d.name, d.spec, d.line])).toEqual([
      ['github.com/a/b', 'v1.2.3', 5],
      ['github.com/c/d', 'v0.1.0', 7],
    ]);
    expect([...m.localReplaces]).toEqual(['github.com/c/d']);
  });

  it('lock files: npm v3, pnpm v9 and yarn v1 list their packages and versions', () => {
    const npm = parseNpmLock({
      path: 'package-lock.json',
      content: JSON.stringify({
        packages: {
          '': {},
          'node_modules/a': { version: '1.0.0' },
          'node_modules/a/node_modules/@s/b': { version: '2.0.0' },
        },
      }),
    });
    expect(Object.fromEntries([...npm].map(([k, v]) => [k, [...v]]))).toEqual({
      a: ['1.0.0'],
      '@s/b': ['2.0.0'],
    });
    const pnpm = parseNpmLock({
      path: 'pnpm-lock.yaml',
      content:
        "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      fastify:\n        specifier: ^5.0.0\n        version: 5.2.1\npackages:\n  fastify@5.2.1:\n    resolution: {integrity: sha512-x}\n  '@fastify/jwt@9.0.4(fastify@5.2.1)':\n    resolution: {integrity: sha512-y}\n",
    });
    expect(Object.fromEntries([...pnpm].map(([k, v]) => [k, [...v]]))).toEqual({
      fastify: ['5.2.1'],
      '@fastify/jwt': ['9.0.4'],
    });
    const yarn = parseNpmLock({
      path: 'yarn.lock',
      content:
        '# yarn lockfile v1\n\n"@babel/core@^7.0.0", "@babel/core@^7.1.0":\n  version "7.24.0"\n\nlodash@^4.17.21:\n  version "4.17.21"\n',
    });
    expect(Object.fromEntries([...yarn].map(([k, v]) => [k, [...v]]))).toEqual({
      '@babel/core': ['7.24.0'],
      lodash: ['4.17.21'],
    });
  });
});
