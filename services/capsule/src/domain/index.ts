// The QuantumCapsule format (docs/capsule-format.md) as a pure library: build, sign, read,
// verify and extract `.qlc` archives. No service concerns here (DESIGN §3); the only I/O is
// extractCapsule writing into the directory it is given.
export { buildCapsule, CAPSULE_BUILDER } from './build.js';
export type { BuiltCapsule } from './build.js';
export { DEFAULT_LIMITS } from './archive.js';
export type { Limits } from './archive.js';
export { CapsuleFormatError, CapsuleInputError, CapsuleVerificationError } from './errors.js';
export type { CapsuleFormatErrorCode, VerificationProblem } from './errors.js';
export { extractCapsule } from './extract.js';
export type { ExtractOptions } from './extract.js';
export { parseNpmLock, LockfileParseError, LOCK_FILE_NAMES } from './lockfile.js';
export type { LockedPackage, NpmLock } from './lockfile.js';
export {
  CAPSULE_FILE_EXTENSION,
  CAPSULE_FORMAT_VERSION,
  CAPSULE_MEDIA_TYPE,
  CapsuleInputSchema,
  CapsuleManifestSchema,
  CYCLONEDX_SPEC_VERSION,
  DEFAULT_BUILDER_IDS,
  GenerationInputSchema,
  QualitySchema,
  SLSA_PROVENANCE_PREDICATE_TYPE,
  TraceabilitySchema,
} from './manifest.js';
export type { CapsuleInput, CapsuleInputFile, CapsuleManifest, ManifestFile } from './manifest.js';
export {
  MANIFEST_PATH,
  PROJECT_DIR,
  PROVENANCE_PATH,
  RUN_SCRIPT_PATH,
  SBOM_PATH,
  SIGNATURE_PATH,
} from './paths.js';
export {
  CAPSULE_BUILD_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  ProvenanceStatementSchema,
} from './provenance.js';
export type { ProvenanceStatement } from './provenance.js';
export { readCapsule } from './read.js';
export type { CapsuleEntry, ReadCapsule } from './read.js';
export { npmPurl } from './sbom.js';
export {
  ed25519Signer,
  generateSigningKey,
  keyIdOf,
  publicKeyVerifier,
  SigningKeyError,
} from './signing.js';
export type { SignatureAlgorithm, Signer, Verifier } from './signing.js';
export { verifyCapsule } from './verify.js';
export type { TrustedKeys, VerifyOptions, VerifyResult } from './verify.js';
