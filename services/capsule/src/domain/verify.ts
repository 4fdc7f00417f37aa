// verifyCapsule: everything a reader needs to trust a capsule, reported as a list of problems
// rather than the first failure, so a user sees all that is wrong at once.
import type { Limits } from './archive.js';
import { sha256Hex } from './digest.js';
import { CapsuleFormatError } from './errors.js';
import type { VerificationProblem } from './errors.js';
import { LockfileParseError, NPM_LOCK_FILES, parseNpmLock } from './lockfile.js';
import type { CapsuleManifest } from './manifest.js';
import { MANIFEST_PATH, PROJECT_DIR, SIGNATURE_PATH } from './paths.js';
import { ProvenanceStatementSchema } from './provenance.js';
import { readCapsule } from './read.js';
import type { ReadCapsule } from './read.js';
import { publicKeyVerifier } from './signing.js';
import type { Verifier } from './signing.js';

/** Public keys trusted to sign capsules: Verifier objects or Ed25519 SPKI PEM strings. */
export type TrustedKeys = readonly Verifier[] | readonly string[];

export interface VerifyOptions {
  trustedKeys: TrustedKeys;
  limits?: Partial<Limits>;
}

export interface VerifyResult {
  ok: boolean;
  problems: VerificationProblem[];
  /** Present when the manifest could be read (even if other checks failed). */
  manifest?: CapsuleManifest;
  /** "sha256:<hex>" of the bytes of capsule.json, when it could be read. */
  manifestDigest?: string;
}

/** Most problems reported per kind of check, so a hostile archive cannot flood the report. */
const MAX_PROBLEMS_PER_CHECK = 50;

const FORMAT_CODES_OF_MANIFEST = new Set([
  'missing-manifest',
  'invalid-manifest',
  'unsupported-version',
]);

export function toVerifiers(keys: TrustedKeys): Verifier[] {
  return keys.map((k) => (typeof k === 'string' ? publicKeyVerifier(k) : k));
}

/** A readCapsule refusal as a verification problem. */
export function formatProblem(err: CapsuleFormatError): VerificationProblem {
  return {
    check: FORMAT_CODES_OF_MANIFEST.has(err.code) ? 'manifest' : 'archive',
    ...(err.entry !== undefined ? { file: err.entry } : {}),
    message: err.message,
  };
}

export async function checkSignature(
  capsule: ReadCapsule,
  verifiers: readonly Verifier[],
): Promise<VerificationProblem[]> {
  const { keyId, algorithm } = capsule.manifest.signing;
  const candidates = verifiers.filter((v) => v.keyId === keyId && v.algorithm === algorithm);
  if (candidates.length === 0) {
    const known = verifiers.map((v) => v.keyId).join(', ') || 'none';
    return [
      {
        check: 'signature',
        file: SIGNATURE_PATH,
        message: `signed by key ${keyId}, which is not a trusted key (trusted: ${known})`,
      },
    ];
  }
  for (const v of candidates) {
    if (await v.verify(capsule.manifestBytes, capsule.signature)) return [];
  }
  return [
    {
      check: 'signature',
      file: SIGNATURE_PATH,
      message: `the signature of ${MANIFEST_PATH} does not verify with key ${keyId}`,
    },
  ];
}

/** Hashes, listed/unlisted files, lock-file references, SBOM and provenance (not the signature). */
export function checkContents(capsule: ReadCapsule): VerificationProblem[] {
  const { manifest, entries } = capsule;
  const problems: VerificationProblem[] = [];
  const counts = new Map<string, number>();
  const report = (p: VerificationProblem) => {
    const n = (counts.get(p.check) ?? 0) + 1;
    counts.set(p.check, n);
    if (n <= MAX_PROBLEMS_PER_CHECK) problems.push(p);
    else if (n === MAX_PROBLEMS_PER_CHECK + 1) {
      problems.push({ check: p.check, message: `further ${p.check} problems not listed` });
    }
  };

  // Every listed file is there, with its size, digest and mode.
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  for (const f of manifest.files) {
    const entry = entries.get(f.path);
    if (entry === undefined) {
      report({ check: 'file-missing', file: f.path, message: 'listed in the manifest, absent' });
      continue;
    }
    const digest = sha256Hex(entry.data);
    if (entry.data.byteLength !== f.size || digest !== f.sha256) {
      report({
        check: 'file-hash',
        file: f.path,
        message: `content differs from the manifest (sha256 ${digest}, ${entry.data.byteLength} bytes; manifest: ${f.sha256}, ${f.size} bytes)`,
      });
    } else if (((entry.mode & 0o111) !== 0) !== f.executable) {
      report({
        check: 'file-hash',
        file: f.path,
        message: `mode ${entry.mode.toString(8)} differs from the manifest (${f.executable ? 'executable' : 'not executable'})`,
      });
    }
  }
  // Nothing is there that the manifest does not list.
  const structural = new Set([
    MANIFEST_PATH,
    SIGNATURE_PATH,
    manifest.sbom.path,
    manifest.provenance.path,
  ]);
  for (const name of entries.keys()) {
    if (!listed.has(name) && !structural.has(name)) {
      report({
        check: 'file-unlisted',
        file: name,
        message: 'present, not listed in the manifest',
      });
    }
  }
  for (const ref of manifest.lockFiles) {
    const f = listed.get(ref.path);
    if (f === undefined || f.sha256 !== ref.sha256) {
      report({
        check: 'manifest',
        file: ref.path,
        message:
          f === undefined
            ? 'lock file reference names a file the manifest does not list'
            : 'lock file reference digest differs from the file',
      });
    }
  }

  for (const p of checkSbom(capsule)) report(p);
  for (const p of checkProvenance(capsule)) report(p);
  return problems;
}

function checkSbom(capsule: ReadCapsule): VerificationProblem[] {
  const { manifest, entries } = capsule;
  const path = manifest.sbom.path;
  const entry = entries.get(path);
  if (entry === undefined) return [{ check: 'sbom', file: path, message: 'SBOM is absent' }];
  if (sha256Hex(entry.data) !== manifest.sbom.sha256) {
    return [{ check: 'sbom', file: path, message: 'SBOM digest differs from the manifest' }];
  }
  let sbom: { bomFormat?: unknown; specVersion?: unknown; components?: unknown };
  try {
    sbom = JSON.parse(Buffer.from(entry.data).toString('utf8')) as typeof sbom;
  } catch {
    return [{ check: 'sbom', file: path, message: 'SBOM is not JSON' }];
  }
  if (sbom.bomFormat !== 'CycloneDX' || sbom.specVersion !== manifest.sbom.specVersion) {
    return [
      { check: 'sbom', file: path, message: `not a CycloneDX ${manifest.sbom.specVersion} BOM` },
    ];
  }
  const versions = new Map<string, Set<string>>();
  for (const c of Array.isArray(sbom.components) ? (sbom.components as unknown[]) : []) {
    if (typeof c !== 'object' || c === null) continue;
    const { name, group, version } = c as { name?: unknown; group?: unknown; version?: unknown };
    if (typeof name !== 'string' || typeof version !== 'string') continue;
    const full = typeof group === 'string' && group !== '' ? `${group}/${name}` : name;
    const set = versions.get(full) ?? new Set<string>();
    set.add(version);
    versions.set(full, set);
  }

  const lockPath = NPM_LOCK_FILES.map((n) => `${PROJECT_DIR}/${n}`).find((p) => entries.has(p));
  if (lockPath === undefined) return [];
  let packages;
  try {
    packages = parseNpmLock(Buffer.from(entries.get(lockPath)!.data).toString('utf8')).packages;
  } catch (err) {
    if (!(err instanceof LockfileParseError)) throw err;
    return [{ check: 'sbom', file: lockPath, message: `lock file unreadable: ${err.message}` }];
  }
  const problems: VerificationProblem[] = [];
  for (const p of packages) {
    const found = versions.get(p.name);
    if (found === undefined) {
      problems.push({
        check: 'sbom',
        file: path,
        message: `${p.name}@${p.version} (${p.path} in ${lockPath}) is missing from the SBOM`,
      });
    } else if (!found.has(p.version)) {
      problems.push({
        check: 'sbom',
        file: path,
        message: `${p.name} is ${[...found].join(', ')} in the SBOM but ${p.version} in ${lockPath} (${p.path})`,
      });
    }
  }
  return problems;
}

function checkProvenance(capsule: ReadCapsule): VerificationProblem[] {
  const { manifest, entries } = capsule;
  const path = manifest.provenance.path;
  const entry = entries.get(path);
  if (entry === undefined) {
    return [{ check: 'provenance', file: path, message: 'provenance is absent' }];
  }
  if (sha256Hex(entry.data) !== manifest.provenance.sha256) {
    return [
      { check: 'provenance', file: path, message: 'provenance digest differs from the manifest' },
    ];
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(entry.data).toString('utf8'));
  } catch {
    return [{ check: 'provenance', file: path, message: 'provenance is not JSON' }];
  }
  const parsed = ProvenanceStatementSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return [
      {
        check: 'provenance',
        file: path,
        message: `not an in-toto Statement v1 with SLSA provenance v1: ${issue?.path.join('.')}: ${issue?.message}`,
      },
    ];
  }
  const problems: VerificationProblem[] = [];
  const subjects = new Map(parsed.data.subject.map((s) => [s.name, s.digest.sha256]));
  for (const f of manifest.files) {
    const digest = subjects.get(f.path);
    if (digest !== f.sha256) {
      problems.push({
        check: 'provenance',
        file: f.path,
        message:
          digest === undefined
            ? 'not a subject of the provenance'
            : 'provenance subject digest differs from the manifest',
      });
    }
  }
  const listed = new Set(manifest.files.map((f) => f.path));
  for (const name of subjects.keys()) {
    if (!listed.has(name)) {
      problems.push({
        check: 'provenance',
        file: name,
        message: 'provenance subject is not a file of the manifest',
      });
    }
  }
  return problems;
}

/**
 * Verifies a capsule: a safe, well-formed archive; the manifest signed by one of `trustedKeys`;
 * every listed file present with its digest, size and mode, and nothing unlisted; the SBOM listing
 * every package of the lock file at its version; the provenance subjects matching the files.
 */
export async function verifyCapsule(
  archive: Uint8Array,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const verifiers = toVerifiers(options.trustedKeys);
  let capsule: ReadCapsule;
  try {
    capsule = await readCapsule(archive, options.limits);
  } catch (err) {
    if (err instanceof CapsuleFormatError) return { ok: false, problems: [formatProblem(err)] };
    throw err;
  }
  const problems = [...(await checkSignature(capsule, verifiers)), ...checkContents(capsule)];
  return {
    ok: problems.length === 0,
    problems,
    manifest: capsule.manifest,
    manifestDigest: `sha256:${sha256Hex(capsule.manifestBytes)}`,
  };
}
