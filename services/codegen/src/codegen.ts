// The codegen service's operations over the blob store: what the gRPC handlers and the event
// handlers both call. The pure work is in domain/, blueprint/, templates/ and validators/; this
// layer adds input limits, tenancy and storage (every artifact is a content-addressed blob).
import type { BlobRef as KitBlobRef, BlobStore } from '@quantumlayer/kit';
import { BlobNotFoundError, TenantIdSchema } from '@quantumlayer/kit';
import type { z } from 'zod';
import { buildBlueprint } from './blueprint/index.js';
import type {
  Blueprint,
  BlobRef,
  ComplexityReport,
  FileSet,
  Requirements,
  RequirementsInput,
} from './domain/index.js';
import {
  analyzeComplexity,
  BlueprintSchema,
  FILESET_MEDIA_TYPE,
  FileSetSchema,
  parseRequirements,
  RequirementsSchema,
} from './domain/index.js';
import type { LockfileProvider, RenderedFile, StackRegistry } from './templates/index.js';
import { renderProject } from './templates/index.js';
import type { CheckName, RegistryClients, Severity, ValidationReport } from './validators/index.js';
import { validate } from './validators/index.js';

export const REQUIREMENTS_MEDIA_TYPE = 'application/vnd.quantumlayer.requirements+json';
export const BLUEPRINT_MEDIA_TYPE = 'application/vnd.quantumlayer.blueprint+json';
export const REPORT_MEDIA_TYPE = 'application/vnd.quantumlayer.validation-report+json';
export const MAX_DESCRIPTION_CHARS = 20_000;

/** Bad input from a caller: the message names the field and the rule. */
export class CodegenInputError extends Error {
  override readonly name = 'CodegenInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/** A blob the request refers to does not exist for this tenant. */
export class ArtifactNotFoundError extends Error {
  override readonly name = 'ArtifactNotFoundError';
}

export interface Analysis {
  requirements: Requirements;
  complexity: ComplexityReport;
  blueprint: Blueprint;
}

export interface StoredAnalysis extends Analysis {
  requirementsRef: BlobRef;
  blueprintRef: BlobRef;
}

export interface Rendered {
  blueprint: Blueprint;
  fileSet: FileSet;
  fileSetRef: BlobRef;
  /** The files themselves, as rendered (saves reading them back). */
  files: RenderedFile[];
}

export interface Validated {
  report: ValidationReport;
  reportRef: BlobRef;
}

export interface CodegenOptions {
  blobs: BlobStore;
  defaultStack: string;
  failOn: Severity;
  stacks?: StackRegistry;
  lockfiles?: LockfileProvider | null;
  registries?: RegistryClients;
}

const BLOB_KEY = /^sha256:[0-9a-f]{64}$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function ref(r: KitBlobRef): BlobRef {
  return { key: r.key, sizeBytes: r.size, mediaType: r.mediaType };
}

/** Zod issues as one line: `field.path: rule; …`, prefixed with the argument's name. */
function describeIssues(prefix: string, err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path.map(String)].join('.')}: ${i.message}`)
    .join('; ');
}

export class Codegen {
  constructor(private readonly o: CodegenOptions) {}

  tenant(tenantId: string): string {
    const r = TenantIdSchema.safeParse(tenantId);
    if (!r.success) throw new CodegenInputError('tenant_id', r.error.issues[0]!.message);
    return r.data;
  }

  /** Description → Requirements, ComplexityReport, Blueprint. Throws DescriptionError when nothing usable was understood. */
  analyze(description: string, options: { stack?: string; projectName?: string } = {}): Analysis {
    if (description.length > MAX_DESCRIPTION_CHARS) {
      throw new CodegenInputError(
        'description',
        `must be at most ${MAX_DESCRIPTION_CHARS} characters (got ${description.length})`,
      );
    }
    const requirements = parseRequirements(
      description,
      options.projectName ? { appName: options.projectName } : {},
    );
    const complexity = analyzeComplexity(requirements);
    const blueprint = buildBlueprint(requirements, {
      stack: options.stack || this.o.defaultStack,
      ...(this.o.stacks ? { registry: this.o.stacks } : {}),
    });
    return { requirements, complexity, blueprint };
  }

  /** `analyze`, with the requirements and blueprint stored for the next stages. */
  async analyzeAndStore(
    tenantId: string,
    description: string,
    options: { stack?: string; projectName?: string } = {},
  ): Promise<StoredAnalysis> {
    const analysis = this.analyze(description, options);
    const [requirementsRef, blueprintRef] = await Promise.all([
      this.putJson(tenantId, analysis.requirements, REQUIREMENTS_MEDIA_TYPE),
      this.putJson(tenantId, analysis.blueprint, BLUEPRINT_MEDIA_TYPE),
    ]);
    return { ...analysis, requirementsRef, blueprintRef };
  }

  /** Renders the project, stores each file and the FileSet document. */
  async render(
    tenantId: string,
    input: { requirements: unknown; blueprint?: unknown; stack?: string },
    signal?: AbortSignal,
  ): Promise<Rendered> {
    const requirements = this.parseArtifact(RequirementsSchema, input.requirements, 'requirements');
    const blueprint =
      input.blueprint === undefined
        ? undefined
        : this.parseArtifact(BlueprintSchema, input.blueprint, 'blueprint');
    const project = await renderProject(
      {
        requirements,
        ...(blueprint ? { blueprint } : { stack: input.stack || this.o.defaultStack }),
      },
      {
        ...(this.o.stacks ? { registry: this.o.stacks } : {}),
        ...(this.o.lockfiles !== undefined ? { lockfiles: this.o.lockfiles } : {}),
        ...(signal ? { signal } : {}),
      },
    );
    const entries = await Promise.all(
      project.files.map(async (f) => ({
        path: f.path,
        blob: ref(
          await this.o.blobs.put(tenantId, encoder.encode(f.content), {
            mediaType: mediaTypeOf(f.path),
          }),
        ),
        executable: f.executable ?? false,
        provenance: f.provenance,
      })),
    );
    const fileSet = FileSetSchema.parse({ schemaVersion: 1, files: entries });
    const fileSetRef = await this.putJson(tenantId, fileSet, FILESET_MEDIA_TYPE);
    return { blueprint: project.blueprint, fileSet, fileSetRef, files: project.files };
  }

  /** Runs the validators over a stored FileSet and stores the report. */
  async validate(
    tenantId: string,
    fileSetKey: string,
    options: { checks?: readonly CheckName[]; failOn?: Severity; signal?: AbortSignal } = {},
  ): Promise<Validated & { fileSet: FileSet }> {
    const fileSet = await this.readFileSet(tenantId, fileSetKey);
    const files = await this.readFiles(tenantId, fileSet);
    const report = await validate(files, {
      failOn: options.failOn ?? this.o.failOn,
      ...(options.checks?.length ? { checks: options.checks } : {}),
      ...(this.o.registries ? { registries: this.o.registries } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const reportRef = await this.putJson(tenantId, report, REPORT_MEDIA_TYPE);
    return { report, reportRef, fileSet };
  }

  async readFileSet(tenantId: string, key: string): Promise<FileSet> {
    const json = await this.getJson(tenantId, key, 'file_set');
    return this.parseArtifact(FileSetSchema, json, 'file_set');
  }

  /** The files of a FileSet, as text (the validators and the CLI's writer take text). */
  async readFiles(
    tenantId: string,
    fileSet: FileSet,
  ): Promise<{ path: string; content: string; executable: boolean }[]> {
    return Promise.all(
      fileSet.files.map(async (f) => {
        const bytes = await this.get(tenantId, f.blob.key, `file_set.files["${f.path}"]`);
        let content: string;
        try {
          content = decoder.decode(bytes);
        } catch {
          throw new CodegenInputError(`file_set.files["${f.path}"]`, 'must be UTF-8 text');
        }
        return { path: f.path, content, executable: f.executable };
      }),
    );
  }

  async readRequirements(tenantId: string, key: string): Promise<Requirements> {
    return this.parseArtifact(
      RequirementsSchema,
      await this.getJson(tenantId, key, 'requirements'),
      'requirements',
    );
  }

  async readBlueprint(tenantId: string, key: string): Promise<Blueprint> {
    return this.parseArtifact(
      BlueprintSchema,
      await this.getJson(tenantId, key, 'blueprint'),
      'blueprint',
    );
  }

  async putJson(tenantId: string, value: unknown, mediaType: string): Promise<BlobRef> {
    return ref(
      await this.o.blobs.put(tenantId, encoder.encode(JSON.stringify(value)), { mediaType }),
    );
  }

  private parseArtifact<S extends z.ZodType>(schema: S, value: unknown, field: string): z.infer<S> {
    const r = schema.safeParse(value);
    if (!r.success) {
      // Named after the first issue's full path ("requirements.entities.0.name: …").
      const text = describeIssues(field, r.error);
      const colon = text.indexOf(': ');
      throw new CodegenInputError(text.slice(0, colon), text.slice(colon + 2));
    }
    return r.data;
  }

  private async get(tenantId: string, key: string, field: string): Promise<Uint8Array> {
    if (!BLOB_KEY.test(key)) {
      throw new CodegenInputError(
        field,
        `must be a blob key "sha256:" + 64 lower-case hex digits, got "${key.slice(0, 80)}"`,
      );
    }
    try {
      return await this.o.blobs.get(tenantId, key);
    } catch (err) {
      // Another tenant's blob is "not found" too (DESIGN §4, tenancy).
      if (err instanceof BlobNotFoundError)
        throw new ArtifactNotFoundError(`${field}: blob ${key} not found`);
      throw err;
    }
  }

  private async getJson(tenantId: string, key: string, field: string): Promise<unknown> {
    const bytes = await this.get(tenantId, key, field);
    try {
      return JSON.parse(decoder.decode(bytes)) as unknown;
    } catch {
      throw new CodegenInputError(field, `blob ${key} is not a JSON document`);
    }
  }
}

/** Media type of a rendered file, for the blob store (capsule and the UI show it). */
export function mediaTypeOf(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  switch (ext) {
    case 'ts':
    case 'mts':
    case 'cts':
      return 'text/x-typescript';
    case 'js':
    case 'mjs':
    case 'cjs':
      return 'text/javascript';
    case 'json':
      return 'application/json';
    case 'md':
      return 'text/markdown';
    case 'yml':
    case 'yaml':
      return 'application/yaml';
    case 'sql':
      return 'application/sql';
    default:
      return 'text/plain';
  }
}

export type { RequirementsInput };
