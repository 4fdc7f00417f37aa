// Requirements: the typed specification of an application (proto: quantumlayer.codegen.v1.
// Requirements). Produced by the rule-based parser (blueprint mode) or by the project-manager
// agent; this schema is what validates the agent's JSON, so it checks cross-references too
// (relations and operations name existing entities, enum fields have values, ids are unique).
// Optional-looking members have defaults so that a producer may omit them; the inferred type
// (`Requirements`) is the parsed, complete form.
import { z } from 'zod';
import {
  AppNameSchema,
  checkUnique,
  ConfidenceSchema,
  EntityNameSchema,
  EnumValueSchema,
  MemberNameSchema,
  SCHEMA_VERSION,
  SourceSchema,
} from './common.js';

export const FIELD_TYPES = [
  'text',
  'number',
  'integer',
  'money',
  'boolean',
  'date',
  'datetime',
  'email',
  'url',
  'enum',
] as const;
export const FieldTypeSchema = z.enum(FIELD_TYPES);
export type FieldType = z.infer<typeof FieldTypeSchema>;

export const FieldSchema = z.object({
  name: MemberNameSchema,
  type: FieldTypeSchema,
  /** Values of an enum field, snake_case, in the order given; empty for other types. */
  enumValues: z.array(EnumValueSchema).max(100).default([]),
  required: z.boolean().default(false),
  unique: z.boolean().default(false),
  description: z.string().max(2000).default(''),
  confidence: ConfidenceSchema.default(1),
  source: SourceSchema.default(''),
});
export type Field = z.infer<typeof FieldSchema>;

export const CRUD_OPERATIONS = ['create', 'read', 'update', 'delete', 'list'] as const;
export type CrudOperation = (typeof CRUD_OPERATIONS)[number];
export const OperationKindSchema = z.enum([...CRUD_OPERATIONS, 'action']);
export type OperationKind = z.infer<typeof OperationKindSchema>;

export const OperationSchema = z
  .object({
    kind: OperationKindSchema,
    /** The CRUD kind itself, or the camelCase verb of a custom action ("borrow", "checkIn"). */
    name: MemberNameSchema,
    /** Roles or actor names (camelCase) that perform it; empty: anyone allowed by auth. */
    actors: z.array(MemberNameSchema).default([]),
    /** For an action linking two records ("members borrow books"): the other entity. */
    target: EntityNameSchema.optional(),
    description: z.string().max(2000).default(''),
    confidence: ConfidenceSchema.default(1),
    source: SourceSchema.default(''),
  })
  .refine((op) => op.kind === 'action' || op.name === op.kind, {
    message: 'a CRUD operation is named after its kind',
    path: ['name'],
  });
export type Operation = z.infer<typeof OperationSchema>;

export const EntitySchema = z.object({
  name: EntityNameSchema,
  pluralName: EntityNameSchema,
  description: z.string().max(2000).default(''),
  fields: z.array(FieldSchema).max(200),
  operations: z.array(OperationSchema).max(100).default([]),
  confidence: ConfidenceSchema.default(1),
  source: SourceSchema.default(''),
});
export type Entity = z.infer<typeof EntitySchema>;

/** "X belongs to Y" is `has_many` from Y to X. */
export const RelationKindSchema = z.enum(['has_many', 'has_one', 'many_to_many']);
export type RelationKind = z.infer<typeof RelationKindSchema>;

export const RelationSchema = z.object({
  kind: RelationKindSchema,
  /** Owner side: the "one" side of has_many/has_one, either side of many_to_many. */
  from: EntityNameSchema,
  to: EntityNameSchema,
  /** Accessor on `from` ("books"). */
  name: MemberNameSchema,
  /** Accessor on `to` ("author"); for has_many/has_one it is the side holding the foreign key. */
  inverseName: MemberNameSchema,
  /** A `to` record must reference a `from` record (NOT NULL foreign key). */
  required: z.boolean().default(false),
  /** Join entity of a many_to_many relation, when the description names one. */
  through: EntityNameSchema.optional(),
  confidence: ConfidenceSchema.default(1),
  source: SourceSchema.default(''),
});
export type Relation = z.infer<typeof RelationSchema>;

export const RoleSchema = z.object({
  name: MemberNameSchema,
  description: z.string().max(2000).default(''),
  confidence: ConfidenceSchema.default(1),
  source: SourceSchema.default(''),
});
export type Role = z.infer<typeof RoleSchema>;

export const AuthSchema = z.object({
  /** Users must log in (at least for mutating operations). */
  enabled: z.boolean(),
  /** Users can create their own account. */
  signup: z.boolean().default(false),
  /** Entity whose records are the accounts ("members log in"); absent: a template user table. */
  userEntity: EntityNameSchema.optional(),
  roles: z.array(RoleSchema).max(50).default([]),
  /** Role given to new accounts. */
  defaultRole: MemberNameSchema.optional(),
  confidence: ConfidenceSchema.default(1),
  source: SourceSchema.default(''),
});
export type Auth = z.infer<typeof AuthSchema>;

export const NonFunctionalCategorySchema = z.enum([
  'performance',
  'scalability',
  'availability',
  'security',
  'privacy',
  'usability',
  'observability',
  'compliance',
  'other',
]);
export type NonFunctionalCategory = z.infer<typeof NonFunctionalCategorySchema>;

export const NonFunctionalRequirementSchema = z.object({
  category: NonFunctionalCategorySchema,
  text: z.string().min(1).max(2000),
  confidence: ConfidenceSchema.default(1),
  source: SourceSchema.default(''),
});
export type NonFunctionalRequirement = z.infer<typeof NonFunctionalRequirementSchema>;

export const FeatureKindSchema = z.enum([
  'search',
  'filter',
  'sort',
  'pagination',
  'export',
  'import',
  'notification',
  'file_upload',
  'report',
  'audit_log',
  'other',
]);
export type FeatureKind = z.infer<typeof FeatureKindSchema>;

export const FeatureSchema = z.object({
  kind: FeatureKindSchema,
  entity: EntityNameSchema.optional(),
  /** Fields involved (search/filter fields, export columns). */
  fields: z.array(MemberNameSchema).default([]),
  description: z.string().max(2000).default(''),
  confidence: ConfidenceSchema.default(1),
  source: SourceSchema.default(''),
});
export type Feature = z.infer<typeof FeatureSchema>;

export const ACCEPTANCE_ID = /^AC-\d{3,}$/;

export const AcceptanceKindSchema = z.enum([
  'operation',
  'action',
  'validation',
  'relation',
  'auth',
  'feature',
  'non_functional',
]);
export type AcceptanceKind = z.infer<typeof AcceptanceKindSchema>;

export const AcceptanceCriterionSchema = z.object({
  /** "AC-001", "AC-002", ...; test plans refer to it. */
  id: z.string().regex(ACCEPTANCE_ID, 'must look like "AC-001"'),
  title: z.string().min(1).max(500),
  given: z.string().min(1).max(2000),
  when: z.string().min(1).max(2000),
  then: z.string().min(1).max(2000),
  kind: AcceptanceKindSchema,
  entity: EntityNameSchema.optional(),
  operation: MemberNameSchema.optional(),
  field: MemberNameSchema.optional(),
  confidence: ConfidenceSchema.default(1),
});
export type AcceptanceCriterion = z.infer<typeof AcceptanceCriterionSchema>;

export const AnalysisNoteSchema = z.object({
  /** info: an assumption that is probably right; warning: something ignored or guessed. */
  level: z.enum(['info', 'warning']),
  message: z.string().min(1).max(2000),
  source: SourceSchema.default(''),
});
export type AnalysisNote = z.infer<typeof AnalysisNoteSchema>;

export const RequirementsOriginSchema = z.object({
  producer: z.enum(['rule_based', 'llm']),
  /** Parser version ("rule-based@1") or canonical router model id. */
  version: z.string().max(200),
});
export type RequirementsOrigin = z.infer<typeof RequirementsOriginSchema>;

export const RequirementsSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    appName: AppNameSchema,
    title: z.string().min(1).max(200),
    summary: z.string().max(4000),
    description: z.string().max(20000),
    entities: z.array(EntitySchema).min(1).max(100),
    relations: z.array(RelationSchema).max(500).default([]),
    auth: AuthSchema,
    nonFunctional: z.array(NonFunctionalRequirementSchema).max(100).default([]),
    features: z.array(FeatureSchema).max(100).default([]),
    acceptanceCriteria: z.array(AcceptanceCriterionSchema).max(2000),
    notes: z.array(AnalysisNoteSchema).max(200).default([]),
    origin: RequirementsOriginSchema,
    confidence: ConfidenceSchema,
  })
  .superRefine((req, ctx) => {
    const entities = new Map(req.entities.map((e) => [e.name, e]));
    checkUnique(
      ctx,
      req.entities.map((e) => e.name),
      (i) => ['entities', i, 'name'],
      'entity',
    );
    req.entities.forEach((entity, ei) => {
      checkUnique(
        ctx,
        entity.fields.map((f) => f.name),
        (fi) => ['entities', ei, 'fields', fi, 'name'],
        `field of ${entity.name}`,
      );
      checkUnique(
        ctx,
        entity.operations.map((o) => o.name),
        (oi) => ['entities', ei, 'operations', oi, 'name'],
        `operation of ${entity.name}`,
      );
      entity.fields.forEach((field, fi) => {
        if (field.type === 'enum' && field.enumValues.length === 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['entities', ei, 'fields', fi, 'enumValues'],
            message: `enum field ${entity.name}.${field.name} needs at least one value`,
          });
        }
        if (field.type !== 'enum' && field.enumValues.length > 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['entities', ei, 'fields', fi, 'enumValues'],
            message: `only enum fields have values (${entity.name}.${field.name} is ${field.type})`,
          });
        }
      });
      entity.operations.forEach((op, oi) => {
        if (op.target !== undefined && !entities.has(op.target)) {
          ctx.addIssue({
            code: 'custom',
            path: ['entities', ei, 'operations', oi, 'target'],
            message: `unknown entity "${op.target}"`,
          });
        }
      });
    });
    req.relations.forEach((rel, ri) => {
      for (const side of ['from', 'to'] as const) {
        if (!entities.has(rel[side])) {
          ctx.addIssue({
            code: 'custom',
            path: ['relations', ri, side],
            message: `unknown entity "${rel[side]}"`,
          });
        }
      }
      if (rel.through !== undefined && !entities.has(rel.through)) {
        ctx.addIssue({
          code: 'custom',
          path: ['relations', ri, 'through'],
          message: `unknown entity "${rel.through}"`,
        });
      }
    });
    const roles = new Set(req.auth.roles.map((r) => r.name));
    checkUnique(
      ctx,
      req.auth.roles.map((r) => r.name),
      (i) => ['auth', 'roles', i, 'name'],
      'role',
    );
    if (req.auth.userEntity !== undefined && !entities.has(req.auth.userEntity)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'userEntity'],
        message: `unknown entity "${req.auth.userEntity}"`,
      });
    }
    if (req.auth.defaultRole !== undefined && !roles.has(req.auth.defaultRole)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'defaultRole'],
        message: `unknown role "${req.auth.defaultRole}"`,
      });
    }
    req.features.forEach((feature, i) => {
      if (feature.entity !== undefined && !entities.has(feature.entity)) {
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'entity'],
          message: `unknown entity "${feature.entity}"`,
        });
      }
    });
    checkUnique(
      ctx,
      req.acceptanceCriteria.map((c) => c.id),
      (i) => ['acceptanceCriteria', i, 'id'],
      'acceptance criterion id',
    );
    req.acceptanceCriteria.forEach((criterion, i) => {
      if (criterion.entity !== undefined && !entities.has(criterion.entity)) {
        ctx.addIssue({
          code: 'custom',
          path: ['acceptanceCriteria', i, 'entity'],
          message: `unknown entity "${criterion.entity}"`,
        });
      }
    });
  });
/** Requirements after parsing: every default filled in. */
export type Requirements = z.infer<typeof RequirementsSchema>;
/** Requirements as a producer may write them: members with defaults may be omitted. */
export type RequirementsInput = z.input<typeof RequirementsSchema>;
