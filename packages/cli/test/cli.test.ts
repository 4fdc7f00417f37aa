// The `ql` command run in-process with captured output, as a user runs it: analyze (text and
// JSON), bad input, and a whole embedded generation written to disk.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { readCapsule } from '@quantumlayer/capsule';
import { pack as tarPack } from 'tar-stream';
import { runCli } from '../src/index.js';
import { io } from './helpers.js';

const LIBRARY =
  'A lending library. Each book has a title, an isbn (unique), a genre (fiction, science, history) ' +
  'and a published date. Each author has a name and an email; an author has many books. ' +
  'Members have a name and an email, and can borrow books. Members log in; librarians are admins.';

let dir: string;
let capsuleFile: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ql-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ql analyze', () => {
  it('--json prints one object with requirements and complexity in the documented shape', async () => {
    const c = io(dir);
    expect(await runCli(['analyze', LIBRARY, '--json'], c)).toBe(0);
    const parsed = JSON.parse(c.out.join('')) as {
      requirements: {
        appName: string;
        entities: { name: string; fields: { name: string; type: string }[] }[];
      };
      complexity: { effort: string; estimatedFiles: number };
    };
    expect(Object.keys(parsed)).toEqual(['requirements', 'complexity']);
    const book = parsed.requirements.entities.find((e) => e.name === 'Book')!;
    expect(book.fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'isbn', type: 'text', unique: true }),
        expect.objectContaining({
          name: 'genre',
          type: 'enum',
          enumValues: ['fiction', 'science', 'history'],
        }),
        expect.objectContaining({ name: 'publishedDate', type: 'date' }),
      ]),
    );
    expect(parsed.requirements.entities.map((e) => e.name)).toEqual(
      expect.arrayContaining(['Book', 'Author', 'Member']),
    );
    expect(['simple', 'medium', 'complex']).toContain(parsed.complexity.effort);
    expect(parsed.complexity.estimatedFiles).toBeGreaterThan(10);
  });

  it('prints what it understood for people', async () => {
    const c = io(dir);
    expect(await runCli(['analyze', LIBRARY], c)).toBe(0);
    const text = c.out.join('');
    expect(text).toMatch(/Entities \(3\)/);
    expect(text).toMatch(/- isbn: text \[.*unique.*\]/);
    expect(text).toMatch(/Author has many Books/);
    expect(text).toMatch(/roles: .*librarian/);
    expect(text).toMatch(/Acceptance criteria \(\d+\)/);
  });

  it('says what was understood and what to add when there is nothing to build (exit 2)', async () => {
    for (const description of ['', 'make it fast and pretty', 'asdf qwerty']) {
      const c = io(dir);
      expect(await runCli(['analyze', description], c)).toBe(2);
      const text = c.err.join('');
      expect(text).toMatch(/^ql: /);
      expect(text).toMatch(/e\.g\./);
      expect(c.out).toEqual([]);
    }
  });

  it('rejects unknown options with usage help (exit 2)', async () => {
    const c = io(dir);
    expect(await runCli(['analyze', LIBRARY, '--yaml'], c)).toBe(2);
    expect(c.err.join('')).toMatch(/unknown option '--yaml'/);
  });
});

describe('ql generate (embedded mode)', () => {
  it('writes nothing for a description with nothing to build', async () => {
    const out = path.join(dir, 'empty-out');
    const c = io(dir);
    expect(await runCli(['generate', 'please make it quick', '--out', out], c)).toBe(2);
    expect(c.err.join('')).toMatch(/the generation stopped at analysis: description: /);
    expect(c.err.join('')).toMatch(/nothing was written/);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
    // The log of the attempt is kept where the message says (outside the output directory).
    const log = /log: (\S+)/.exec(c.err.join(''))![1]!;
    expect(await readFile(log, 'utf8')).toMatch(/generation rejected at analysis/);
    await rm(log);
  });

  it('runs the pipeline, shows each step and writes a validated project', async () => {
    const out = path.join(dir, 'out');
    const c = io(dir);
    const code = await runCli(['generate', LIBRARY, '--out', out, '--name', 'lending-library'], c);
    const text = c.out.join('');
    expect({ code, err: c.err.join('') }).toEqual({ code: 0, err: '' });
    expect(text.split('\n')[0]).toMatch(/^blueprint mode: /);
    expect(text).toMatch(/✓ analyzed +lending-library: 3 entities/);
    expect(text).toMatch(/✓ drafted +\d+ files/);
    expect(text).toMatch(/✓ validated +passed/);
    expect(text).toMatch(/✓ packaged +lending-library-0\.1\.0\.qlc, signed by key [0-9a-f]{16}/);
    expect(text).toMatch(/Generated lending-library → out\/lending-library\//);

    const project = path.join(out, 'lending-library');
    const files = await readdir(project, { recursive: true });
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'package-lock.json',
        'Dockerfile',
        'README.md',
        'openapi.json',
      ]),
    );
    const pkg = JSON.parse(await readFile(path.join(project, 'package.json'), 'utf8')) as {
      name: string;
    };
    expect(pkg.name).toBe('lending-library');
    const logs = await readdir(path.join(out, '.ql', 'logs'));
    expect(logs).toHaveLength(1);
    const log = await readFile(path.join(out, '.ql', 'logs', logs[0]!), 'utf8');
    expect(log).toMatch(/"msg":"code validated"/);

    capsuleFile = path.join(out, 'lending-library-0.1.0.qlc');
    expect((await readdir(out)).sort()).toEqual([
      '.ql',
      'lending-library',
      'lending-library-0.1.0.qlc',
    ]);

    // A second run into the same place refuses to overwrite without --force.
    const again = io(dir);
    expect(
      await runCli(['generate', LIBRARY, '--out', out, '--name', 'lending-library'], again),
    ).toBe(2);
    expect(again.err.join('')).toMatch(/already exists and is not empty; pass --force/);
  });
});

describe('ql capsule (on the capsule generate wrote)', () => {
  it('verify passes a fresh capsule and names the problem in a damaged one', async () => {
    const ok = io(dir);
    expect(await runCli(['capsule', 'verify', capsuleFile], ok)).toBe(0);
    expect(ok.out.join('')).toMatch(
      /✓ .*lending-library-0\.1\.0\.qlc: verified \(\d+ files, signed by [0-9a-f]{16}\)/,
    );

    const damaged = path.join(dir, 'damaged.qlc');
    const bytes = await readFile(capsuleFile);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(damaged, bytes);
    const bad = io(dir);
    expect(await runCli(['capsule', 'verify', damaged], bad)).toBe(1);
    expect(bad.out.join('')).toMatch(/✗ \[archive\]/);

    // Signed by a key this machine does not trust: another user's config directory.
    const stranger = io(dir);
    stranger.env = { ...stranger.env, XDG_CONFIG_HOME: path.join(dir, 'other-config') };
    expect(await runCli(['capsule', 'verify', capsuleFile], stranger)).toBe(1);
    expect(stranger.out.join('')).toMatch(/✗ \[signature\] .*not a trusted key/);
    const missing = io(dir);
    expect(await runCli(['capsule', 'verify', path.join(dir, 'nope.qlc')], missing)).toBe(2);
    expect(missing.err.join('')).toMatch(/cannot read it \(ENOENT\)/);
  });

  it('inspect summarises the manifest; --json prints it', async () => {
    const c = io(dir);
    expect(await runCli(['capsule', 'inspect', capsuleFile], c)).toBe(0);
    const text = c.out.join('\n');
    expect(text).toMatch(/lending-library 0\.1\.0/);
    expect(text).toMatch(/generated +blueprint mode · ts-fastify@/);
    expect(text).toMatch(/traced +(\d+) of \1 acceptance criteria to tests/);
    const j = io(dir);
    expect(await runCli(['capsule', 'inspect', capsuleFile, '--json'], j)).toBe(0);
    const manifest = JSON.parse(j.out.join('')) as { formatVersion: number; app: { name: string } };
    expect(manifest).toMatchObject({ formatVersion: 1, app: { name: 'lending-library' } });
  });

  it('run --test unpacks, installs from the lock file and passes the tests', async () => {
    const c = io(dir);
    const code = await runCli(['capsule', 'run', '--test', capsuleFile], c);
    const text = c.out.join('\n');
    expect({ code, tail: text.slice(-2000) }).toMatchObject({ code: 0 });
    expect(text).toMatch(/✓ verified and unpacked lending-library 0\.1\.0/);
    // jest reports on stderr
    expect(c.err.join('\n')).toMatch(/Tests: +\d+ passed, \d+ total/);
    expect(text).toMatch(/✓ \.\/run --test passed/);
  }, 300_000);

  it('run refuses a hostile capsule before anything is written or run', async () => {
    // The real capsule's entries plus one that climbs out of the unpack directory.
    const escape = path.join(dir, 'escaped.txt');
    const { entries } = await readCapsule(new Uint8Array(await readFile(capsuleFile)));
    const pack = tarPack();
    const chunks: Buffer[] = [];
    const gz = createGzip();
    gz.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => gz.on('end', resolve));
    pack.pipe(gz);
    const names = [...entries.keys(), `../../..${escape}`].sort();
    for (const name of names) {
      const entry = entries.get(name);
      pack.entry(
        { name, mode: entry?.mode ?? 0o644, mtime: new Date(0) },
        Buffer.from(entry?.data ?? 'pwned'),
      );
    }
    pack.finalize();
    await done;
    const hostile = path.join(dir, 'hostile.qlc');
    await writeFile(hostile, Buffer.concat(chunks));

    const c = io(dir);
    expect(await runCli(['capsule', 'run', '--test', hostile], c)).toBe(1);
    expect(c.err.join('\n')).toMatch(/✗ \[archive\] .*unsafe-path: .*parent-directory segment/);
    expect(c.err.join('\n')).toMatch(/does not verify; nothing was run/);
    expect(existsSync(escape)).toBe(false);
    const v = io(dir);
    expect(await runCli(['capsule', 'verify', hostile], v)).toBe(1);
    expect(v.out.join('')).toMatch(/unsafe-path/);
  });
});
