// FileSet (proto: quantumlayer.codegen.v1.FileSet): a complete project as files whose bytes live
// in the content-addressed blob store. Agents produce file sets, so paths are checked for
// traversal and duplicates before anything is written to disk.
import { z } from 'zod';
import { checkUnique, ProjectPathSchema, SCHEMA_VERSION } from './common.js';

/** quantumlayer.common.v1.BlobRef. */
export const BlobRefSchema = z.object({
  key: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:" and 64 lower-case hex digits'),
  sizeBytes: z.number().int().nonnegative(),
  mediaType: z.string().min(1).max(200),
});
export type BlobRef = z.infer<typeof BlobRefSchema>;

/** Proto quantumlayer.generation.v1.AgentRole, lower-case suffix. */
export const AgentRoleSchema = z.enum([
  'project_manager',
  'architect',
  'backend_developer',
  'frontend_developer',
  'database',
  'devops',
  'qa',
  'security',
  'reviewer',
]);
export type AgentRole = z.infer<typeof AgentRoleSchema>;

export const FileProvenanceSchema = z.discriminatedUnion('by', [
  z.object({
    by: z.literal('generator'),
    /** Generator and version, e.g. "ts-fastify@1". */
    generator: z.string().min(1).max(200),
    /** Template the file was rendered from. */
    template: z.string().max(300).default(''),
  }),
  z.object({
    by: z.literal('agent'),
    role: AgentRoleSchema,
    /** Canonical router model id "provider/model". */
    model: z.string().min(1).max(200),
    provider: z.string().max(100).default(''),
  }),
]);
export type FileProvenance = z.infer<typeof FileProvenanceSchema>;

export const FileSetEntrySchema = z.object({
  path: ProjectPathSchema,
  blob: BlobRefSchema,
  executable: z.boolean().default(false),
  provenance: FileProvenanceSchema,
});
export type FileSetEntry = z.infer<typeof FileSetEntrySchema>;

export const FILESET_MEDIA_TYPE = 'application/vnd.quantumlayer.fileset+json';

export const FileSetSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    files: z.array(FileSetEntrySchema).max(10000),
  })
  .superRefine((set, ctx) => {
    checkUnique(
      ctx,
      set.files.map((f) => f.path),
      (i) => ['files', i, 'path'],
      'file path',
    );
    // A path that is both a file and a directory ("src" and "src/a.ts") cannot be written out.
    const paths = new Set(set.files.map((f) => f.path));
    set.files.forEach((f, i) => {
      const segments = f.path.split('/');
      for (let n = 1; n < segments.length; n++) {
        const prefix = segments.slice(0, n).join('/');
        if (paths.has(prefix)) {
          ctx.addIssue({
            code: 'custom',
            path: ['files', i, 'path'],
            message: `"${f.path}" is inside "${prefix}", which is a file`,
          });
          break;
        }
      }
    });
  });
export type FileSet = z.infer<typeof FileSetSchema>;
