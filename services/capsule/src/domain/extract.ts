// extractCapsule: the only function of the format that writes to disk. Everything is checked in
// memory first (the archive's safety, and its integrity as in verifyCapsule); only a capsule
// that passes is written, into an empty directory, each path re-checked against it.
import { chmod, mkdir, readdir, realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Limits } from './archive.js';
import { CapsuleFormatError, CapsuleVerificationError } from './errors.js';
import type { CapsuleManifest } from './manifest.js';
import { unsafePathReason } from './paths.js';
import { readCapsule } from './read.js';
import type { ReadCapsule } from './read.js';
import type { TrustedKeys } from './verify.js';
import { checkContents, checkSignature, formatProblem, toVerifiers } from './verify.js';

export interface ExtractOptions {
  /** When given, the manifest signature must verify with one of them, as in verifyCapsule. */
  trustedKeys?: TrustedKeys;
}

function inside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Extracts a capsule into `targetDir` (created if needed; must be empty) and returns its
 * manifest. Refuses, before writing anything, an archive readCapsule refuses or one that does not
 * verify (hashes, listed and unlisted files, SBOM, provenance; the signature too when
 * `options.trustedKeys` is given). Files get mode 0755 (executable) or 0644.
 */
export async function extractCapsule(
  archive: Uint8Array,
  targetDir: string,
  limits?: Partial<Limits>,
  options: ExtractOptions = {},
): Promise<CapsuleManifest> {
  let capsule: ReadCapsule;
  try {
    capsule = await readCapsule(archive, limits);
  } catch (err) {
    if (err instanceof CapsuleFormatError) throw new CapsuleVerificationError([formatProblem(err)]);
    throw err;
  }
  const problems = [
    ...(options.trustedKeys ? await checkSignature(capsule, toVerifiers(options.trustedKeys)) : []),
    ...checkContents(capsule),
  ];
  if (problems.length > 0) throw new CapsuleVerificationError(problems);

  await mkdir(targetDir, { recursive: true });
  // The real path, so a symlinked target (e.g. /tmp on macOS) compares correctly below.
  const root = await realpath(targetDir);
  if ((await readdir(root)).length > 0) {
    throw new Error(`extract target ${targetDir} is not empty`);
  }
  for (const [name, entry] of capsule.entries) {
    // readCapsule has refused unsafe names already; checked again because writing is where it
    // would matter.
    const reason = unsafePathReason(name);
    const target = path.resolve(root, ...name.split('/'));
    if (reason !== undefined || !inside(root, target)) {
      throw new CapsuleFormatError('unsafe-path', reason ?? 'resolves outside the target', name);
    }
    const dir = path.dirname(target);
    await mkdir(dir, { recursive: true });
    const realDir = await realpath(dir);
    if (realDir !== root && !inside(root, realDir)) {
      throw new CapsuleFormatError(
        'unsafe-path',
        'its directory resolves outside the target',
        name,
      );
    }
    const mode = (entry.mode & 0o111) !== 0 ? 0o755 : 0o644;
    // "wx": never follow or replace something already there.
    await writeFile(path.join(realDir, path.basename(target)), entry.data, { flag: 'wx', mode });
    await chmod(path.join(realDir, path.basename(target)), mode);
  }
  return capsule.manifest;
}
