// Security scan of a project: codegen's security rules and secret scanner on the files, an OSV
// audit of the lock files, and the quality gate's security check (DESIGN §6).
export { scanProject, securityGate, DEPENDENCY_RULE } from './scan.js';
export type { ScanProjectOptions, SecurityGateOptions } from './scan.js';
export * from './report.js';
export { loadVulnDb, VulnDb, VulnDbError, OsvRecordSchema, affects, severityOf } from './osv.js';
export type { OsvRecord, OsvAffected, OsvRange, OsvEvent, VulnMatch } from './osv.js';
export { parseLockfile, isAuditedLockfile, LockfileError } from './lockfiles.js';
export type { LockedPackage, LockfileParse } from './lockfiles.js';
export { readProjectFiles, SKIPPED_DIRS } from './files.js';
export type { ProjectFile, ProjectFiles, ReadProjectOptions, SkippedFile } from './files.js';
export { ECOSYSTEMS } from './versions.js';
export type { Ecosystem } from './versions.js';
