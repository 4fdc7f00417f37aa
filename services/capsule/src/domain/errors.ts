// Errors of the capsule format. Each names what is wrong and, where there is one, the archive
// entry, so the service can answer INVALID_ARGUMENT with a message a user can act on.

/** Why an archive was refused while reading it (before any content is trusted or written). */
export type CapsuleFormatErrorCode =
  | 'not-gzip'
  | 'corrupt'
  | 'unsafe-path'
  | 'link-entry'
  | 'special-entry'
  | 'bad-mode'
  | 'duplicate-entry'
  | 'path-conflict'
  | 'too-many-entries'
  | 'entry-too-large'
  | 'total-too-large'
  | 'ratio-too-high'
  | 'missing-manifest'
  | 'invalid-manifest'
  | 'unsupported-version'
  | 'missing-signature';

/** The archive is not a well-formed, safe capsule. `entry` is the offending entry name, if any. */
export class CapsuleFormatError extends Error {
  override readonly name = 'CapsuleFormatError';
  constructor(
    readonly code: CapsuleFormatErrorCode,
    message: string,
    readonly entry?: string,
  ) {
    super(entry === undefined ? `${code}: ${message}` : `${code}: ${entry}: ${message}`);
  }
}

/** The input given to `buildCapsule` is invalid; `issues` name each field and rule. */
export class CapsuleInputError extends Error {
  override readonly name = 'CapsuleInputError';
  constructor(
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(issues.length === 0 ? message : `${message}: ${issues.join('; ')}`);
  }
}

/** A problem found by `verifyCapsule` (or by `extractCapsule` before it writes anything). */
export interface VerificationProblem {
  check:
    | 'archive'
    | 'manifest'
    | 'file-hash'
    | 'file-missing'
    | 'file-unlisted'
    | 'signature'
    | 'sbom'
    | 'provenance';
  file?: string;
  message: string;
}

/** `extractCapsule` refused the archive: it does not verify. Nothing was written. */
export class CapsuleVerificationError extends Error {
  override readonly name = 'CapsuleVerificationError';
  constructor(readonly problems: readonly VerificationProblem[]) {
    super(
      `capsule does not verify: ${problems
        .map((p) => `[${p.check}] ${p.file === undefined ? '' : `${p.file}: `}${p.message}`)
        .join('; ')}`,
    );
  }
}
