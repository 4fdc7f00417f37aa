// JSON Schema -> fast-check arbitraries. Valid values shrink toward the smallest value the
// schema allows (empty string, 0 or the bound nearest it, fewest optional properties), so a
// reported counterexample shows the edge case that broke the server.
import fc from 'fast-check';
import { isObject, schemaTypes, type JsonSchema } from './schema.js';

/** Upper bounds for unbounded strings and arrays: keeps requests small and runs fast. */
const MAX_STRING = 24;
const MAX_ITEMS = 4;
const MAX_DEPTH = 6;

function num(schema: JsonSchema, key: string): number | undefined {
  const v = schema[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function mergeAllOf(schema: JsonSchema): JsonSchema {
  const parts = schema['allOf'];
  if (!Array.isArray(parts)) return schema;
  const merged: JsonSchema = { ...schema };
  delete merged['allOf'];
  const properties: Record<string, unknown> = isObject(schema['properties'])
    ? { ...schema['properties'] }
    : {};
  const required = new Set<string>(Array.isArray(schema['required']) ? schema['required'] : []);
  for (const raw of parts) {
    const part = mergeAllOf(isObject(raw) ? raw : {});
    for (const [k, v] of Object.entries(part)) {
      if (k === 'properties' && isObject(v)) Object.assign(properties, v);
      else if (k === 'required' && Array.isArray(v)) v.forEach((r) => required.add(String(r)));
      else if (!(k in merged)) merged[k] = v;
    }
  }
  if (Object.keys(properties).length > 0) merged['properties'] = properties;
  if (required.size > 0) merged['required'] = [...required];
  return merged;
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

const dateRange = { min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-12-31T23:59:59Z') };

function stringArb(schema: JsonSchema): fc.Arbitrary<string> {
  const minLength = num(schema, 'minLength') ?? 0;
  const maxLength = num(schema, 'maxLength') ?? Math.max(minLength, MAX_STRING);
  const fits = (s: string): boolean => s.length >= minLength && s.length <= maxLength;
  const format = schema['format'];
  switch (format) {
    case 'email':
      return fc.emailAddress().filter(fits);
    case 'uri':
    case 'url':
      return fc.webUrl().filter(fits);
    case 'uuid':
      return fc.uuid();
    case 'date':
      return fc.date({ ...dateRange, noInvalidDate: true }).map(isoDate);
    case 'date-time':
      return fc.date({ ...dateRange, noInvalidDate: true }).map((d) => d.toISOString());
    default:
      break;
  }
  const pattern = schema['pattern'];
  if (typeof pattern === 'string') {
    try {
      return fc.stringMatching(new RegExp(pattern, 'u')).filter(fits);
    } catch {
      // fast-check cannot generate from every regex (lookarounds, back references).
    }
  }
  return fc.string({ minLength, maxLength });
}

function numberArb(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  let min = num(schema, 'minimum');
  let max = num(schema, 'maximum');
  const exMin = num(schema, 'exclusiveMinimum');
  const exMax = num(schema, 'exclusiveMaximum');
  const multipleOf = num(schema, 'multipleOf');
  if (integer) {
    if (exMin !== undefined) min = Math.max(min ?? -Infinity, Math.floor(exMin) + 1);
    if (exMax !== undefined) max = Math.min(max ?? Infinity, Math.ceil(exMax) - 1);
    const lo = min === undefined ? -1_000_000 : Math.ceil(min);
    const hi = max === undefined ? Math.max(lo, 0) + 1_000_000 : Math.floor(max);
    if (multipleOf !== undefined && Number.isInteger(multipleOf) && multipleOf > 0) {
      const a = Math.ceil(lo / multipleOf);
      const b = Math.floor(hi / multipleOf);
      return fc.integer({ min: a, max: b }).map((k) => k * multipleOf);
    }
    return fc.integer({ min: lo, max: hi });
  }
  return fc
    .double({
      min: exMin ?? min ?? -1e9,
      max: exMax ?? max ?? 1e9,
      minExcluded: exMin !== undefined,
      maxExcluded: exMax !== undefined,
      noNaN: true,
      noDefaultInfinity: true,
    })
    .map((d) => (Object.is(d, -0) ? 0 : d));
}

/** Arbitrary producing values valid against `schema` (already prepared for requests). */
export function valueArb(schema: unknown, depth = 0): fc.Arbitrary<unknown> {
  if (!isObject(schema) || depth > MAX_DEPTH) return fc.constant(null);
  const s = mergeAllOf(schema);
  if ('const' in s) return fc.constant(s['const']);
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return fc.constantFrom(...s['enum']);
  const alternatives = s['oneOf'] ?? s['anyOf'];
  if (Array.isArray(alternatives) && alternatives.length > 0) {
    return fc.oneof(...alternatives.map((a) => valueArb(isObject(a) ? { ...a } : {}, depth + 1)));
  }
  const types = schemaTypes(s);
  const nonNull = types.filter((t) => t !== 'null');
  const arbs = (nonNull.length > 0 ? nonNull : types.length > 0 ? [] : ['string']).map((t) =>
    typeArb(s, t, depth),
  );
  if (types.includes('null')) arbs.push(fc.constant(null));
  return arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs);
}

function typeArb(s: JsonSchema, type: string, depth: number): fc.Arbitrary<unknown> {
  switch (type) {
    case 'string':
      return stringArb(s);
    case 'integer':
      return numberArb(s, true);
    case 'number':
      return numberArb(s, false);
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const minLength = num(s, 'minItems') ?? 0;
      const maxLength = Math.min(
        num(s, 'maxItems') ?? minLength + MAX_ITEMS,
        minLength + MAX_ITEMS,
      );
      const item = valueArb(s['items'] ?? {}, depth + 1);
      return s['uniqueItems'] === true
        ? fc.uniqueArray(item, { minLength, maxLength, selector: (v) => JSON.stringify(v) })
        : fc.array(item, { minLength, maxLength });
    }
    case 'object':
      return objectArb(s, depth);
    default:
      return fc.constant(null);
  }
}

function objectArb(s: JsonSchema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const props = isObject(s['properties']) ? s['properties'] : {};
  const required = Array.isArray(s['required']) ? s['required'].map(String) : [];
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, sub] of Object.entries(props)) model[name] = valueArb(sub, depth + 1);
  return fc.record(model, { requiredKeys: required.filter((r) => r in model) });
}

/** An invalid replacement for one value, and whether a server must reject it (4xx). */
export type Mutation = { kind: string; arb: fc.Arbitrary<unknown>; strict: boolean };

/**
 * Values that violate `schema` and that no common validator coerces into a valid one
 * (fastify/ajv coerce `5` to `"5"` and `null` to `""`, so those are not "wrong types").
 */
export function invalidValueMutations(schema: unknown): Mutation[] {
  if (!isObject(schema)) return [];
  const s = mergeAllOf(schema);
  const out: Mutation[] = [];
  const types = schemaTypes(s);
  if (types.length === 0 || s['oneOf'] || s['anyOf']) return out;
  const garbageObject = fc.constant({ garbage: true });
  const nonNumeric = fc.stringMatching(/^[a-z]{1,6}$/);
  if (Array.isArray(s['enum']) && s['enum'].every((e) => typeof e === 'string')) {
    const allowed = new Set(s['enum']);
    out.push({
      kind: 'not in enum',
      arb: fc.string({ minLength: 1, maxLength: 8 }).filter((x) => !allowed.has(x)),
      strict: true,
    });
  }
  if (types.includes('string')) {
    out.push({ kind: 'wrong type', arb: garbageObject, strict: true });
    const minLength = num(s, 'minLength');
    const maxLength = num(s, 'maxLength');
    if (minLength !== undefined && minLength > 0) {
      out.push({
        kind: 'shorter than minLength',
        arb: fc.string({ minLength: 0, maxLength: minLength - 1 }),
        strict: true,
      });
    }
    if (maxLength !== undefined) {
      out.push({
        kind: 'longer than maxLength',
        arb: fc.string({ minLength: maxLength + 1, maxLength: maxLength + 8 }),
        strict: true,
      });
    }
    if (['uuid', 'email', 'date', 'date-time', 'uri'].includes(String(s['format']))) {
      out.push({ kind: `not a ${String(s['format'])}`, arb: nonNumeric, strict: true });
    }
  } else if (types.includes('integer') || types.includes('number')) {
    out.push({ kind: 'wrong type', arb: fc.oneof(nonNumeric, garbageObject), strict: true });
    if (types.includes('integer') && !types.includes('number')) {
      out.push({ kind: 'not an integer', arb: fc.constant(1.5), strict: true });
    }
    const min = num(s, 'minimum') ?? num(s, 'exclusiveMinimum');
    const max = num(s, 'maximum') ?? num(s, 'exclusiveMaximum');
    const exMin = num(s, 'exclusiveMinimum') !== undefined;
    const exMax = num(s, 'exclusiveMaximum') !== undefined;
    if (min !== undefined) {
      const top = exMin ? Math.floor(min) : Math.ceil(min) - 1;
      out.push({
        kind: 'below minimum',
        arb: fc.integer({ min: top - 1_000_000, max: top }),
        strict: true,
      });
    }
    if (max !== undefined) {
      const bottom = exMax ? Math.ceil(max) : Math.floor(max) + 1;
      out.push({
        kind: 'above maximum',
        arb: fc.integer({ min: bottom, max: bottom + 1_000_000 }),
        strict: true,
      });
    }
  } else if (types.includes('boolean')) {
    out.push({ kind: 'wrong type', arb: fc.oneof(nonNumeric, garbageObject), strict: true });
  } else if (types.includes('array')) {
    out.push({ kind: 'wrong type', arb: garbageObject, strict: true });
    const maxItems = num(s, 'maxItems');
    if (maxItems !== undefined) {
      const item = valueArb(s['items'] ?? {});
      out.push({
        kind: 'more than maxItems',
        arb: fc.array(item, { minLength: maxItems + 1, maxLength: maxItems + 3 }),
        strict: true,
      });
    }
  } else if (types.includes('object')) {
    out.push({ kind: 'wrong type', arb: fc.oneof(nonNumeric, fc.constant([1, 2])), strict: true });
  }
  return out;
}
