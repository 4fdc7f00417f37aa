// Loading an OpenAPI 3.0/3.1 document and flattening it into the operations under test.
import SwaggerParser from '@apidevtools/swagger-parser';
import { isObject, type JsonSchema } from './schema.js';

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export type Parameter = {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
};

export type Operation = {
  /** `METHOD /path`, the id used in the report. */
  label: string;
  operationId?: string;
  method: string;
  path: string;
  parameters: Parameter[];
  /** JSON request body schema, when the operation takes one. */
  body?: { schema: JsonSchema; required: boolean };
  /** Status code (or `2XX`, `default`) -> JSON schema of the body, `null` when none. */
  responses: Map<string, JsonSchema | null>;
  /** Bearer token required (a bearer security requirement with no anonymous alternative). */
  bearer: boolean;
  /** A request body exists but is not JSON: the operation cannot be generated. */
  unsupported?: string;
};

export type ApiDocument = { version: string; operations: Operation[]; hasBearer: boolean };

function jsonContent(content: unknown): JsonSchema | null | undefined {
  if (!isObject(content)) return undefined;
  for (const [type, media] of Object.entries(content)) {
    if (/^application\/([\w.-]+\+)?json\b/.test(type) || type === '*/*') {
      return isObject(media) && isObject(media['schema']) ? media['schema'] : {};
    }
  }
  return null;
}

function bearerSchemes(doc: Record<string, unknown>): Set<string> {
  const schemes = isObject(doc['components']) ? doc['components']['securitySchemes'] : undefined;
  const out = new Set<string>();
  if (!isObject(schemes)) return out;
  for (const [name, scheme] of Object.entries(schemes)) {
    if (
      isObject(scheme) &&
      scheme['type'] === 'http' &&
      String(scheme['scheme']).toLowerCase() === 'bearer'
    ) {
      out.add(name);
    }
  }
  return out;
}

function needsBearer(security: unknown, bearer: Set<string>): boolean {
  if (!Array.isArray(security) || security.length === 0) return false;
  // Requirements are alternatives: an empty one (or a non-bearer one) makes the token optional.
  return security.every(
    (req) => isObject(req) && Object.keys(req).some((name) => bearer.has(name)),
  );
}

export async function loadDocument(source: string | object): Promise<ApiDocument> {
  const input = typeof source === 'string' ? source : structuredClone(source);
  // dereference mutates its argument, hence the clone for documents passed as objects.
  const doc = (await SwaggerParser.dereference(input as never)) as unknown as Record<
    string,
    unknown
  >;
  const version = typeof doc['openapi'] === 'string' ? doc['openapi'] : '';
  if (!version.startsWith('3.')) {
    throw new Error(`expected an OpenAPI 3.x document, got ${version || 'no openapi field'}`);
  }
  const bearer = bearerSchemes(doc);
  const operations: Operation[] = [];
  const paths = isObject(doc['paths']) ? doc['paths'] : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    const shared = Array.isArray(item['parameters']) ? item['parameters'] : [];
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      const byKey = new Map<string, Parameter>();
      for (const p of [...shared, ...(Array.isArray(op['parameters']) ? op['parameters'] : [])]) {
        if (!isObject(p) || typeof p['name'] !== 'string') continue;
        const where = p['in'];
        if (where !== 'path' && where !== 'query' && where !== 'header') continue;
        if (where === 'header' && p['name'].toLowerCase() === 'authorization') continue;
        byKey.set(`${where}:${p['name']}`, {
          name: p['name'],
          in: where,
          required: where === 'path' || p['required'] === true,
          schema: isObject(p['schema']) ? p['schema'] : { type: 'string' },
        });
      }
      const operation: Operation = {
        label: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters: [...byKey.values()],
        responses: new Map(),
        bearer: needsBearer(op['security'] ?? doc['security'], bearer),
      };
      if (typeof op['operationId'] === 'string') operation.operationId = op['operationId'];
      const rb = op['requestBody'];
      if (isObject(rb)) {
        const schema = jsonContent(rb['content']);
        if (schema) operation.body = { schema, required: rb['required'] === true };
        else if (rb['required'] === true) operation.unsupported = 'request body is not JSON';
      }
      if (isObject(op['responses'])) {
        for (const [status, response] of Object.entries(op['responses'])) {
          const schema = isObject(response) ? jsonContent(response['content']) : undefined;
          operation.responses.set(status.toUpperCase(), schema ?? null);
        }
      }
      operations.push(operation);
    }
  }
  return { version, operations, hasBearer: bearer.size > 0 };
}

/** The documented response for `status`: exact code, then `4XX`-style range, then default. */
export function documentedResponse(
  op: Operation,
  status: number,
): { key: string; schema: JsonSchema | null } | undefined {
  for (const key of [String(status), `${String(status)[0]}XX`, 'DEFAULT']) {
    if (op.responses.has(key)) return { key, schema: op.responses.get(key) ?? null };
  }
  return undefined;
}
