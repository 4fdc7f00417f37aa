// The HTTP API of the application model as an OpenAPI 3.1 document: every route with its
// parameters, request body, success response and error responses, all schemas under
// components. The document is plain JSON with keys in a stable order (deterministic output).
import type { OpenApiDocument } from '../domain/artifacts/index.js';
import type { AppModel, EntityModel, RouteModel } from './model.js';
import { entityOf } from './model.js';
import type { JsonSchema } from './schemas.js';
import {
  actionSchemaNames,
  componentSchemas,
  listQuerySchema,
  paginationProperties,
  schemaNames,
  SYSTEM_SCHEMAS,
} from './schemas.js';

export const OPENAPI_VERSION = '3.1.0';
export const API_VERSION = '0.1.0';
export const SECURITY_SCHEME = 'bearerAuth';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });

const ERROR_RESPONSES: Record<number, { name: string; description: string }> = {
  400: { name: 'BadRequest', description: 'The request is invalid; `details` names each field' },
  401: { name: 'Unauthorized', description: 'Missing, expired or invalid bearer token' },
  403: { name: 'Forbidden', description: 'The signed-in account may not do this' },
  404: { name: 'NotFound', description: 'No such record' },
  409: { name: 'Conflict', description: 'Conflicts with stored data (duplicate or in use)' },
};

function queryParameters(properties: JsonSchema): JsonSchema[] {
  return Object.entries(properties).map(([name, schema]) => {
    const { description, ...rest } = schema as JsonSchema;
    return {
      name,
      in: 'query',
      required: false,
      schema: rest,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });
}

function pathParameter(name: string, description: string): JsonSchema {
  return {
    name,
    in: 'path',
    required: true,
    description,
    schema: { type: 'integer', minimum: 1 },
  };
}

interface OperationParts {
  parameters: JsonSchema[];
  body?: { schema: string; required: boolean };
  success: { status: number; description: string; schema?: string };
  errors: number[];
}

function operationParts(model: AppModel, route: RouteModel): OperationParts {
  const e: EntityModel | undefined =
    route.entity !== undefined ? entityOf(model, route.entity) : undefined;
  const idParam = () => pathParameter('id', `Id of the ${e!.human}`);
  const pagination = () => queryParameters(paginationProperties());
  const authErrors = route.access.authenticated
    ? [401, ...(route.access.roles.length > 0 ? [403] : [])]
    : [];
  switch (route.kind) {
    case 'health':
      return {
        parameters: [],
        success: {
          status: 200,
          description: 'The service is alive',
          schema: SYSTEM_SCHEMAS.health,
        },
        errors: [],
      };
    case 'openapi':
      return {
        parameters: [],
        success: { status: 200, description: 'This document' },
        errors: [],
      };
    case 'register':
      return {
        parameters: [],
        body: { schema: SYSTEM_SCHEMAS.credentials, required: true },
        success: { status: 201, description: 'Account created', schema: SYSTEM_SCHEMAS.account },
        errors: [400, 409],
      };
    case 'login':
      return {
        parameters: [],
        body: { schema: SYSTEM_SCHEMAS.credentials, required: true },
        success: { status: 200, description: 'Bearer token', schema: SYSTEM_SCHEMAS.token },
        errors: [400, 401],
      };
    case 'me':
      return {
        parameters: [],
        success: { status: 200, description: 'The account', schema: SYSTEM_SCHEMAS.account },
        errors: [401],
      };
    case 'list':
      return {
        parameters: queryParameters(listQuerySchema(e!)['properties'] as JsonSchema),
        success: {
          status: 200,
          description: `A page of ${e!.humanPlural}`,
          schema: schemaNames(e!).page,
        },
        errors: [400, ...authErrors],
      };
    case 'create':
      return {
        parameters: [],
        body: { schema: schemaNames(e!).input, required: true },
        success: {
          status: 201,
          description: `The created ${e!.human}`,
          schema: schemaNames(e!).record,
        },
        errors: [400, ...authErrors, 409],
      };
    case 'read':
      return {
        parameters: [idParam()],
        success: { status: 200, description: `The ${e!.human}`, schema: schemaNames(e!).record },
        errors: [400, ...authErrors, 404],
      };
    case 'update':
      return {
        parameters: [idParam()],
        body: { schema: schemaNames(e!).patch, required: true },
        success: {
          status: 200,
          description: `The changed ${e!.human}`,
          schema: schemaNames(e!).record,
        },
        errors: [400, ...authErrors, 404, 409],
      };
    case 'delete':
      return {
        parameters: [idParam()],
        success: { status: 204, description: 'Deleted' },
        errors: [400, ...authErrors, 404, 409],
      };
    case 'action': {
      const a = e!.actions.find((x) => x.name === route.member)!;
      const names = actionSchemaNames(e!, a);
      return {
        parameters: [idParam()],
        ...(a.target ? { body: { schema: names.input, required: true } } : {}),
        success: { status: 201, description: 'The recorded action', schema: names.event },
        errors: [400, ...authErrors, 404],
      };
    }
    case 'action-events': {
      const a = e!.actions.find((x) => x.name === route.member)!;
      return {
        parameters: [idParam(), ...pagination()],
        success: {
          status: 200,
          description: 'A page of recorded actions, oldest first',
          schema: actionSchemaNames(e!, a).page,
        },
        errors: [400, ...authErrors, 404],
      };
    }
    case 'children': {
      const c = e!.children.find((x) => x.name === route.member)!;
      const child = entityOf(model, c.child);
      return {
        parameters: [idParam(), ...pagination()],
        success: {
          status: 200,
          description: `A page of ${child.humanPlural}`,
          schema: schemaNames(child).page,
        },
        errors: [400, ...authErrors, 404],
      };
    }
    case 'links': {
      const l = e!.links.find((x) => x.name === route.member)!;
      const other = entityOf(model, l.other);
      return {
        parameters: [idParam(), ...pagination()],
        success: {
          status: 200,
          description: `A page of ${other.humanPlural}`,
          schema: schemaNames(other).page,
        },
        errors: [400, ...authErrors, 404],
      };
    }
    case 'link':
    case 'unlink': {
      const l = e!.links.find((x) => x.name === route.member)!;
      const other = entityOf(model, l.other);
      return {
        parameters: [idParam(), pathParameter(l.otherParam, `Id of the ${other.human}`)],
        success: { status: 204, description: route.kind === 'link' ? 'Linked' : 'Unlinked' },
        errors: [400, ...authErrors, 404],
      };
    }
  }
}

function operation(model: AppModel, route: RouteModel): JsonSchema {
  const parts = operationParts(model, route);
  const responses: JsonSchema = {
    [String(parts.success.status)]: {
      description: parts.success.description,
      ...(parts.success.schema
        ? { content: json(ref(parts.success.schema)) }
        : parts.success.status === 200
          ? { content: json({ type: 'object' }) }
          : {}),
    },
  };
  for (const status of [...new Set(parts.errors)].sort((a, b) => a - b)) {
    responses[String(status)] = { $ref: `#/components/responses/${ERROR_RESPONSES[status]!.name}` };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(parts.parameters.length > 0 ? { parameters: parts.parameters } : {}),
    ...(parts.body
      ? { requestBody: { required: parts.body.required, content: json(ref(parts.body.schema)) } }
      : {}),
    responses,
    ...(route.access.authenticated ? { security: [{ [SECURITY_SCHEME]: [] }] } : {}),
    ...(route.access.roles.length > 0 ? { 'x-roles': route.access.roles } : {}),
  };
}

/** The OpenAPI 3.1 document of the model's HTTP API. */
export function buildOpenApi(model: AppModel): OpenApiDocument {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of model.routes) {
    const item = (paths[route.path] ??= {});
    item[route.method.toLowerCase()] = operation(model, route);
  }
  const tags = [
    { name: 'system', description: 'Health and API description' },
    ...(model.auth ? [{ name: 'auth', description: 'Accounts and tokens' }] : []),
    ...model.entities.map((e) => ({
      name: e.segment,
      description: e.description !== '' ? e.description : `${capitalize(e.humanPlural)}`,
    })),
  ];
  const responses: JsonSchema = {};
  for (const [, r] of Object.entries(ERROR_RESPONSES)) {
    responses[r.name] = {
      description: r.description,
      content: json(ref(SYSTEM_SCHEMAS.error)),
    };
  }
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: model.title,
      version: API_VERSION,
      ...(model.summary !== '' ? { description: model.summary } : {}),
    },
    tags,
    paths: paths as OpenApiDocument['paths'],
    components: {
      schemas: componentSchemas(model),
      responses,
      ...(model.auth
        ? {
            securitySchemes: {
              [SECURITY_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
            },
          }
        : {}),
    } as OpenApiDocument['components'],
  };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
