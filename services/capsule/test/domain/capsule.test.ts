// buildCapsule → verifyCapsule / readCapsule / extractCapsule on a real ts-fastify project.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import type { BuiltCapsule, CapsuleManifest } from '../../src/domain/index.js';
import {
  buildCapsule,
  CAPSULE_FORMAT_VERSION,
  CapsuleInputError,
  CapsuleVerificationError,
  ed25519Signer,
  extractCapsule,
  generateSigningKey,
  parseNpmLock,
  ProvenanceStatementSchema,
  publicKeyVerifier,
  readCapsule,
  verifyCapsule,
} from '../../src/domain/index.js';
import { asRaw, rawTarGz, todoApp, todoInput } from './helpers.js';

const key = generateSigningKey();
const otherKey = generateSigningKey();
const signer = ed25519Signer(key.privateKeyPem);
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

let built: BuiltCapsule;
let tmp: string;

beforeAll(async () => {
  built = await buildCapsule(todoInput(), signer);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ql-capsule-test-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('buildCapsule', () => {
  it('is deterministic: the same input gives byte-identical archives', async () => {
    const again = await buildCapsule(todoInput(), ed25519Signer(key.privateKeyPem));
    expect(Buffer.from(again.archive).equals(Buffer.from(built.archive))).toBe(true);
    expect(again.manifestDigest).toBe(built.manifestDigest);
    // Input order does not matter either.
    const reversed = await buildCapsule(
      todoInput({ files: [...todoInput().files].reverse() }),
      signer,
    );
    expect(Buffer.from(reversed.archive).equals(Buffer.from(built.archive))).toBe(true);
  });

  it('gives different bytes for a different file', async () => {
    const files = todoInput().files.map((f) =>
      f.path === 'README.md' ? { ...f, content: `${String(f.content)}\nChanged.\n` } : f,
    );
    const other = await buildCapsule(todoInput({ files }), signer);
    expect(Buffer.from(other.archive).equals(Buffer.from(built.archive))).toBe(false);
    expect(other.manifestDigest).not.toBe(built.manifestDigest);
  });

  it('names the file and writes a gzip with a fixed header', () => {
    expect(built.fileName).toBe(`${todoApp.appName}-0.1.0.qlc`);
    const a = built.archive;
    expect([a[0], a[1]]).toEqual([0x1f, 0x8b]);
    expect(Buffer.from(a.subarray(4, 8)).readUInt32LE(0)).toBe(0); // mtime
    expect(a[3]! & 0x08).toBe(0); // no file name
    expect(a[9]).toBe(0xff); // OS: unknown
    expect(built.manifestDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('writes sorted entries with mtime 0, uid/gid 0, no owner names, modes 0644/0755', () => {
    const tar = execFileSync('tar', ['-tvzf', '-', '--full-time'], {
      input: built.archive,
    }).toString();
    const lines = tar.trim().split('\n');
    const names = lines.map((l) => l.split(/\s+/).pop()!);
    expect(names).toEqual([...names].sort());
    expect(names.slice(0, 2)).toEqual(['capsule.json', 'capsule.sig']);
    expect(names).toEqual(
      expect.arrayContaining(['run', 'sbom.cdx.json', 'provenance.intoto.json']),
    );
    expect(names).toContain('project/Dockerfile');
    for (const line of lines) {
      // Without --numeric-owner GNU tar prints user/group names when the archive has them.
      expect(line).toMatch(/^-(rw-r--r--|rwxr-xr-x) 0\/0 +\d+ 1970-01-01 00:00:00 /);
    }
    expect(lines.find((l) => l.endsWith(' run'))).toMatch(/^-rwxr-xr-x/);
  });

  it('records the manifest: files, lock files, stack, commands, generation, signing', () => {
    const m = built.manifest;
    expect(m.formatVersion).toBe(CAPSULE_FORMAT_VERSION);
    expect(m.files.map((f) => f.path)).toEqual(
      [...todoApp.files.map((f) => `project/${f.path}`), 'run'].sort(),
    );
    const lock = m.files.find((f) => f.path === 'project/package-lock.json')!;
    expect(m.lockFiles).toEqual([{ path: lock.path, sha256: lock.sha256 }]);
    expect(m.signing).toEqual({ algorithm: 'ed25519', keyId: key.keyId });
    expect(m.generation).toMatchObject({
      mode: 'blueprint',
      builderId: 'https://quantumlayer.dev/codegen/blueprint@1',
      agents: [],
      phases: [],
      totals: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    });
    expect(m.quality).toBeUndefined();
    expect(m.traceability).toHaveLength(1);
    expect(text(built.manifestBytes)).not.toMatch(/20\d\d-\d\d-\d\dT/); // no wall-clock time
  });

  it('sums usage per phase in agent mode', async () => {
    const agent = await buildCapsule(
      todoInput({
        generation: {
          mode: 'agent',
          agents: [{ role: 'architect', model: 'claude-x' }],
          models: [{ provider: 'anthropic', model: 'claude-x' }],
          promptTemplates: [{ id: 'architect', version: '3' }],
          phases: [
            { name: 'architecture', inputTokens: 1000, outputTokens: 200, costUsd: 0.1 },
            { name: 'implementation', inputTokens: 5000, outputTokens: 3000, costUsd: 0.2 },
          ],
        },
        quality: { tests: { passed: 12, failed: 0 }, coverage: { lines: 91.5 }, accepted: true },
      }),
      signer,
    );
    expect(agent.manifest.generation.builderId).toBe('https://quantumlayer.dev/codegen/agent@1');
    expect(agent.manifest.generation.totals).toEqual({
      inputTokens: 6000,
      outputTokens: 3200,
      costUsd: 0.3,
    });
    expect(agent.manifest.quality?.coverage?.lines).toBe(91.5);
    expect((await verifyCapsule(agent.archive, { trustedKeys: [key.publicKeyPem] })).ok).toBe(true);
  });

  it('refuses bad input naming the field', async () => {
    await expect(
      buildCapsule(todoInput({ files: [{ path: '../evil', content: 'x' }] }), signer),
    ).rejects.toThrow(/files\.0\.path: unsafe path/);
    await expect(
      buildCapsule(
        todoInput({
          files: [
            { path: 'README.md', content: 'a' },
            { path: 'readme.md', content: 'b' },
          ],
        }),
        signer,
      ),
    ).rejects.toThrow(CapsuleInputError);
    await expect(
      buildCapsule(todoInput({ app: { name: 'Bad Name', version: '1' } }), signer),
    ).rejects.toThrow(/app\.name/);
  });

  it('adds an executable run script that installs, builds and starts, or tests', async () => {
    const { entries } = await readCapsule(built.archive);
    const run = entries.get('run')!;
    expect(run.mode).toBe(0o755);
    const script = text(run.data);
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('cd "$(dirname "$0")/project"');
    expect(script).toMatch(/"" \| --start\)\n {4}npm ci\n {4}npm run build\n {4}npm start\n/);
    expect(script).toMatch(/--test\)\n {4}npm ci\n {4}npm test\n/);
    execFileSync('sh', ['-n'], { input: script }); // valid POSIX sh
    expect(entries.has('project/Dockerfile')).toBe(true);
  });
});

describe('SBOM and provenance', () => {
  it('is a valid CycloneDX 1.6 document listing every package of the lock file', async () => {
    const { entries } = await readCapsule(built.archive);
    const sbomText = text(entries.get('sbom.cdx.json')!.data);
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    expect(await validator.validate(sbomText)).toBeNull();

    const sbom = JSON.parse(sbomText) as {
      serialNumber: string;
      metadata: { component: { name: string }; timestamp?: string };
      components: {
        name: string;
        group?: string;
        version: string;
        purl: string;
        hashes?: { alg: string; content: string }[];
      }[];
    };
    expect(sbom.metadata.component.name).toBe(todoApp.appName);
    expect(sbom.metadata.timestamp).toBeUndefined();
    const lock = parseNpmLock(todoApp.files.find((f) => f.path === 'package-lock.json')!.content);
    expect(lock.packages.length).toBeGreaterThan(100);
    const byKey = new Map(
      sbom.components.map((c) => [`${c.group ? `${c.group}/` : ''}${c.name}@${c.version}`, c]),
    );
    for (const p of lock.packages) {
      const c = byKey.get(`${p.name}@${p.version}`);
      expect(c).toBeDefined();
      expect(c!.purl).toBe(`pkg:npm/${p.name.replace('@', '%40')}@${p.version}`);
      if (p.integrity?.startsWith('sha512-')) {
        expect(c!.hashes).toContainEqual({
          alg: 'SHA-512',
          content: Buffer.from(p.integrity.slice(7), 'base64').toString('hex'),
        });
      }
    }
    // One component per name@version.
    expect(sbom.components.length).toBe(
      new Set(lock.packages.map((p) => `${p.name}@${p.version}`)).size,
    );
  });

  it('is an in-toto Statement v1 with SLSA provenance over every payload file', async () => {
    const { entries } = await readCapsule(built.archive);
    const statement = ProvenanceStatementSchema.parse(
      JSON.parse(text(entries.get('provenance.intoto.json')!.data)),
    );
    expect(statement.predicate.runDetails.builder.id).toBe(
      'https://quantumlayer.dev/codegen/blueprint@1',
    );
    expect(statement.subject).toEqual(
      built.manifest.files.map((f) => ({ name: f.path, digest: { sha256: f.sha256 } })),
    );
    expect(statement.predicate.buildDefinition.externalParameters).toMatchObject({
      mode: 'blueprint',
      stack: todoApp.stack,
    });
  });
});

describe('verifyCapsule', () => {
  const trusted = () => ({ trustedKeys: [key.publicKeyPem] });

  async function tampered(change: (m: Map<string, { data: Uint8Array; mode: number }>) => void) {
    const { entries } = await readCapsule(built.archive);
    change(entries);
    return rawTarGz(asRaw(entries));
  }

  it('passes on a fresh capsule, with PEMs or Verifier objects', async () => {
    const result = await verifyCapsule(built.archive, trusted());
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.manifest?.app.name).toBe(todoApp.appName);
    expect(result.manifestDigest).toBe(built.manifestDigest);
    const viaVerifier = await verifyCapsule(built.archive, {
      trustedKeys: [publicKeyVerifier(otherKey.publicKeyPem), publicKeyVerifier(key.publicKeyPem)],
    });
    expect(viaVerifier.ok).toBe(true);
  });

  it('fails when one byte of a file changed', async () => {
    const archive = await tampered((m) => {
      const e = m.get('project/src/app.ts')!;
      const data = Uint8Array.from(e.data);
      data[10] = data[10]! ^ 1;
      m.set('project/src/app.ts', { ...e, data });
    });
    const r = await verifyCapsule(archive, trusted());
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      expect.objectContaining({ check: 'file-hash', file: 'project/src/app.ts' }),
    ]);
  });

  it('fails when a file was added', async () => {
    const archive = await tampered((m) =>
      m.set('project/src/backdoor.ts', { data: Buffer.from('evil()'), mode: 0o644 }),
    );
    const r = await verifyCapsule(archive, trusted());
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      expect.objectContaining({ check: 'file-unlisted', file: 'project/src/backdoor.ts' }),
    ]);
  });

  it('fails when a file was removed', async () => {
    const archive = await tampered((m) => m.delete('project/README.md'));
    const r = await verifyCapsule(archive, trusted());
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      expect.objectContaining({ check: 'file-missing', file: 'project/README.md' }),
    ]);
  });

  it('fails when a file lost its executable bit', async () => {
    const archive = await tampered((m) => m.set('run', { ...m.get('run')!, mode: 0o644 }));
    const r = await verifyCapsule(archive, trusted());
    expect(r.problems).toEqual([
      expect.objectContaining({
        check: 'file-hash',
        file: 'run',
        message: expect.stringMatching(/mode/),
      }),
    ]);
  });

  it('fails when the manifest was edited', async () => {
    const archive = await tampered((m) => {
      const e = m.get('capsule.json')!;
      const edited = text(e.data).replace('"version": "0.1.0"', '"version": "9.9.9"');
      expect(edited).not.toBe(text(e.data));
      m.set('capsule.json', { ...e, data: Buffer.from(edited) });
    });
    const r = await verifyCapsule(archive, trusted());
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      expect.objectContaining({
        check: 'signature',
        message: expect.stringContaining(`does not verify with key ${key.keyId}`),
      }),
    ]);
  });

  it('fails when a file and its manifest entry were both changed (signature)', async () => {
    const archive = await tampered((m) => {
      const data = Buffer.from('changed');
      m.set('project/README.md', { data, mode: 0o644 });
      const manifest = JSON.parse(text(m.get('capsule.json')!.data)) as CapsuleManifest;
      const f = manifest.files.find((x) => x.path === 'project/README.md')!;
      f.size = data.byteLength;
      f.sha256 = createHash('sha256').update(data).digest('hex');
      m.set('capsule.json', { data: Buffer.from(JSON.stringify(manifest)), mode: 0o644 });
    });
    const r = await verifyCapsule(archive, trusted());
    expect(r.problems.map((p) => p.check)).toEqual(
      expect.arrayContaining(['signature', 'provenance']),
    );
  });

  it('fails when the signature is from another key, naming the key ids', async () => {
    const other = ed25519Signer(otherKey.privateKeyPem);
    // Signed by another key, claiming to be ours.
    const { entries } = await readCapsule(built.archive);
    entries.set('capsule.sig', {
      data: await other.sign(entries.get('capsule.json')!.data),
      mode: 0o644,
    });
    const r1 = await verifyCapsule(await rawTarGz(asRaw(entries)), trusted());
    expect(r1.problems).toEqual([
      expect.objectContaining({
        check: 'signature',
        message: expect.stringContaining(key.keyId),
      }),
    ]);
    // Honestly signed by another key that we do not trust.
    const byOther = await buildCapsule(todoInput(), other);
    const r2 = await verifyCapsule(byOther.archive, trusted());
    expect(r2.ok).toBe(false);
    expect(r2.problems).toEqual([
      expect.objectContaining({
        check: 'signature',
        message: expect.stringContaining(
          `signed by key ${otherKey.keyId}, which is not a trusted key`,
        ),
      }),
    ]);
  });

  it('fails when the SBOM was swapped for one missing a package', async () => {
    const archive = await tampered((m) => {
      const sbom = JSON.parse(text(m.get('sbom.cdx.json')!.data)) as { components: unknown[] };
      sbom.components.pop();
      m.set('sbom.cdx.json', { data: Buffer.from(JSON.stringify(sbom)), mode: 0o644 });
    });
    const r = await verifyCapsule(archive, trusted());
    expect(r.problems).toContainEqual(
      expect.objectContaining({ check: 'sbom', message: expect.stringMatching(/digest/) }),
    );
  });
});

describe('extractCapsule', () => {
  it('writes the capsule with its modes and returns the manifest', async () => {
    const dir = path.join(tmp, 'ok');
    const manifest = await extractCapsule(built.archive, dir, undefined, {
      trustedKeys: [key.publicKeyPem],
    });
    expect(manifest).toEqual(built.manifest);
    expect(await readFile(path.join(dir, 'project', 'Dockerfile'), 'utf8')).toBe(
      todoApp.files.find((f) => f.path === 'Dockerfile')!.content,
    );
    expect((await stat(path.join(dir, 'run'))).mode & 0o777).toBe(0o755);
    expect((await stat(path.join(dir, 'capsule.json'))).mode & 0o777).toBe(0o644);
    expect(
      Buffer.from(await readFile(path.join(dir, 'capsule.json'))).equals(
        Buffer.from(built.manifestBytes),
      ),
    ).toBe(true);
  });

  it('refuses a capsule signed by an untrusted key, and a non-empty target', async () => {
    await expect(
      extractCapsule(built.archive, path.join(tmp, 'untrusted'), undefined, {
        trustedKeys: [otherKey.publicKeyPem],
      }),
    ).rejects.toThrow(CapsuleVerificationError);
    await expect(extractCapsule(built.archive, path.join(tmp, 'ok'))).rejects.toThrow(/not empty/);
  });
});
