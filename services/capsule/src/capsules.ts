// The capsule service's operations over the blob store and its table: what the gRPC handlers and
// the CodeValidated handler both call. The format itself is src/domain (pure).
import type { BlobStore, Database } from '@quantumlayer/kit';
import { BlobNotFoundError, TenantIdSchema } from '@quantumlayer/kit';
import { z } from 'zod';
import {
  buildCapsule,
  CAPSULE_MEDIA_TYPE,
  verifyCapsule,
  type CapsuleInput,
  type Signer,
  type Verifier,
  type VerifyResult,
} from './domain/index.js';
import { getCapsule, saveCapsule, type CapsuleRecord } from './store/capsules.js';

export const MANIFEST_MEDIA_TYPE = 'application/vnd.quantumlayer.capsule-manifest+json';
export const SBOM_MEDIA_TYPE = 'application/vnd.cyclonedx+json';
/** Archives handed to Verify directly are bounded (a stored one was bounded when it was built). */
export const MAX_VERIFY_BYTES = 64 * 1024 * 1024;

/** Bad input: the message names the field and the rule. */
export class CapsuleRequestError extends Error {
  override readonly name = 'CapsuleRequestError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** Something the request refers to does not exist for this tenant. */
export class CapsuleNotFoundError extends Error {
  override readonly name = 'CapsuleNotFoundError';
}

// The artifacts capsule reads, parsed as far as it needs them (their full schemas belong to
// codegen; a capsule must not fail on a field it does not use).
const FileSetDoc = z.object({
  schemaVersion: z.literal(1),
  files: z
    .array(
      z.object({
        path: z.string().min(1),
        blob: z.object({ key: z.string() }),
        executable: z.boolean().default(false),
        provenance: z
          .object({
            by: z.string(),
            generator: z.string().optional(),
            model: z.string().optional(),
          })
          .optional(),
      }),
    )
    .min(1),
});
const RequirementsDoc = z.object({
  appName: z.string(),
  acceptanceCriteria: z.array(z.object({ id: z.string(), title: z.string() })).default([]),
});
const ReportDoc = z.object({
  status: z.enum(['passed', 'failed', 'incomplete']),
  summary: z.object({
    text: z.string(),
    bySeverity: z.object({
      info: z.number(),
      low: z.number(),
      medium: z.number(),
      high: z.number(),
      critical: z.number(),
    }),
  }),
});
const PackageJson = z.object({
  name: z.string().optional(),
  version: z.string().optional(),
  scripts: z.record(z.string(), z.string()).default({}),
});

const BLOB_KEY = /^sha256:[0-9a-f]{64}$/;
const decoder = new TextDecoder('utf-8', { fatal: false });

export interface BuildInput {
  generationId: string;
  fileSetKey: string;
  requirementsKey?: string | undefined;
  reportKey?: string | undefined;
  stack?:
    | {
        templateId: string;
        language: string;
        framework: string;
        database: string;
        packageManager: string;
      }
    | undefined;
  mode: 'agent' | 'blueprint';
  contributions?: { role: string; model: string; provider: string }[];
}

export interface CapsulesOptions {
  db: Database;
  blobs: BlobStore;
  signer: Signer;
  /** Keys Verify trusts: the service's own public key first. */
  trusted: Verifier[];
  defaultAppVersion: string;
}

export class Capsules {
  constructor(private readonly o: CapsulesOptions) {}

  tenant(tenantId: string): string {
    const r = TenantIdSchema.safeParse(tenantId);
    if (!r.success) throw new CapsuleRequestError('tenant_id', r.error.issues[0]!.message);
    return r.data;
  }

  /** Packages and records a capsule (the gRPC Build). Same inputs → same capsule and row. */
  async build(
    tenantId: string,
    input: BuildInput,
  ): Promise<{ record: CapsuleRecord; created: boolean }> {
    const row = await this.package(tenantId, input);
    return this.o.db.transaction((tx) => saveCapsule(tx, row));
  }

  /**
   * Packages a validated file set: reads it from the blob store, builds the signed archive and
   * stores the archive, its manifest and SBOM as blobs. Returns the row to record (the caller
   * saves it with `saveCapsule` in its own transaction, e.g. with the inbox entry and the event).
   */
  async package(tenantId: string, input: BuildInput): Promise<Omit<CapsuleRecord, 'createdAt'>> {
    const fileSet = FileSetDoc.safeParse(await this.json(tenantId, input.fileSetKey, 'file_set'));
    if (!fileSet.success) {
      const i = fileSet.error.issues[0]!;
      throw new CapsuleRequestError(['file_set', ...i.path.map(String)].join('.'), i.message);
    }
    const files = await Promise.all(
      fileSet.data.files.map(async (f) => ({
        path: f.path,
        content: await this.bytes(tenantId, f.blob.key, `file_set.files["${f.path}"]`),
        executable: f.executable,
      })),
    );
    const requirements = input.requirementsKey
      ? RequirementsDoc.parse(await this.json(tenantId, input.requirementsKey, 'requirements'))
      : undefined;
    const report = input.reportKey
      ? ReportDoc.parse(await this.json(tenantId, input.reportKey, 'validation_report'))
      : undefined;
    const pkgFile = files.find((f) => f.path === 'package.json');
    const pkg = pkgFile
      ? PackageJson.safeParse(JSON.parse(decoder.decode(pkgFile.content)))
      : undefined;
    const scripts = pkg?.success ? pkg.data.scripts : {};
    const appName = requirements?.appName ?? (pkg?.success ? pkg.data.name : undefined);
    if (!appName)
      throw new CapsuleRequestError(
        'requirements',
        'is required when the project has no package.json name',
      );
    const generator = fileSet.data.files.find((f) => f.provenance?.by === 'generator')?.provenance
      ?.generator;
    const [generatorName, generatorVersion] = (generator ?? '').split('@');

    const capsuleInput: CapsuleInput = {
      files,
      app: {
        name: appName,
        version: (pkg?.success && pkg.data.version) || this.o.defaultAppVersion,
      },
      stack: input.stack ?? {
        templateId: generatorName || 'unknown',
        language: 'unknown',
        framework: 'unknown',
        database: 'unknown',
        packageManager: pkgFile ? 'npm' : 'unknown',
      },
      commands: {
        install: files.some((f) => f.path === 'package-lock.json') ? 'npm ci' : 'npm install',
        build: scripts['build'] ? 'npm run build' : 'true',
        test: scripts['test'] ? 'npm test' : 'true',
        run: scripts['start'] ? 'npm start' : 'node .',
      },
      generation: {
        mode: input.mode,
        ...(input.generationId ? { generationId: input.generationId } : {}),
        ...(generatorName
          ? { generator: { name: generatorName, version: generatorVersion || '0' } }
          : {}),
        ...(input.requirementsKey
          ? { requirementsSha256: input.requirementsKey.slice('sha256:'.length) }
          : {}),
        agents: (input.contributions ?? []).map((c) => ({
          role: c.role,
          ...(c.model ? { model: c.model } : {}),
        })),
        models: (input.contributions ?? [])
          .filter((c) => c.model)
          .map((c) => ({ provider: c.provider || 'unknown', model: c.model })),
      },
      ...(report
        ? {
            quality: {
              validation: {
                passed: report.status !== 'failed',
                errors: report.summary.bySeverity.high + report.summary.bySeverity.critical,
                warnings: report.summary.bySeverity.medium + report.summary.bySeverity.low,
                summary: report.summary.text,
              },
            },
          }
        : {}),
      ...(requirements
        ? { traceability: traceability(requirements.acceptanceCriteria, files) }
        : {}),
    };
    const built = await buildCapsule(capsuleInput, this.o.signer);
    const [archiveRef, manifestRef, sbomRef] = await Promise.all([
      this.o.blobs.put(tenantId, built.archive, { mediaType: CAPSULE_MEDIA_TYPE }),
      this.o.blobs.put(tenantId, built.manifestBytes, { mediaType: MANIFEST_MEDIA_TYPE }),
      this.o.blobs.put(tenantId, built.sbom, { mediaType: SBOM_MEDIA_TYPE }),
    ]);
    return {
      tenantId,
      capsuleId: archiveRef.key,
      generationId: input.generationId,
      appName: built.manifest.app.name,
      appVersion: built.manifest.app.version,
      fileName: built.fileName,
      archiveKey: archiveRef.key,
      archiveSize: archiveRef.size,
      manifestDigest: built.manifestDigest,
      manifestKey: manifestRef.key,
      manifestSize: manifestRef.size,
      sbomKey: sbomRef.key,
      sbomSize: sbomRef.size,
      signingKeyId: this.o.signer.keyId,
      fileCount: files.length,
    };
  }

  async get(
    tenantId: string,
    capsuleId: string,
  ): Promise<{ record: CapsuleRecord; manifest: Uint8Array }> {
    if (!BLOB_KEY.test(capsuleId))
      throw new CapsuleRequestError('capsule_id', 'must be "sha256:" and 64 lower-case hex digits');
    const record = await getCapsule(this.o.db, tenantId, capsuleId);
    if (!record) throw new CapsuleNotFoundError(`capsule ${capsuleId} not found`);
    return { record, manifest: await this.bytes(tenantId, record.manifestKey, 'manifest') };
  }

  /** Verifies a stored capsule (by id) or archive bytes against the trusted keys. */
  async verify(
    tenantId: string,
    source: { capsuleId: string } | { archive: Uint8Array },
  ): Promise<VerifyResult> {
    let archive: Uint8Array;
    if ('capsuleId' in source) {
      const { record } = await this.get(tenantId, source.capsuleId);
      archive = await this.bytes(tenantId, record.archiveKey, 'capsule_id');
    } else {
      if (source.archive.byteLength === 0) throw new CapsuleRequestError('archive', 'is empty');
      if (source.archive.byteLength > MAX_VERIFY_BYTES)
        throw new CapsuleRequestError('archive', `must be at most ${MAX_VERIFY_BYTES} bytes`);
      archive = source.archive;
    }
    return verifyCapsule(archive, { trustedKeys: this.o.trusted });
  }

  signingKeyId(): string {
    return this.o.signer.keyId;
  }

  private async bytes(tenantId: string, key: string, field: string): Promise<Uint8Array> {
    if (!BLOB_KEY.test(key))
      throw new CapsuleRequestError(field, `must be a blob key "sha256:" + 64 hex digits`);
    try {
      return await this.o.blobs.get(tenantId, key);
    } catch (err) {
      if (err instanceof BlobNotFoundError)
        throw new CapsuleNotFoundError(`${field}: blob ${key} not found`);
      throw err;
    }
  }

  private async json(tenantId: string, key: string, field: string): Promise<unknown> {
    const data = await this.bytes(tenantId, key, field);
    try {
      return JSON.parse(decoder.decode(data)) as unknown;
    } catch {
      throw new CapsuleRequestError(field, `blob ${key} is not a JSON document`);
    }
  }
}

/** Acceptance criterion → the tests that name it (`it('AC-003 …')` in the project's tests). */
export function traceability(
  criteria: readonly { id: string; title: string }[],
  files: readonly { path: string; content: Uint8Array }[],
): { criterionId: string; description: string; tests: string[] }[] {
  const tests = new Map<string, string[]>();
  const pattern = /\b(?:it|test)\(\s*(['"`])((AC-\d{3,})\b[^'"`]*)\1/g;
  for (const f of files) {
    if (!/(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]sx?$/.test(f.path)) continue;
    const text = decoder.decode(f.content);
    for (const m of text.matchAll(pattern)) {
      const list = tests.get(m[3]!) ?? [];
      list.push(`${f.path} > ${m[2]}`);
      tests.set(m[3]!, list);
    }
  }
  return criteria.map((c) => ({
    criterionId: c.id,
    description: c.title,
    tests: tests.get(c.id) ?? [],
  }));
}
