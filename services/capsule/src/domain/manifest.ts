// The capsule manifest (capsule.json) and the input of buildCapsule, as zod schemas: the manifest
// is read back from archives of unknown origin and the input arrives from other services.
import { z } from 'zod';
import {
  isSafeEntryPath,
  PROJECT_DIR,
  PROVENANCE_PATH,
  RUN_SCRIPT_PATH,
  SBOM_PATH,
  unsafePathReason,
} from './paths.js';

export const CAPSULE_FORMAT_VERSION = 1;
export const CAPSULE_MEDIA_TYPE = 'application/vnd.quantumlayer.capsule+gzip';
export const CAPSULE_FILE_EXTENSION = '.qlc';
export const SLSA_PROVENANCE_PREDICATE_TYPE = 'https://slsa.dev/provenance/v1';
export const CYCLONEDX_SPEC_VERSION = '1.6';
/** Builder ids recorded in the provenance when the input does not give one. */
export const DEFAULT_BUILDER_IDS = {
  blueprint: 'https://quantumlayer.dev/codegen/blueprint@1',
  agent: 'https://quantumlayer.dev/codegen/agent@1',
} as const;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');
const Text = (max: number) => z.string().min(1).max(max);
const Count = z.number().int().min(0);
const Percent = z.number().min(0).max(100);

/** Project-relative path as given to buildCapsule: "src/app.ts", never "../x" or "/x". */
const ProjectPathSchema = z
  .string()
  .max(900)
  .refine(isSafeEntryPath, {
    error: (issue) => `unsafe path: ${unsafePathReason(String(issue.input)) ?? 'invalid'}`,
  });

// ---------------------------------------------------------------------------------------------
// Shared sub-shapes (input and manifest)

export const AppSchema = z.object({
  /** kebab-case; part of the file name `<name>-<version>.qlc`. */
  name: z
    .string()
    .max(100)
    .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be lowercase letters, digits, ".", "_" or "-"'),
  version: z
    .string()
    .max(100)
    .regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/, 'must be a version such as 1.0.0'),
});

export const StackSchema = z.object({
  templateId: Text(100),
  language: Text(50),
  framework: Text(50),
  database: Text(50),
  packageManager: Text(50),
});

export const CommandsSchema = z.object({
  install: Text(1000),
  build: Text(1000),
  test: Text(1000),
  run: Text(1000),
});

export const AgentRefSchema = z.object({
  /** e.g. "architect", "developer", "qa". */
  role: Text(100),
  name: Text(200).optional(),
  model: Text(200).optional(),
});

export const ModelRefSchema = z.object({
  provider: Text(100),
  model: Text(200),
});

export const PromptTemplateRefSchema = z.object({
  id: Text(200),
  version: Text(100),
  sha256: Sha256Hex.optional(),
});

export const PhaseUsageSchema = z.object({
  /** e.g. "requirements", "architecture", "implementation", "repair-1". */
  name: Text(100),
  agent: Text(100).optional(),
  model: Text(200).optional(),
  inputTokens: Count.default(0),
  outputTokens: Count.default(0),
  costUsd: z.number().min(0).default(0),
});

const ParameterValue = z.union([z.string().max(10_000), z.number(), z.boolean()]);

/** How the project was generated. Everything but `mode` is optional (empty in blueprint mode). */
export const GenerationInputSchema = z.object({
  mode: z.enum(['agent', 'blueprint']),
  generationId: Text(200).optional(),
  /** Builder id of the provenance; default by mode (DEFAULT_BUILDER_IDS). */
  builderId: z.url().max(500).optional(),
  /** Stack template (or other generator) and its version, e.g. ts-fastify 1.0.0. */
  generator: z.object({ name: Text(100), version: Text(100) }).optional(),
  /** sha256 of the canonical Requirements document the project was generated from. */
  requirementsSha256: Sha256Hex.optional(),
  agents: z.array(AgentRefSchema).max(100).default([]),
  models: z.array(ModelRefSchema).max(100).default([]),
  promptTemplates: z.array(PromptTemplateRefSchema).max(1000).default([]),
  phases: z.array(PhaseUsageSchema).max(1000).default([]),
  /** Further generation parameters (flat), recorded in the provenance's buildDefinition. */
  parameters: z.record(z.string().max(200), ParameterValue).default({}),
});

export const QualitySchema = z.object({
  validation: z
    .object({
      passed: z.boolean(),
      errors: Count,
      warnings: Count,
      summary: z.string().max(10_000).optional(),
    })
    .optional(),
  tests: z
    .object({ passed: Count, failed: Count, skipped: Count.optional(), runs: Count.optional() })
    .optional(),
  /** Percentages, 0–100. */
  coverage: z
    .object({
      lines: Percent,
      branches: Percent.optional(),
      functions: Percent.optional(),
      statements: Percent.optional(),
    })
    .optional(),
  security: z.object({ high: Count, medium: Count, low: Count }).optional(),
  /** The quality gate's verdict, when it has run. */
  accepted: z.boolean().optional(),
});

export const TraceabilitySchema = z.object({
  /** Acceptance criterion id from the Requirements, e.g. "AC-3". */
  criterionId: Text(100),
  description: z.string().max(2000).optional(),
  /** Names of the tests that check it ("file > describe > it"). */
  tests: z.array(Text(1000)).max(1000),
});

// ---------------------------------------------------------------------------------------------
// buildCapsule input

export const CapsuleInputFileSchema = z.object({
  path: ProjectPathSchema,
  content: z.union([
    z.string(),
    z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'must be a string or bytes' }),
  ]),
  executable: z.boolean().optional(),
});

export const CapsuleInputSchema = z
  .object({
    files: z.array(CapsuleInputFileSchema).min(1).max(50_000),
    app: AppSchema,
    stack: StackSchema,
    commands: CommandsSchema,
    generation: GenerationInputSchema,
    quality: QualitySchema.optional(),
    traceability: z.array(TraceabilitySchema).max(10_000).optional(),
    /** Who asked for the build (user or service id); no wall-clock time is recorded. */
    createdBy: Text(200).optional(),
  })
  .superRefine((input, ctx) => {
    const seen = new Map<string, string>();
    input.files.forEach((file, i) => {
      const key = file.path.normalize('NFC').toLowerCase();
      const other = seen.get(key);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['files', i, 'path'],
          message: `"${file.path}" collides with "${other}" (duplicate, or differs only in case)`,
        });
      }
      seen.set(key, file.path);
    });
  });

/** What callers pass to buildCapsule (defaults filled in by the schema). */
export type CapsuleInput = z.input<typeof CapsuleInputSchema>;
export type CapsuleInputFile = z.input<typeof CapsuleInputFileSchema>;

// ---------------------------------------------------------------------------------------------
// capsule.json

/** Path of a payload entry listed in the manifest: "run" or "project/<project path>". */
const PayloadPathSchema = z
  .string()
  .max(1000)
  .refine((p) => isSafeEntryPath(p) && (p === RUN_SCRIPT_PATH || p.startsWith(`${PROJECT_DIR}/`)), {
    message: `must be "${RUN_SCRIPT_PATH}" or a safe path under "${PROJECT_DIR}/"`,
  });

export const ManifestFileSchema = z.object({
  path: PayloadPathSchema,
  size: Count,
  sha256: Sha256Hex,
  executable: z.boolean(),
});

export const CapsuleManifestSchema = z
  .object({
    formatVersion: z.literal(CAPSULE_FORMAT_VERSION),
    app: AppSchema,
    stack: StackSchema,
    commands: CommandsSchema,
    /** Executable at the capsule root: `./run` installs and starts, `./run --test` tests. */
    entrypoint: z.literal(RUN_SCRIPT_PATH),
    projectDir: z.literal(PROJECT_DIR),
    /** Every payload entry (project files and the run script), sorted by path. */
    files: z.array(ManifestFileSchema).max(50_000),
    lockFiles: z.array(z.object({ path: PayloadPathSchema, sha256: Sha256Hex })).max(100),
    generation: GenerationInputSchema.extend({
      builderId: z.url().max(500),
      totals: z.object({ inputTokens: Count, outputTokens: Count, costUsd: z.number().min(0) }),
    }),
    quality: QualitySchema.optional(),
    traceability: z.array(TraceabilitySchema).max(10_000),
    createdBy: Text(200).optional(),
    signing: z.object({
      algorithm: z.literal('ed25519'),
      keyId: z.string().regex(/^[0-9a-f]{16}$/, 'must be 16 lowercase hex digits'),
    }),
    sbom: z.object({
      path: z.literal(SBOM_PATH),
      sha256: Sha256Hex,
      format: z.literal('CycloneDX'),
      specVersion: z.string().max(10),
    }),
    provenance: z.object({
      path: z.literal(PROVENANCE_PATH),
      sha256: Sha256Hex,
      predicateType: z.literal(SLSA_PROVENANCE_PREDICATE_TYPE),
    }),
  })
  .superRefine((manifest, ctx) => {
    const seen = new Set<string>();
    manifest.files.forEach((file, i) => {
      const key = file.path.normalize('NFC').toLowerCase();
      if (seen.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: ['files', i, 'path'],
          message: `"${file.path}" is listed twice`,
        });
      }
      seen.add(key);
    });
  });

export type CapsuleManifest = z.infer<typeof CapsuleManifestSchema>;
export type ManifestFile = z.infer<typeof ManifestFileSchema>;
