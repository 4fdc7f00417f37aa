// JSON Schemas of the HTTP API: one set per entity (record, create input, patch, page), per
// custom action (input, event, event page), for auth and for errors. They use the subset of
// JSON Schema that OpenAPI 3.1 (2020-12), Ajv (draft-07, what Fastify validates with) and
// fast-json-stringify all read the same way, and each schema is self-contained (no $ref), so a
// stack can hand it to its validator as is.
import type { FieldType } from '../domain/artifacts/index.js';
import type { ActionModel, AppModel, EntityModel, FieldModel } from './model.js';
import { listFilters } from './model.js';

export type JsonSchema = { [key: string]: unknown };

export const PAGE_LIMIT_DEFAULT = 20;
export const PAGE_LIMIT_MAX = 100;
export const PASSWORD_MIN_LENGTH = 8;
export const MONEY_PATTERN = '^-?\\d{1,10}(\\.\\d{1,2})?$';
const INT_MAX = 2147483647;

/** Component schema names of the parts of the API that are not entities. */
export const SYSTEM_SCHEMAS = {
  error: 'ApiError',
  health: 'ApiHealth',
  credentials: 'AuthCredentials',
  account: 'AuthAccount',
  token: 'AuthToken',
} as const;

export function schemaNames(e: EntityModel) {
  return {
    record: e.typeName,
    input: `${e.typeName}Input`,
    patch: `${e.typeName}Patch`,
    page: `${e.typeName}Page`,
  };
}

export function actionSchemaNames(e: EntityModel, a: ActionModel) {
  const base = `${e.typeName}${a.pascal}`;
  return { input: `${base}Input`, event: `${base}Event`, page: `${base}EventPage` };
}

/** Field types searched by the `q` parameter of a list. */
export function isTextual(type: FieldType): boolean {
  return type === 'text' || type === 'email' || type === 'url';
}

function withDescription(schema: JsonSchema, description: string): JsonSchema {
  return description !== '' ? { ...schema, description } : schema;
}

/** Schema of one value of a field (never null). */
export function valueSchema(f: Pick<FieldModel, 'type' | 'enumValues' | 'required'>): JsonSchema {
  switch (f.type) {
    case 'text':
      return f.required
        ? { type: 'string', minLength: 1, maxLength: 10000 }
        : { type: 'string', maxLength: 10000 };
    case 'email':
      return { type: 'string', format: 'email', maxLength: 320 };
    case 'url':
      return { type: 'string', format: 'uri', maxLength: 2048 };
    case 'integer':
      return { type: 'integer', minimum: -INT_MAX - 1, maximum: INT_MAX };
    case 'number':
      return { type: 'number' };
    case 'money':
      return {
        type: 'string',
        pattern: MONEY_PATTERN,
        description: 'Decimal amount, e.g. "12.50"',
      };
    case 'boolean':
      return { type: 'boolean' };
    case 'date':
      return { type: 'string', format: 'date' };
    case 'datetime':
      return { type: 'string', format: 'date-time' };
    case 'enum':
      return { type: 'string', enum: [...f.enumValues] };
  }
}

/** Schema of a field that may also be null. */
function nullable(schema: JsonSchema): JsonSchema {
  const { type, enum: values, ...rest } = schema;
  return {
    ...rest,
    type: [type as string, 'null'],
    ...(Array.isArray(values) ? { enum: [...values, null] } : {}),
  };
}

function fieldSchema(f: FieldModel, allowNull: boolean): JsonSchema {
  const base = valueSchema(f);
  return withDescription(allowNull && !f.required ? nullable(base) : base, f.description);
}

const ID_SCHEMA: JsonSchema = { type: 'integer', minimum: 1, maximum: INT_MAX };

function keySchema(required: boolean, allowNull: boolean): JsonSchema {
  return allowNull && !required
    ? { type: ['integer', 'null'], minimum: 1, maximum: INT_MAX }
    : ID_SCHEMA;
}

/** The record as the API returns it: every property present, optional ones as null. */
export function recordSchema(e: EntityModel): JsonSchema {
  const properties: JsonSchema = { id: { type: 'integer' } };
  for (const f of e.fields) properties[f.name] = fieldSchema(f, true);
  for (const fk of e.foreignKeys) {
    properties[fk.name] = fk.required ? { type: 'integer' } : { type: ['integer', 'null'] };
  }
  properties['createdAt'] = { type: 'string', format: 'date-time' };
  properties['updatedAt'] = { type: 'string', format: 'date-time' };
  return {
    type: 'object',
    required: Object.keys(properties),
    properties,
  };
}

export function inputSchema(e: EntityModel): JsonSchema {
  const properties: JsonSchema = {};
  for (const f of e.fields) properties[f.name] = fieldSchema(f, true);
  for (const fk of e.foreignKeys) properties[fk.name] = keySchema(fk.required, true);
  return {
    type: 'object',
    additionalProperties: false,
    required: [
      ...e.fields.filter((f) => f.required).map((f) => f.name),
      ...e.foreignKeys.filter((f) => f.required).map((f) => f.name),
    ],
    properties,
  };
}

export function patchSchema(e: EntityModel): JsonSchema {
  const { required: _required, ...rest } = inputSchema(e);
  return { ...rest, minProperties: 1 };
}

export function pageSchema(item: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['items', 'total', 'limit', 'offset'],
    properties: {
      items: { type: 'array', items: item },
      total: { type: 'integer', minimum: 0 },
      limit: { type: 'integer', minimum: 1 },
      offset: { type: 'integer', minimum: 0 },
    },
  };
}

export function actionInputSchema(a: ActionModel): JsonSchema | undefined {
  if (!a.target) return undefined;
  return {
    type: 'object',
    additionalProperties: false,
    required: [a.target.name],
    properties: { [a.target.name]: ID_SCHEMA },
  };
}

export function actionEventSchema(a: ActionModel): JsonSchema {
  const properties: JsonSchema = { id: { type: 'integer' }, [a.entityKey]: { type: 'integer' } };
  if (a.target) properties[a.target.name] = { type: 'integer' };
  if (a.actor) properties[a.actor.name] = { type: ['integer', 'null'] };
  properties['createdAt'] = { type: 'string', format: 'date-time' };
  return { type: 'object', required: Object.keys(properties), properties };
}

export function errorSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['statusCode', 'error', 'message'],
    properties: {
      statusCode: { type: 'integer' },
      error: { type: 'string' },
      message: { type: 'string' },
      details: {
        type: 'array',
        items: {
          type: 'object',
          required: ['field', 'message'],
          properties: { field: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  };
}

export function healthSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['ok'] } },
  };
}

export function credentialsSchema(): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: {
      email: { type: 'string', format: 'email', maxLength: 320 },
      password: { type: 'string', minLength: PASSWORD_MIN_LENGTH, maxLength: 200 },
    },
  };
}

export function accountSchema(roles: readonly string[]): JsonSchema {
  const properties: JsonSchema = {
    id: { type: 'integer' },
    email: { type: 'string', format: 'email' },
  };
  if (roles.length > 0) properties['role'] = { type: 'string', enum: [...roles] };
  properties['createdAt'] = { type: 'string', format: 'date-time' };
  return { type: 'object', required: Object.keys(properties), properties };
}

export function tokenSchema(): JsonSchema {
  return {
    type: 'object',
    required: ['token', 'tokenType', 'expiresIn'],
    properties: {
      token: { type: 'string' },
      tokenType: { type: 'string', enum: ['Bearer'] },
      expiresIn: { type: 'integer', description: 'Seconds until the token expires' },
    },
  };
}

/** Query string of a paginated list. */
export function paginationProperties(): JsonSchema {
  return {
    limit: { type: 'integer', minimum: 1, maximum: PAGE_LIMIT_MAX, default: PAGE_LIMIT_DEFAULT },
    offset: { type: 'integer', minimum: 0, default: 0 },
  };
}

/**
 * Query string of an entity list: pagination, `q` text search and equality filters on every
 * field and key except date-times (an exact instant is not a useful filter).
 */
export function listQuerySchema(e: EntityModel): JsonSchema {
  const properties: JsonSchema = paginationProperties();
  if (e.fields.some((f) => isTextual(f.type))) {
    properties['q'] = {
      type: 'string',
      maxLength: 200,
      description: 'Case-insensitive substring match on the text fields',
    };
  }
  const filters = listFilters(e);
  for (const f of filters.fields) properties[f.name] = valueSchema({ ...f, required: false });
  for (const fk of filters.keys) properties[fk.name] = ID_SCHEMA;
  return { type: 'object', additionalProperties: false, properties };
}

export function paginationQuerySchema(): JsonSchema {
  return { type: 'object', additionalProperties: false, properties: paginationProperties() };
}

/** Path parameters `{ id }` (and a second id for link routes). */
export function idParamsSchema(...names: string[]): JsonSchema {
  const properties: JsonSchema = {};
  for (const n of ['id', ...names]) properties[n] = ID_SCHEMA;
  return { type: 'object', required: Object.keys(properties), properties };
}

/** Every component schema of the API, in a stable order. */
export function componentSchemas(model: AppModel): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {
    [SYSTEM_SCHEMAS.error]: errorSchema(),
    [SYSTEM_SCHEMAS.health]: healthSchema(),
  };
  if (model.auth) {
    out[SYSTEM_SCHEMAS.credentials] = credentialsSchema();
    out[SYSTEM_SCHEMAS.account] = accountSchema(model.auth.roles);
    out[SYSTEM_SCHEMAS.token] = tokenSchema();
  }
  for (const e of model.entities) {
    const names = schemaNames(e);
    const record = recordSchema(e);
    out[names.record] = record;
    out[names.input] = inputSchema(e);
    out[names.patch] = patchSchema(e);
    out[names.page] = pageSchema(record);
    for (const a of e.actions) {
      const n = actionSchemaNames(e, a);
      const input = actionInputSchema(a);
      if (input) out[n.input] = input;
      const event = actionEventSchema(a);
      out[n.event] = event;
      out[n.page] = pageSchema(event);
    }
  }
  return out;
}
