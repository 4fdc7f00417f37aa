import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  AgentRole,
  GenerationMode,
  type Capsule as CapsuleMessage,
  type CapsuleService,
} from '@quantumlayer/contracts';
import { callerTenant, type Database, type ServiceImpl } from '@quantumlayer/kit';
import { CapsuleRequestError, type Capsules } from '../capsules.js';
import { CAPSULE_MEDIA_TYPE } from '../domain/index.js';
import { listCapsules, type CapsuleRecord } from '../store/capsules.js';
import { MANIFEST_MEDIA_TYPE, SBOM_MEDIA_TYPE } from '../capsules.js';

export function toCapsuleMessage(r: CapsuleRecord): CapsuleMessage {
  const blob = (key: string, size: number, mediaType: string) => ({
    $typeName: 'quantumlayer.common.v1.BlobRef' as const,
    key,
    sizeBytes: BigInt(size),
    mediaType,
  });
  return {
    $typeName: 'quantumlayer.capsule.v1.Capsule',
    capsuleId: r.capsuleId,
    tenantId: r.tenantId,
    generationId: r.generationId,
    appName: r.appName,
    appVersion: r.appVersion,
    fileName: r.fileName,
    archive: blob(r.archiveKey, r.archiveSize, CAPSULE_MEDIA_TYPE),
    manifestDigest: r.manifestDigest,
    manifest: blob(r.manifestKey, r.manifestSize, MANIFEST_MEDIA_TYPE),
    sbom: blob(r.sbomKey, r.sbomSize, SBOM_MEDIA_TYPE),
    signingKeyId: r.signingKeyId,
    fileCount: r.fileCount,
    createdAt: timestampFromDate(r.createdAt),
  };
}

const PAGE_DEFAULT = 20;
const PAGE_MAX = 100;

function decodeToken(token: string): { createdAt: string; capsuleId: string } | undefined {
  if (!token) return undefined;
  try {
    const [createdAt, capsuleId] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as [
      string,
      string,
    ];
    if (
      typeof createdAt === 'string' &&
      typeof capsuleId === 'string' &&
      !Number.isNaN(Date.parse(createdAt))
    )
      return { createdAt, capsuleId };
  } catch {
    // fall through
  }
  throw new CapsuleRequestError('page_token', 'is not a token this service returned');
}

/** CapsuleService over the Capsules operations; errors leave through `toRpcError`. */
export function capsuleServiceImpl(
  capsules: Capsules,
  db: Database,
): ServiceImpl<typeof CapsuleService> {
  return {
    async build(req, ctx) {
      const tenant = callerTenant(ctx, req.tenantId);
      if (!req.fileSet?.key)
        throw new CapsuleRequestError('file_set', 'is required (a FileSet blob reference)');
      const { record } = await capsules.build(tenant, {
        generationId: req.generationId,
        fileSetKey: req.fileSet.key,
        requirementsKey: req.requirements?.key || undefined,
        reportKey: req.validationReport?.key || undefined,
        stack: req.stack?.templateId ? req.stack : undefined,
        mode: req.mode === GenerationMode.AGENT ? 'agent' : 'blueprint',
        contributions: req.contributions.map((c) => ({
          role: (AgentRole[c.role] ?? 'unspecified').toLowerCase(),
          model: c.model,
          provider: c.provider,
        })),
      });
      return { capsule: toCapsuleMessage(record) };
    },

    async verify(req, ctx) {
      const tenant = callerTenant(ctx, req.tenantId);
      const source = req.source;
      if (source.case === undefined)
        throw new CapsuleRequestError('source', 'give capsule_id or archive');
      const result = await capsules.verify(
        tenant,
        source.case === 'capsuleId' ? { capsuleId: source.value } : { archive: source.value },
      );
      return {
        ok: result.ok,
        problems: result.problems.map((p) => ({
          check: p.check,
          file: p.file ?? '',
          message: p.message,
        })),
        manifestDigest: result.manifestDigest ?? '',
        signingKeyId: result.manifest?.signing.keyId ?? '',
      };
    },

    async get(req, ctx) {
      const tenant = callerTenant(ctx, req.tenantId);
      const { record, manifest } = await capsules.get(tenant, req.capsuleId);
      return { capsule: toCapsuleMessage(record), manifestJson: manifest };
    },

    async list(req, ctx) {
      const tenant = callerTenant(ctx, req.tenantId);
      if (req.pageSize < 0 || req.pageSize > PAGE_MAX)
        throw new CapsuleRequestError(
          'page_size',
          `must be between 1 and ${PAGE_MAX} (0 means ${PAGE_DEFAULT})`,
        );
      const size = req.pageSize || PAGE_DEFAULT;
      const rows = await listCapsules(db, tenant, size + 1, decodeToken(req.pageToken));
      const page = rows.slice(0, size);
      const last = page[page.length - 1];
      return {
        capsules: page.map(toCapsuleMessage),
        nextPageToken:
          rows.length > size && last
            ? Buffer.from(JSON.stringify([last.createdAt.toISOString(), last.capsuleId])).toString(
                'base64url',
              )
            : '',
      };
    },
  };
}
