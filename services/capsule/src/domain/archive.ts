// The archive layer: a deterministic gzip'd tar on the way out, and a bounded, paranoid reader on
// the way in. tar-stream does the tar format; node:zlib the gzip. The reader enforces every limit
// while the bytes stream through gunzip and the tar parser, so a bomb is stopped after at most one
// inflated chunk beyond the limit, never after it has been inflated.
import { createGunzip, gzipSync } from 'node:zlib';
import { extract as tarExtract, pack as tarPack } from 'tar-stream';
import type { Header } from 'tar-stream';
import { CapsuleFormatError } from './errors.js';
import { collisionKey, unsafePathReason } from './paths.js';

export interface ArchiveEntry {
  name: string;
  data: Uint8Array;
  /** Permission bits: 0o644 or 0o755 when written by buildCapsule. */
  mode: number;
}

export interface Limits {
  /** Most entries an archive may hold. */
  maxEntries: number;
  /** Largest single entry, in bytes (checked on the header, before its data is read). */
  maxEntryBytes: number;
  /** Largest uncompressed tar stream, in bytes (headers and padding included). */
  maxTotalBytes: number;
  /** Largest uncompressed / compressed size ratio … */
  maxCompressionRatio: number;
  /** … enforced once this many bytes have been inflated (small archives compress very well). */
  ratioGraceBytes: number;
  /** Longest entry name, in UTF-8 bytes. */
  maxPathBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxEntries: 20_000,
  maxEntryBytes: 64 * 1024 * 1024,
  maxTotalBytes: 512 * 1024 * 1024,
  maxCompressionRatio: 100,
  ratioGraceBytes: 1024 * 1024,
  maxPathBytes: 1024,
});

export function resolveLimits(limits?: Partial<Limits>): Limits {
  const merged = { ...DEFAULT_LIMITS, ...(limits ?? {}) };
  for (const [key, value] of Object.entries(merged)) {
    if (typeof value !== 'number' || !(value > 0)) {
      throw new RangeError(`limits.${key} must be a positive number, got ${String(value)}`);
    }
  }
  return merged;
}

/** Fixed for every entry: reproducible archives carry no time, owner or umask of the builder. */
const EPOCH = new Date(0);
/** gzip header byte 9 (OS): 255 = unknown, instead of the builder's platform. */
const GZIP_OS_UNKNOWN = 0xff;

/**
 * A gzip'd ustar archive of `entries`, sorted by name (byte order), mtime 0, uid/gid 0, no
 * user/group names, modes 0644/0755, gzip level 9 with mtime 0 and OS "unknown". The same entries
 * give the same bytes with the same zlib; the tar stream inside is identical everywhere.
 */
export async function writeTarGz(entries: readonly ArchiveEntry[]): Promise<Uint8Array> {
  const sorted = [...entries].sort((a, b) =>
    Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)),
  );
  const pack = tarPack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(Buffer.from(chunk as Uint8Array));
  })();
  for (const entry of sorted) {
    await new Promise<void>((resolve, reject) => {
      pack.entry(
        {
          name: entry.name,
          type: 'file',
          mode: entry.mode & 0o111 ? 0o755 : 0o644,
          mtime: EPOCH,
          uid: 0,
          gid: 0,
          uname: '',
          gname: '',
        },
        Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.byteLength),
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }
  pack.finalize();
  await collected;
  const gz = gzipSync(Buffer.concat(chunks), { level: 9 });
  // Node writes mtime 0 and no file name already; the OS byte depends on the platform zlib was
  // built for, so it is fixed here.
  gz[9] = GZIP_OS_UNKNOWN;
  return new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength);
}

/** Size of the input slices fed to gunzip: bounds what one slice can inflate to (~1000x). */
const INPUT_SLICE = 16 * 1024;

/**
 * Reads a gzip'd tar entirely in memory and refuses, with a CapsuleFormatError naming the entry,
 * anything a capsule never contains or that could harm the reader: unsafe names, links, devices,
 * fifos, directories and other non-file entries, set-id modes, duplicate or colliding names, and
 * archives over the limits (checked while inflating).
 */
export async function readTarGz(archive: Uint8Array, limits: Limits): Promise<ArchiveEntry[]> {
  if (archive.byteLength < 18 || archive[0] !== 0x1f || archive[1] !== 0x8b) {
    throw new CapsuleFormatError('not-gzip', 'the archive is not gzip-compressed');
  }
  const inflateAllowance = Math.min(
    limits.maxTotalBytes,
    Math.max(limits.ratioGraceBytes, limits.maxCompressionRatio * archive.byteLength),
  );
  const ratioIsTighter = inflateAllowance < limits.maxTotalBytes;

  return new Promise<ArchiveEntry[]>((resolve, reject) => {
    const gunzip = createGunzip();
    const extract = tarExtract();
    const entries: ArchiveEntry[] = [];
    const seen: SeenNames = { files: new Map(), dirs: new Map() };
    let inflated = 0;
    let settled = false;
    // The entry being read when a limit trips (the bytes in flight belong to it, or follow it).
    let current: string | undefined;

    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      extract.destroy();
      reject(
        err instanceof CapsuleFormatError
          ? err
          : new CapsuleFormatError('corrupt', `unreadable archive: ${(err as Error).message}`),
      );
    };

    gunzip.on('error', (err) =>
      fail(new CapsuleFormatError('corrupt', `gzip stream is corrupt: ${err.message}`)),
    );
    extract.on('error', fail);

    gunzip.on('data', (chunk: Buffer) => {
      if (settled) return;
      inflated += chunk.byteLength;
      if (inflated > inflateAllowance) {
        fail(
          ratioIsTighter
            ? new CapsuleFormatError(
                'ratio-too-high',
                `inflates beyond ${limits.maxCompressionRatio}x its compressed size of ${archive.byteLength} bytes (limit ${inflateAllowance} bytes)`,
                current,
              )
            : new CapsuleFormatError(
                'total-too-large',
                `inflates beyond the limit of ${limits.maxTotalBytes} bytes`,
                current,
              ),
        );
        return;
      }
      if (!extract.write(chunk)) gunzip.pause();
    });
    extract.on('drain', () => {
      if (!settled) gunzip.resume();
    });
    gunzip.on('end', () => {
      if (!settled) extract.end(undefined);
    });

    extract.on('entry', (header: Header, stream, next) => {
      if (settled) return;
      current = header.name;
      try {
        checkHeader(header, entries.length, limits, seen);
      } catch (err) {
        fail(err);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (data: unknown) => {
        const chunk = data as Buffer;
        size += chunk.byteLength;
        if (size > limits.maxEntryBytes) {
          fail(
            new CapsuleFormatError(
              'entry-too-large',
              `larger than the limit of ${limits.maxEntryBytes} bytes`,
              header.name,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', fail);
      stream.on('end', () => {
        if (settled) return;
        const data = Buffer.concat(chunks);
        entries.push({
          name: header.name,
          data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
          mode: header.mode & 0o777,
        });
        next();
      });
    });
    extract.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve(entries);
    });

    // Feed the compressed bytes in slices, respecting gunzip's backpressure, so inflation
    // proceeds only as fast as the checks above consume it.
    let offset = 0;
    const feed = () => {
      while (!settled && offset < archive.byteLength) {
        const slice = archive.subarray(offset, offset + INPUT_SLICE);
        offset += slice.byteLength;
        if (!gunzip.write(slice)) {
          gunzip.once('drain', feed);
          return;
        }
      }
      if (!settled && offset >= archive.byteLength) gunzip.end();
    };
    feed();
  });
}

/** Names seen so far, by collision key: files, and directories implied by deeper names. */
interface SeenNames {
  files: Map<string, string>;
  dirs: Map<string, string>;
}

function checkHeader(header: Header, count: number, limits: Limits, seen: SeenNames): void {
  const name = header.name;
  if (count + 1 > limits.maxEntries) {
    throw new CapsuleFormatError(
      'too-many-entries',
      `more than the limit of ${limits.maxEntries} entries`,
      name,
    );
  }
  // tar-stream reports unknown type flags as null despite its typings.
  const type = header.type as Header['type'] | null;
  if (type === 'symlink' || type === 'link') {
    throw new CapsuleFormatError(
      'link-entry',
      `${type === 'symlink' ? 'symbolic' : 'hard'} link to "${header.linkname}" refused: capsules hold regular files only`,
      name,
    );
  }
  if (type !== 'file') {
    throw new CapsuleFormatError(
      'special-entry',
      `${type ?? 'unknown'} entry refused: capsules hold regular files only`,
      name,
    );
  }
  if (Buffer.byteLength(name) > limits.maxPathBytes) {
    throw new CapsuleFormatError(
      'unsafe-path',
      `path longer than ${limits.maxPathBytes} bytes`,
      name,
    );
  }
  const reason = unsafePathReason(name);
  if (reason !== undefined) throw new CapsuleFormatError('unsafe-path', reason, name);
  if ((header.mode & ~0o777) !== 0) {
    throw new CapsuleFormatError(
      'bad-mode',
      `mode ${header.mode.toString(8)} has set-id or sticky bits`,
      name,
    );
  }
  if (header.size > limits.maxEntryBytes) {
    throw new CapsuleFormatError(
      'entry-too-large',
      `declares ${header.size} bytes, over the limit of ${limits.maxEntryBytes}`,
      name,
    );
  }
  const key = collisionKey(name);
  const previous = seen.files.get(key);
  if (previous !== undefined) {
    throw new CapsuleFormatError(
      'duplicate-entry',
      previous === name
        ? 'entry appears twice'
        : `collides with "${previous}" (differs only in case)`,
      name,
    );
  }
  // A file "a" and a file "a/b" cannot both be extracted.
  const needsDir = seen.dirs.get(key);
  if (needsDir !== undefined) {
    throw new CapsuleFormatError('path-conflict', `"${needsDir}" needs it to be a directory`, name);
  }
  const segments = key.split('/');
  for (let i = 1; i < segments.length; i++) {
    const dir = segments.slice(0, i).join('/');
    const file = seen.files.get(dir);
    if (file !== undefined) {
      throw new CapsuleFormatError('path-conflict', `"${file}" is a file, not a directory`, name);
    }
    if (!seen.dirs.has(dir)) seen.dirs.set(dir, name);
  }
  seen.files.set(key, name);
}
