// buildCapsule: project files and generation facts in, one signed, reproducible archive out.
import { writeTarGz } from './archive.js';
import type { ArchiveEntry } from './archive.js';
import { sha256Hex, utf8 } from './digest.js';
import { CapsuleInputError } from './errors.js';
import { LockfileParseError, LOCK_FILE_NAMES, NPM_LOCK_FILES, parseNpmLock } from './lockfile.js';
import type { NpmLock } from './lockfile.js';
import type { CapsuleInput, CapsuleManifest } from './manifest.js';
import {
  CAPSULE_FILE_EXTENSION,
  CAPSULE_FORMAT_VERSION,
  CapsuleInputSchema,
  CapsuleManifestSchema,
  CYCLONEDX_SPEC_VERSION,
  DEFAULT_BUILDER_IDS,
  SLSA_PROVENANCE_PREDICATE_TYPE,
} from './manifest.js';
import {
  MANIFEST_PATH,
  PROJECT_DIR,
  PROVENANCE_PATH,
  RUN_SCRIPT_PATH,
  SBOM_PATH,
  SIGNATURE_PATH,
} from './paths.js';
import { buildProvenance } from './provenance.js';
import { runScript } from './run-script.js';
import { buildSbom } from './sbom.js';
import type { Signer } from './signing.js';

/** Name and version of this builder, recorded in the SBOM's tools and the provenance. */
export const CAPSULE_BUILDER = { name: 'quantumlayer-capsule', version: '0.1.0' } as const;

export interface BuiltCapsule {
  /** The .qlc file: gzip'd tar. */
  archive: Uint8Array;
  manifest: CapsuleManifest;
  /** Exactly the bytes of capsule.json inside the archive (what the signature covers). */
  manifestBytes: Uint8Array;
  /** "sha256:<hex>" of manifestBytes: the capsule's identity. */
  manifestDigest: string;
  /** "<app>-<version>.qlc" */
  fileName: string;
  /** Exactly the bytes of sbom.cdx.json inside the archive. */
  sbom: Uint8Array;
}

function roundUsd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * Builds the capsule of `input`, signed by `signer`. Deterministic: the same input (and signer
 * key) gives a byte-identical archive, because nothing in it depends on time, host or order.
 */
export async function buildCapsule(input: CapsuleInput, signer: Signer): Promise<BuiltCapsule> {
  const parsed = CapsuleInputSchema.safeParse(input);
  if (!parsed.success) {
    throw new CapsuleInputError(
      'invalid capsule input',
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  const spec = parsed.data;
  if (signer.algorithm !== 'ed25519' || !/^[0-9a-f]{16}$/.test(signer.keyId)) {
    throw new CapsuleInputError(
      `signer must be ed25519 with a 16-hex keyId (got ${signer.algorithm} "${signer.keyId}")`,
    );
  }

  // Payload: the project under project/, and the launcher at the root.
  const payload: ArchiveEntry[] = spec.files.map((f) => ({
    name: `${PROJECT_DIR}/${f.path}`,
    data: typeof f.content === 'string' ? utf8(f.content) : f.content,
    mode: f.executable ? 0o755 : 0o644,
  }));
  payload.push({
    name: RUN_SCRIPT_PATH,
    data: utf8(runScript(spec.app, spec.commands)),
    mode: 0o755,
  });
  payload.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const files = payload.map((e) => ({
    path: e.name,
    size: e.data.byteLength,
    sha256: sha256Hex(e.data),
    executable: e.mode === 0o755,
  }));
  const lockFiles = files
    .filter((f) => f.path.startsWith(`${PROJECT_DIR}/`))
    .filter((f) => !f.path.split('/').includes('node_modules'))
    .filter((f) => LOCK_FILE_NAMES.has(f.path.slice(f.path.lastIndexOf('/') + 1)))
    .map((f) => ({ path: f.path, sha256: f.sha256 }));

  // SBOM from the npm lock file at the project root, if there is one.
  const npmLockPath = NPM_LOCK_FILES.map((n) => `${PROJECT_DIR}/${n}`).find((p) =>
    payload.some((e) => e.name === p),
  );
  let lock: NpmLock | undefined;
  let lockSha256: string | undefined;
  if (npmLockPath !== undefined) {
    const entry = payload.find((e) => e.name === npmLockPath)!;
    try {
      lock = parseNpmLock(Buffer.from(entry.data).toString('utf8'));
    } catch (err) {
      if (err instanceof LockfileParseError) {
        throw new CapsuleInputError(`${npmLockPath.slice(PROJECT_DIR.length + 1)}: ${err.message}`);
      }
      throw err;
    }
    lockSha256 = sha256Hex(entry.data);
  }
  const sbom = utf8(
    buildSbom({
      app: spec.app,
      ...(lock ? { lock } : {}),
      ...(lockSha256 ? { lockSha256 } : {}),
      tool: CAPSULE_BUILDER,
    }),
  );

  const generation = spec.generation;
  const builderId = generation.builderId ?? DEFAULT_BUILDER_IDS[generation.mode];
  const totals = {
    inputTokens: generation.phases.reduce((n, p) => n + p.inputTokens, 0),
    outputTokens: generation.phases.reduce((n, p) => n + p.outputTokens, 0),
    costUsd: roundUsd(generation.phases.reduce((n, p) => n + p.costUsd, 0)),
  };

  const provenance = utf8(
    buildProvenance({
      subjects: files.map((f) => ({ name: f.path, sha256: f.sha256 })),
      builderId,
      builderVersion: { [CAPSULE_BUILDER.name]: CAPSULE_BUILDER.version },
      externalParameters: {
        app: spec.app,
        stack: spec.stack,
        commands: spec.commands,
        mode: generation.mode,
        ...(generation.generator ? { generator: generation.generator } : {}),
        parameters: generation.parameters,
      },
      internalParameters: {
        agents: generation.agents,
        models: generation.models,
        phases: generation.phases,
        totals,
      },
      resolvedDependencies: [
        ...(generation.requirementsSha256
          ? [{ name: 'requirements', digest: { sha256: generation.requirementsSha256 } }]
          : []),
        ...(generation.generator
          ? [
              {
                uri: `quantumlayer:generator/${generation.generator.name}@${generation.generator.version}`,
              },
            ]
          : []),
        ...generation.promptTemplates.map((t) => ({
          uri: `quantumlayer:prompt/${t.id}@${t.version}`,
          ...(t.sha256 ? { digest: { sha256: t.sha256 } } : {}),
        })),
      ],
      ...(generation.generationId ? { invocationId: generation.generationId } : {}),
    }),
  );

  const manifest: CapsuleManifest = CapsuleManifestSchema.parse({
    formatVersion: CAPSULE_FORMAT_VERSION,
    app: spec.app,
    stack: spec.stack,
    commands: spec.commands,
    entrypoint: RUN_SCRIPT_PATH,
    projectDir: PROJECT_DIR,
    files,
    lockFiles,
    generation: { ...generation, builderId, totals },
    ...(spec.quality ? { quality: spec.quality } : {}),
    traceability: spec.traceability ?? [],
    ...(spec.createdBy ? { createdBy: spec.createdBy } : {}),
    signing: { algorithm: 'ed25519', keyId: signer.keyId },
    sbom: {
      path: SBOM_PATH,
      sha256: sha256Hex(sbom),
      format: 'CycloneDX',
      specVersion: CYCLONEDX_SPEC_VERSION,
    },
    provenance: {
      path: PROVENANCE_PATH,
      sha256: sha256Hex(provenance),
      predicateType: SLSA_PROVENANCE_PREDICATE_TYPE,
    },
  });
  const manifestBytes = utf8(`${JSON.stringify(manifest, null, 2)}\n`);
  const signature = await signer.sign(manifestBytes);

  const archive = await writeTarGz([
    ...payload,
    { name: MANIFEST_PATH, data: manifestBytes, mode: 0o644 },
    { name: SIGNATURE_PATH, data: signature, mode: 0o644 },
    { name: SBOM_PATH, data: sbom, mode: 0o644 },
    { name: PROVENANCE_PATH, data: provenance, mode: 0o644 },
  ]);
  return {
    archive,
    manifest,
    manifestBytes,
    manifestDigest: `sha256:${sha256Hex(manifestBytes)}`,
    fileName: `${spec.app.name}-${spec.app.version}${CAPSULE_FILE_EXTENSION}`,
    sbom,
  };
}
