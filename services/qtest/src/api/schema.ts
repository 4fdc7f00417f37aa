// JSON Schema helpers shared by the generators and the response validator. OpenAPI 3.0 schemas
// are rewritten to their 3.1 (JSON Schema 2020-12) equivalent so one code path serves both.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export type JsonSchema = { [key: string]: unknown };

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema's types, `null` included (3.1 `type: [x, 'null']` or 3.0 `nullable`). */
export function schemaTypes(schema: JsonSchema): string[] {
  const t = schema['type'];
  const types = Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : [];
  if (typeof t === 'string') types.push(t);
  if (types.length === 0) {
    if (isObject(schema['properties'])) types.push('object');
    else if (isObject(schema['items'])) types.push('array');
  }
  if (schema['nullable'] === true && !types.includes('null')) types.push('null');
  return types;
}

export type Mode = 'request' | 'response';

/**
 * A copy of `schema` normalised to JSON Schema 2020-12, with the properties that do not travel
 * in `mode` removed (readOnly ones are not sent, writeOnly ones are not returned).
 * Circular schemas (possible after dereferencing) are cut at `maxDepth`.
 */
export function prepareSchema(schema: unknown, mode: Mode, depth = 0, maxDepth = 12): JsonSchema {
  if (!isObject(schema) || depth > maxDepth) return {};
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key === 'xml' || key === 'discriminator') {
      continue;
    }
    if (key === 'properties' && isObject(value)) {
      const props: Record<string, JsonSchema> = {};
      for (const [name, sub] of Object.entries(value)) {
        if (isObject(sub) && sub[mode === 'request' ? 'readOnly' : 'writeOnly'] === true) continue;
        props[name] = prepareSchema(sub, mode, depth + 1, maxDepth);
      }
      out[key] = props;
    } else if (key === 'items' || key === 'additionalProperties' || key === 'not') {
      out[key] = isObject(value) ? prepareSchema(value, mode, depth + 1, maxDepth) : value;
    } else if ((key === 'oneOf' || key === 'anyOf' || key === 'allOf') && Array.isArray(value)) {
      out[key] = value.map((s) => prepareSchema(s, mode, depth + 1, maxDepth));
    } else {
      out[key] = value;
    }
  }
  if (isObject(out['properties']) && Array.isArray(out['required'])) {
    const props = out['properties'];
    out['required'] = out['required'].filter((n) => typeof n === 'string' && n in props);
  }
  // OpenAPI 3.0: boolean exclusive bounds qualify minimum/maximum.
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[flag] === 'boolean') {
      if (out[flag] === true && typeof out[bound] === 'number') {
        out[flag] = out[bound];
        delete out[bound];
      } else delete out[flag];
    }
  }
  if (schema['nullable'] === true) {
    const types = schemaTypes(schema);
    if (typeof schema['type'] === 'string' || Array.isArray(schema['type'])) out['type'] = types;
    else return { anyOf: [out, { type: 'null' }] };
    if (Array.isArray(out['enum']) && !out['enum'].includes(null)) {
      out['enum'] = [...out['enum'], null];
    }
  }
  return out;
}

/** OpenAPI format names that are annotations only. */
const ANNOTATION_FORMATS = ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password'];

export class ResponseValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false, logger: false });
  private readonly cache = new Map<unknown, ValidateFunction>();

  constructor() {
    addFormats.default(this.ajv);
    for (const f of ANNOTATION_FORMATS) this.ajv.addFormat(f, true);
  }

  /** Undefined when the value conforms, else ajv's first error as text. */
  validate(schema: unknown, value: unknown): string | undefined {
    let fn = this.cache.get(schema);
    if (!fn) {
      try {
        fn = this.ajv.compile(prepareSchema(schema, 'response'));
      } catch (err) {
        return `response schema does not compile: ${(err as Error).message}`;
      }
      this.cache.set(schema, fn);
    }
    if (fn(value)) return undefined;
    return this.ajv.errorsText(fn.errors, { dataVar: 'body' });
  }
}
