// Entry names inside a capsule. One rule for writing and reading: a relative POSIX path of
// non-empty segments, none of them "." or "..", no backslash, drive letter or control character.
// Anything else could escape the directory it is extracted to on some platform.

/** The fixed names at the capsule root (format version 1). */
export const MANIFEST_PATH = 'capsule.json';
export const SIGNATURE_PATH = 'capsule.sig';
export const SBOM_PATH = 'sbom.cdx.json';
export const PROVENANCE_PATH = 'provenance.intoto.json';
export const RUN_SCRIPT_PATH = 'run';
/** Directory holding the project files. */
export const PROJECT_DIR = 'project';

/** Why `name` is not a safe entry path, or undefined when it is. */
export function unsafePathReason(name: string): string | undefined {
  if (name === '') return 'empty path';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'drive-letter path';
  if (name.includes('\\')) return 'backslash in path';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'control character in path';
  const segments = name.split('/');
  if (segments.some((s) => s === '..')) return 'parent-directory segment ("..")';
  if (segments.some((s) => s === '.')) return 'current-directory segment (".")';
  if (segments.some((s) => s === '')) return 'empty path segment';
  return undefined;
}

export function isSafeEntryPath(name: string): boolean {
  return unsafePathReason(name) === undefined;
}

/**
 * Key under which two names collide on a case-insensitive or normalizing file system (macOS,
 * Windows): such pairs would overwrite each other on extraction, so both sides refuse them.
 */
export function collisionKey(name: string): string {
  return name.normalize('NFC').toLowerCase();
}
