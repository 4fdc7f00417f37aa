// Blueprint (proto: quantumlayer.codegen.v1.Blueprint): the architecture of one generated
// project, from which stack templates render files. Written by codegen in blueprint mode and by
// the architect agent in agent mode, so it is validated like any outside input.
import { z } from 'zod';
import {
  AppNameSchema,
  checkUnique,
  EntityNameSchema,
  EnumValueSchema,
  MemberNameSchema,
  ProjectPathSchema,
  SCHEMA_VERSION,
} from './common.js';
import type { Requirements } from './requirements.js';

export const StackSchema = z.object({
  /** Template the scaffold is rendered from, e.g. "ts-fastify". */
  templateId: z.string().min(1).max(100),
  language: z.string().min(1).max(50),
  framework: z.string().min(1).max(50),
  database: z.string().min(1).max(50),
  packageManager: z.string().min(1).max(50),
});
export type Stack = z.infer<typeof StackSchema>;

const ModuleName = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'must be kebab-case');

export const ModuleKindSchema = z.enum(['core', 'entity', 'auth', 'infra', 'docs']);
export type ModuleKind = z.infer<typeof ModuleKindSchema>;

export const BlueprintModuleSchema = z.object({
  name: ModuleName,
  kind: ModuleKindSchema,
  entity: EntityNameSchema.optional(),
  description: z.string().max(2000).default(''),
  dependsOn: z.array(ModuleName).default([]),
});
export type BlueprintModule = z.infer<typeof BlueprintModuleSchema>;

export const FileRoleSchema = z.enum([
  'source',
  'test',
  'config',
  'migration',
  'docs',
  'ci',
  'docker',
  'lockfile',
]);
export type FileRole = z.infer<typeof FileRoleSchema>;

export const PlannedFileSchema = z.object({
  path: ProjectPathSchema,
  module: ModuleName,
  role: FileRoleSchema,
  /** template: rendered deterministically; agent: written by an LLM agent under the validators. */
  producer: z.enum(['template', 'agent']),
  /** Template id for template files. */
  template: z.string().max(300).optional(),
  description: z.string().max(2000).default(''),
});
export type PlannedFile = z.infer<typeof PlannedFileSchema>;

const SqlName = z
  .string()
  .max(63)
  .regex(/^[a-z][a-z0-9_]*$/, 'must be snake_case');

export const ColumnReferenceSchema = z.object({
  table: SqlName,
  column: SqlName,
  onDelete: z.enum(['cascade', 'restrict', 'set_null']),
});
export type ColumnReference = z.infer<typeof ColumnReferenceSchema>;

export const DataColumnSchema = z.object({
  name: SqlName,
  /** EntityField name or relation accessor it stores; absent for ids and timestamps. */
  field: MemberNameSchema.optional(),
  /** Logical type: a FieldType, or "id" for keys. */
  type: z.string().min(1).max(50),
  /** Type in the target database, e.g. "numeric(12,2)". */
  sqlType: z.string().min(1).max(100),
  nullable: z.boolean(),
  unique: z.boolean().default(false),
  primaryKey: z.boolean().default(false),
  enumValues: z.array(EnumValueSchema).default([]),
  references: ColumnReferenceSchema.optional(),
});
export type DataColumn = z.infer<typeof DataColumnSchema>;

export const DataIndexSchema = z.object({
  name: SqlName,
  columns: z.array(SqlName).min(1),
  unique: z.boolean().default(false),
});
export type DataIndex = z.infer<typeof DataIndexSchema>;

export const DataTableSchema = z.object({
  name: SqlName,
  /** Entity stored in it; absent for a plain join table. */
  entity: EntityNameSchema.optional(),
  columns: z.array(DataColumnSchema).min(1),
  indexes: z.array(DataIndexSchema).default([]),
});
export type DataTable = z.infer<typeof DataTableSchema>;

export const DataModelSchema = z.object({ tables: z.array(DataTableSchema) });
export type DataModel = z.infer<typeof DataModelSchema>;

/**
 * An OpenAPI 3.1 document. Only the envelope is checked here; the full document is checked by
 * the validators with an OpenAPI validator. Unknown members are kept, not stripped.
 */
export const OpenApiDocumentSchema = z.looseObject({
  openapi: z.string().regex(/^3\.1\.\d+$/, 'must be an OpenAPI 3.1.x document'),
  info: z.looseObject({ title: z.string().min(1), version: z.string().min(1) }),
  paths: z.record(z.string().startsWith('/'), z.json()).default({}),
  components: z.record(z.string(), z.json()).optional(),
});
export type OpenApiDocument = z.infer<typeof OpenApiDocumentSchema>;

export const TEST_ID = /^T-\d{3,}$/;

export const PlannedTestSchema = z.object({
  /** "T-001", "T-002", ... */
  id: z.string().regex(TEST_ID, 'must look like "T-001"'),
  name: z.string().min(1).max(500),
  /** Path of the test file (a PlannedFile with role "test"). */
  file: ProjectPathSchema,
  kind: z.enum(['unit', 'integration', 'e2e']),
  /** AcceptanceCriterion ids it proves. */
  criteria: z.array(z.string()).default([]),
});
export type PlannedTest = z.infer<typeof PlannedTestSchema>;

export const TestPlanSchema = z.object({ tests: z.array(PlannedTestSchema) });
export type TestPlan = z.infer<typeof TestPlanSchema>;

export const DockerfilePlanSchema = z.object({
  path: ProjectPathSchema,
  /** Pinned base image, e.g. "node:20-alpine". */
  baseImage: z.string().min(1).max(200),
  port: z.number().int().min(1).max(65535),
  multiStage: z.boolean(),
  nonRoot: z.boolean(),
  healthcheckPath: z.string().startsWith('/'),
});
export type DockerfilePlan = z.infer<typeof DockerfilePlanSchema>;

export const CiPlanSchema = z.object({
  provider: z.string().min(1).max(50),
  workflowPath: ProjectPathSchema,
  jobs: z.array(z.object({ name: z.string().min(1), steps: z.array(z.string().min(1)) })),
});
export type CiPlan = z.infer<typeof CiPlanSchema>;

export const DeliveryPlanSchema = z.object({
  dockerfile: DockerfilePlanSchema,
  ci: CiPlanSchema,
});
export type DeliveryPlan = z.infer<typeof DeliveryPlanSchema>;

export const BlueprintSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    appName: AppNameSchema,
    stack: StackSchema,
    modules: z.array(BlueprintModuleSchema).min(1),
    files: z.array(PlannedFileSchema).min(1),
    dataModel: DataModelSchema,
    api: OpenApiDocumentSchema,
    testPlan: TestPlanSchema,
    delivery: DeliveryPlanSchema,
  })
  .superRefine((bp, ctx) => {
    const modules = new Set(bp.modules.map((m) => m.name));
    const files = new Set(bp.files.map((f) => f.path));
    checkUnique(
      ctx,
      bp.modules.map((m) => m.name),
      (i) => ['modules', i, 'name'],
      'module',
    );
    checkUnique(
      ctx,
      bp.files.map((f) => f.path),
      (i) => ['files', i, 'path'],
      'file path',
    );
    checkUnique(
      ctx,
      bp.dataModel.tables.map((t) => t.name),
      (i) => ['dataModel', 'tables', i, 'name'],
      'table',
    );
    checkUnique(
      ctx,
      bp.testPlan.tests.map((t) => t.id),
      (i) => ['testPlan', 'tests', i, 'id'],
      'test id',
    );
    bp.modules.forEach((m, i) =>
      m.dependsOn.forEach((dep, j) => {
        if (!modules.has(dep)) {
          ctx.addIssue({
            code: 'custom',
            path: ['modules', i, 'dependsOn', j],
            message: `unknown module "${dep}"`,
          });
        }
      }),
    );
    bp.files.forEach((f, i) => {
      if (!modules.has(f.module)) {
        ctx.addIssue({
          code: 'custom',
          path: ['files', i, 'module'],
          message: `unknown module "${f.module}"`,
        });
      }
    });
    bp.testPlan.tests.forEach((t, i) => {
      if (!files.has(t.file)) {
        ctx.addIssue({
          code: 'custom',
          path: ['testPlan', 'tests', i, 'file'],
          message: `test file "${t.file}" is not in the file plan`,
        });
      }
    });
  });
export type Blueprint = z.infer<typeof BlueprintSchema>;
export type BlueprintInput = z.input<typeof BlueprintSchema>;

/**
 * Acceptance criteria of `requirements` that no test of the blueprint's plan claims to prove
 * (the quality gate requires none), and criteria the plan names that do not exist.
 */
export function checkTestPlanCoverage(
  requirements: Pick<Requirements, 'acceptanceCriteria'>,
  blueprint: Pick<Blueprint, 'testPlan'>,
): { uncovered: string[]; unknown: string[] } {
  const known = new Set(requirements.acceptanceCriteria.map((c) => c.id));
  const claimed = new Set(blueprint.testPlan.tests.flatMap((t) => t.criteria));
  return {
    uncovered: [...known].filter((id) => !claimed.has(id)),
    unknown: [...claimed].filter((id) => !known.has(id)),
  };
}
