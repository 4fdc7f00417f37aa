import { LockfileParseError, parseNpmLock } from './lockfile.js';
import { npmPurl } from './sbom.js';

describe('parseNpmLock', () => {
  it('lists installed packages (nested, scoped, aliased), not the root or workspace links', () => {
    const lock = parseNpmLock(
      JSON.stringify({
        name: 'app',
        version: '1.0.0',
        lockfileVersion: 3,
        packages: {
          '': { name: 'app', version: '1.0.0' },
          'node_modules/a': { version: '1.0.0', integrity: 'sha512-x', dev: true },
          'node_modules/a/node_modules/b': { version: '2.0.0' },
          'node_modules/@s/c': { version: '3.0.0', license: 'MIT' },
          'node_modules/alias': { name: 'real', version: '4.0.0' },
          'node_modules/ws': { resolved: 'packages/ws', link: true },
          'packages/ws': { name: 'ws', version: '0.0.1' },
        },
      }),
    );
    expect(lock.root).toEqual({ name: 'app', version: '1.0.0' });
    expect(lock.packages.map((p) => `${p.path} ${p.name}@${p.version}`)).toEqual([
      'node_modules/@s/c @s/c@3.0.0',
      'node_modules/a a@1.0.0',
      'node_modules/a/node_modules/b b@2.0.0',
      'node_modules/alias real@4.0.0',
    ]);
    expect(lock.packages[1]).toMatchObject({ dev: true, integrity: 'sha512-x' });
  });

  it('refuses lockfileVersion 1 and non-JSON, saying why', () => {
    expect(() => parseNpmLock('{"lockfileVersion":1,"dependencies":{}}')).toThrow(
      /lockfileVersion 1 is not supported/,
    );
    expect(() => parseNpmLock('nope')).toThrow(LockfileParseError);
  });
});

describe('npmPurl', () => {
  it('encodes scopes and records off-registry downloads', () => {
    expect(npmPurl('@fastify/jwt', '10.2.8')).toBe('pkg:npm/%40fastify/jwt@10.2.8');
    expect(npmPurl('pg', '8.23.1', 'https://registry.npmjs.org/pg/-/pg-8.23.1.tgz')).toBe(
      'pkg:npm/pg@8.23.1',
    );
    expect(npmPurl('x', '1.0.0', 'https://example.com/x.tgz')).toBe(
      'pkg:npm/x@1.0.0?download_url=https%3A%2F%2Fexample.com%2Fx.tgz',
    );
  });
});
