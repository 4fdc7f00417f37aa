// readCapsule: the archive in memory, checked entry by entry (see archive.ts), then the manifest.
import { readTarGz, resolveLimits } from './archive.js';
import type { Limits } from './archive.js';
import { CapsuleFormatError } from './errors.js';
import { CAPSULE_FORMAT_VERSION, CapsuleManifestSchema } from './manifest.js';
import type { CapsuleManifest } from './manifest.js';
import { MANIFEST_PATH, SIGNATURE_PATH } from './paths.js';

export interface CapsuleEntry {
  data: Uint8Array;
  /** Permission bits (0o644, 0o755, …). */
  mode: number;
}

export interface ReadCapsule {
  /** Every entry by name, in archive order. */
  entries: Map<string, CapsuleEntry>;
  manifest: CapsuleManifest;
  manifestBytes: Uint8Array;
  signature: Uint8Array;
}

/**
 * Reads a capsule in memory. Throws CapsuleFormatError (with a code and the entry name) for an
 * archive that is unsafe or malformed, or whose manifest is missing, unreadable or of another
 * format version. It does not check hashes or the signature: that is verifyCapsule.
 */
export async function readCapsule(
  archive: Uint8Array,
  limits?: Partial<Limits>,
): Promise<ReadCapsule> {
  const list = await readTarGz(archive, resolveLimits(limits));
  const entries = new Map<string, CapsuleEntry>();
  for (const e of list) entries.set(e.name, { data: e.data, mode: e.mode });

  const manifestEntry = entries.get(MANIFEST_PATH);
  if (manifestEntry === undefined) {
    throw new CapsuleFormatError('missing-manifest', 'the archive has no manifest', MANIFEST_PATH);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(manifestEntry.data));
  } catch (err) {
    throw new CapsuleFormatError(
      'invalid-manifest',
      `not UTF-8 JSON: ${(err as Error).message}`,
      MANIFEST_PATH,
    );
  }
  const version =
    typeof json === 'object' && json !== null && 'formatVersion' in json
      ? (json as { formatVersion: unknown }).formatVersion
      : undefined;
  if (version !== CAPSULE_FORMAT_VERSION) {
    throw new CapsuleFormatError(
      'unsupported-version',
      `formatVersion ${JSON.stringify(version) ?? 'missing'} is not supported (this reader knows ${CAPSULE_FORMAT_VERSION})`,
      MANIFEST_PATH,
    );
  }
  const parsed = CapsuleManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new CapsuleFormatError(
      'invalid-manifest',
      parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; '),
      MANIFEST_PATH,
    );
  }
  const signature = entries.get(SIGNATURE_PATH);
  if (signature === undefined) {
    throw new CapsuleFormatError(
      'missing-signature',
      'the archive has no manifest signature',
      SIGNATURE_PATH,
    );
  }
  return {
    entries,
    manifest: parsed.data,
    manifestBytes: manifestEntry.data,
    signature: signature.data,
  };
}
